package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/services/documents"
	"github.com/gaoxing-gov/gaoxing/services/identity"
	"github.com/gaoxing-gov/gaoxing/services/legalaid"
)

// buildMockCourt builds e2e/mockcourt for this test, as `make run` builds it into bin/.
func buildMockCourt(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mockcourt")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../e2e/mockcourt").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// startWithMockCourt is `gaoxing up --mock-court` on dataDir, running identity,
// documents and legalaid, with court the mock court's program.
func startWithMockCourt(t *testing.T, dataDir, court string) *platform {
	t.Helper()
	r := startLauncherWith(t, upConfig{DataDir: dataDir, MockCourt: true}, func(l *launcher) { l.mockCourtBin = court },
		&identity.Server{AdminPassword: initialPassword, Provider: identity.New().Provider, ConsoleRedirectURIs: []string{consoleRedirect}},
		documents.New(), legalaid.New())
	return &platform{running: r, issuer: r.base + "/api/identity"}
}

// apiJSON sends a JSON request with token and decodes the answer into out.
func (p *platform) apiJSON(t *testing.T, method, path, token string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		require.NoError(t, err)
		body = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, p.base+path, body)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	text := readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, path, text)
	if out != nil {
		require.NoError(t, json.Unmarshal([]byte(text), out))
	}
}

func creditCode(first17 string) string {
	c, _ := govid.CreditCodeCheck(first17)
	return first17 + string(c)
}

// courtCase is what the test reads of a case.
type courtCase struct {
	Name            string `json:"name"`
	Etag            string `json:"etag"`
	State           string `json:"state"`
	Court           string `json:"court"`
	CourtCaseNumber string `json:"courtCaseNumber"`
	Docket          []struct {
		Title string `json:"title"`
	} `json:"docket"`
}

// TestUpWithMockCourt: on a fresh data directory, `gaoxing up --mock-court` runs the
// mock court beside the platform, shown on the status page; the district's legal
// coordinator takes a case in and files it with the court, and the court, driven only by
// legalaid's webhooks and calling back with its own client-credentials token, registers
// it under a case number of its own. Started again, the same data directory brings the
// court back with nothing to redo.
func TestUpWithMockCourt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the mock court and runs the platform")
	}
	court := buildMockCourt(t)
	dataDir := t.TempDir()
	p := startWithMockCourt(t, dataDir, court)
	st := waitReady(t, p.base)
	mc, ok := byName(st)["mockcourt"]
	require.True(t, ok, "the status page shows the mock court: %+v", st)
	require.Equal(t, kindDevelopment, mc.Kind)
	require.Equal(t, stateRunning, mc.State)
	require.True(t, mc.Ready)
	require.True(t, strings.HasPrefix(mc.Address, "http://127.0.0.1:"), mc.Address)
	require.NotZero(t, mc.PID)

	p.firstSignIn(t)
	admin := p.signIn(t, identity.AdminUsername, adminPassword).Access
	var user struct{ Name string }
	p.apiJSON(t, http.MethodPost, "/api/identity/v1/tenants/ahz/users", admin,
		map[string]any{"user": map[string]any{"username": "coordinator", "displayName": "法律服务协调员", "kind": "staff"}, "password": "Coord-Initial-2026"}, &user)
	p.apiJSON(t, http.MethodPost, "/api/identity/v1/roles:grant", admin,
		map[string]any{"tenant": "tenants/ahz", "subject": user.Name, "role": "legal_coordinator"}, nil)
	coordinator := p.firstSignInAs(t, "coordinator", "Coord-Initial-2026", "Coord-Secret-2026").Access

	var c courtCase
	p.apiJSON(t, http.MethodPost, "/api/legalaid/v1/tenants/ahz/cases", coordinator, map[string]any{
		"caseType":       "CASE_TYPE_COMMERCIAL",
		"applicant":      map[string]any{"name": "辽宁示例精密制造有限公司", "creditCode": creditCode("91210300MA0XY1001")},
		"counterparties": []any{map[string]any{"name": "示例贸易有限公司", "creditCode": creditCode("91210300MA0XY1002")}},
		"claims":         "请求判令被告支付货款", "claimAmount": "1250000.50",
	}, &c)
	p.apiJSON(t, http.MethodPost, "/api/legalaid/v1/"+c.Name+":assign", coordinator, map[string]any{
		"etag": c.Etag, "assignee": user.Name[strings.LastIndex(user.Name, "/")+1:], "role": "ASSIGNEE_ROLE_LEGAL_ADVISER"}, &c)
	p.apiJSON(t, http.MethodPost, "/api/legalaid/v1/"+c.Name+":file", coordinator, map[string]any{"etag": c.Etag, "court": mockCourtID}, &c)
	require.Equal(t, "STATE_FILED", c.State)

	require.Eventually(t, func() bool {
		p.apiJSON(t, http.MethodGet, "/api/legalaid/v1/"+c.Name, coordinator, nil, &c)
		return c.CourtCaseNumber != ""
	}, 2*time.Minute, 100*time.Millisecond, "the mock court did not register the case: %+v", &c)
	require.Contains(t, c.CourtCaseNumber, mockCourtCode+"民初")
	require.NotEmpty(t, c.Docket, "registered with a docket entry")
	require.Equal(t, "立案登记", c.Docket[0].Title)

	// Again on the same data directory: the client, its role and the settings are kept.
	require.NoError(t, p.shutdown(t))
	p = startWithMockCourt(t, dataDir, court)
	st = waitReady(t, p.base)
	require.Equal(t, stateRunning, byName(st)["mockcourt"].State)
	admin = p.signIn(t, identity.AdminUsername, adminPassword).Access
	var got struct {
		Name        string
		DisplayName string
	}
	p.apiJSON(t, http.MethodGet, "/api/identity/v1/tenants/ahz/clients/"+mockCourtClient, admin, nil, &got)
	require.Equal(t, mockCourtTitle, got.DisplayName)
}
