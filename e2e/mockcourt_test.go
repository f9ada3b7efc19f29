package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
	"github.com/gaoxing-gov/gaoxing/services/legalaid"
)

// mockCourtReport mirrors the mock court's GET /deliveries.
type mockCourtReport struct {
	Unique   int            `json:"unique"`
	Attempts map[string]int `json:"attempts"`
	Events   []struct {
		ID   string         `json:"id"`
		Body map[string]any `json:"body"`
	} `json:"events"`
	Acted     int    `json:"acted"`
	LastError string `json:"last_error"`
}

// startMockCourt builds e2e/mockcourt and runs it as its own process against api, as the
// court client whose token it is given; it returns its base URL.
func startMockCourt(t *testing.T, api, token, secret string, failFirst int) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mockcourt")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./mockcourt")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	cmd := exec.Command(bin, "-api", api, "-court-code", "辽0391", "-fail-first", strconv.Itoa(failFirst))
	cmd.Env = append(os.Environ(), "MOCKCOURT_TOKEN="+token, "MOCKCOURT_SECRET="+secret)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	require.True(t, ok, line)
	return base
}

func creditCodeOf(first17 string) string {
	c, _ := govid.CreditCodeCheck(first17)
	return first17 + string(c)
}

// TestMockCourt is the legal-aid story end to end, the court a separate process: a
// coordinator takes an enterprise's case in, a lawyer files it, and the mock court,
// driven only by the platform's signed webhooks, registers it within the working day,
// dockets it, schedules and holds two hearings, suspends the trial clock for an
// appraisal and resumes it, and records the judgment that closes the case. The first
// delivery is refused by the court after it recorded it, so the platform redelivers it;
// the court sees every change exactly once by delivery id.
func TestMockCourt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the mock court")
	}
	env := apptest.New(t, "")
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	hexSecret := hex.EncodeToString(secret)
	_, err := env.Etcd.Put(context.Background(), config.GlobalKey(legalaid.Name), `{
	  "courts": {"gaoxin_court": {"title": "高新区人民法院", "code": "辽0391"}},
	  "court_clients": {"svc-court-gx": "gaoxin_court"}}`)
	require.NoError(t, err)
	courtToken := env.Grant(t, "svc-court-gx", "court_clerk", "ahz", authn.Service)
	coordinator := env.Grant(t, "u-coordinator", "legal_coordinator", "ahz", authn.Staff)
	lawyer := env.Grant(t, "u-lawyer", "legal_aid_lawyer", "ahz", authn.Staff)

	court := startMockCourt(t, env.URL+"/api/legalaid", courtToken, hexSecret, 1)
	env.Start(t, legalaid.New(legalaid.WithWebhooks(outbox.StaticEndpoints{
		legalaid.CourtReceiver("gaoxin_court"): {URL: court + "/webhooks", Secret: []byte(hexSecret)},
	}, outbox.WithPollInterval(50*time.Millisecond), outbox.WithBackoff(outbox.Backoff{Initial: 100 * time.Millisecond, Max: time.Second}))))
	client := legalaidv1.NewLegalAidServiceClient(env.Conn)

	c, err := client.CreateCase(apptest.As(coordinator), &legalaidv1.CreateCaseRequest{Parent: "tenants/ahz", Case: &legalaidv1.Case{
		CaseType:       legalaidv1.CaseType_CASE_TYPE_COMMERCIAL,
		Applicant:      &legalaidv1.Party{Name: "辽宁示例精密制造有限公司", CreditCode: creditCodeOf("91210300MA0XY1001")},
		Counterparties: []*legalaidv1.Party{{Name: "示例贸易有限公司", CreditCode: creditCodeOf("91210300MA0XY1002")}},
		Claims:         "请求判令被告支付货款", ClaimAmount: "1250000.50",
	}})
	require.NoError(t, err)
	c, err = client.AssignCase(apptest.As(coordinator), &legalaidv1.AssignCaseRequest{Name: c.GetName(), Etag: c.GetEtag(),
		Assignee: "u-lawyer", Role: legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LEGAL_ADVISER})
	require.NoError(t, err)
	filed, err := client.FileCase(apptest.As(lawyer), &legalaidv1.FileCaseRequest{Name: c.GetName(), Etag: c.GetEtag(), Court: "gaoxin_court"})
	require.NoError(t, err)
	fromRev, err := strconv.Atoi(filed.GetEtag())
	require.NoError(t, err)

	var final *legalaidv1.Case
	require.Eventually(t, func() bool {
		final, err = client.GetCase(apptest.As(lawyer), &legalaidv1.GetCaseRequest{Name: c.GetName()})
		require.NoError(t, err)
		return final.GetState() == legalaidv1.State_STATE_CLOSED
	}, 2*time.Minute, 100*time.Millisecond, "the court did not carry the case to judgment")

	// Registered within its working day, under a number of the court.
	require.False(t, final.GetRegistrationTime().AsTime().After(final.GetRegistrationDueTime().AsTime()))
	require.True(t, strings.HasPrefix(final.GetCourtCaseNumber(), "（"), final.GetCourtCaseNumber())
	require.Contains(t, final.GetCourtCaseNumber(), "辽0391民初")
	require.Len(t, final.GetHearings(), 2)
	for _, h := range final.GetHearings() {
		require.Equal(t, legalaidv1.HearingOutcome_HEARING_OUTCOME_HELD, h.GetOutcome())
	}
	require.Len(t, final.GetTrial().GetSuspensions(), 1)
	require.NotNil(t, final.GetTrial().GetSuspensions()[0].GetEndTime())
	require.NotNil(t, final.GetJudgment())

	// Every change reached the court once: one delivery per revision from filing to
	// judgment, the first one tried twice, none acted on twice.
	var rep mockCourtReport
	rev := func() int {
		v, _ := strconv.Atoi(final.GetEtag())
		return v
	}()
	require.Eventually(t, func() bool {
		resp, err := http.Get(court + "/deliveries")
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		rep = mockCourtReport{}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
		retried := false
		for _, n := range rep.Attempts {
			retried = retried || n > 1
		}
		// Every revision, and the refused one again (its retry may come after the rest).
		return rep.Unique == rev-fromRev+1 && retried
	}, 30*time.Second, 100*time.Millisecond, "revision %d, court report %+v", rev, &rep)
	require.Empty(t, rep.LastError)
	var revisions []int
	twice := 0
	for _, e := range rep.Events {
		revisions = append(revisions, int(e.Body["revision"].(float64)))
		if rep.Attempts[e.ID] > 1 {
			twice++
		}
	}
	sort.Ints(revisions)
	for i, r := range revisions {
		require.Equal(t, fromRev+i, r, "revisions %v", revisions)
	}
	require.Equal(t, 1, twice, "the refused first delivery came again under its id")
	paused := false
	for _, e := range rep.Events {
		if p, _ := e.Body["trial_paused"].(bool); p {
			paused = true
		}
	}
	require.True(t, paused, "the court saw the trial clock paused")
	// The court acted once per step: register, 2 × (schedule, hold), suspend, resume, judge.
	require.Equal(t, 8, rep.Acted)
}
