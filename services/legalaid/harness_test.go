package legalaid

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/clock"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Test subjects and where their roles are granted.
const (
	coordinator = "u-coordinator"  // legal_coordinator at ahz: takes in, decides fee support, assigns
	lawyer      = "u-lawyer"       // legal_aid_lawyer at ahz
	lawyer2     = "u-lawyer-2"     // legal_aid_lawyer at ahz, assigned nothing
	courtGX     = "svc-court-gx"   // the 高新 court's machine client: court_clerk at ahz
	courtOther  = "svc-court-city" // another court's machine client
	steward     = "u-steward"      // steward at ahz
	clerk       = "u-clerk"        // window_clerk at community ahz.s01.c01
	company     = "u-company"      // enterprise account of enterpriseCode at ahz
	admin       = "u-admin"        // platform_admin at ahz
	overseer    = "u-overseer"     // supervisor at ahz

	// Cases are the district's: legalaid is enabled at the district only (the tree's default).
	district = "ahz"
)

// creditCode is a valid unified social credit code built from its first 17 characters.
func creditCode(first17 string) string {
	c, ok := govid.CreditCodeCheck(first17)
	if !ok {
		panic("bad credit code prefix " + first17)
	}
	return first17 + string(c)
}

var (
	enterpriseCode = creditCode("91210300MA0XY1001")
	otherCode      = creditCode("91210300MA0XY1002")
	thirdCode      = creditCode("91210300MA0XY1003")
)

// testSettings are the courts of the tests: 高新 basic court (辽0391) and the city's
// intermediate court (辽03).
const testSettings = `{
  "courts": {"gaoxin_court": {"title": "高新区人民法院", "code": "辽0391"}, "city_court": {"title": "市中级人民法院", "code": "辽03"}},
  "court_clients": {"svc-court-gx": "gaoxin_court", "svc-court-city": "city_court"}
}`

// receiver is a webhook endpoint: it checks every signature and keeps what it was told.
type receiver struct {
	mu     sync.Mutex
	secret []byte
	got    []outbox.Received
	srv    *httptest.Server
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{secret: make([]byte, 32)}
	_, _ = rand.Read(r.secret)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec, err := outbox.VerifyRequest(req, time.Minute, r.secret)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, rec)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// bodies decodes what the receiver got.
func (r *receiver) bodies(t testing.TB) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, rec := range r.got {
		var m map[string]any
		require.NoError(t, json.Unmarshal(rec.Body, &m))
		out = append(out, m)
	}
	return out
}

func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.Location)
}

type harness struct {
	t      testing.TB
	srv    *Server
	clock  *clock.Fake
	court  *receiver // the 高新 court's webhooks
	notify *receiver // reminders
	env    *apptest.Env
	etcd   *clientv3.Client
	client legalaidv1.LegalAidServiceClient
	base   string
	tokens map[string]string
}

// startHarness starts the service; setup, when given, runs before it starts (peers).
func startHarness(t testing.TB, dsn string, setup ...func(*apptest.Env)) *harness {
	t.Helper()
	env := apptest.New(t, dsn)
	for _, f := range setup {
		f(env)
	}
	court, notify := newReceiver(t), newReceiver(t)
	clk := clock.NewFake(cst(2026, time.November, 25, 10)) // a Wednesday
	srv := New(WithClock(clk.Now), WithSweepInterval(time.Hour), WithWebhooks(outbox.StaticEndpoints{
		CourtReceiver("gaoxin_court"): {URL: court.srv.URL, Secret: court.secret},
		ReceiverReminders:             {URL: notify.srv.URL, Secret: notify.secret},
	}, outbox.WithPollInterval(50*time.Millisecond)))
	_, err := env.Etcd.Put(context.Background(), config.GlobalKey(Name), testSettings)
	require.NoError(t, err)
	env.Start(t, srv)
	h := &harness{t: t, srv: srv, clock: clk, court: court, notify: notify, env: env, etcd: env.Etcd,
		client: legalaidv1.NewLegalAidServiceClient(env.Conn), base: env.URL + "/api/legalaid", tokens: map[string]string{}}
	for _, g := range []struct {
		sub, role string
		at        tenancy.ID
		kind      authn.Kind
	}{
		{coordinator, "legal_coordinator", district, authn.Staff}, {lawyer, "legal_aid_lawyer", district, authn.Staff},
		{lawyer2, "legal_aid_lawyer", district, authn.Staff}, {courtGX, "court_clerk", district, authn.Service},
		{courtOther, "court_clerk", district, authn.Service}, {steward, "steward", district, authn.Staff},
		{clerk, "window_clerk", "ahz.s01.c01", authn.Staff}, {overseer, "supervisor", district, authn.Staff},
	} {
		h.tokens[g.sub] = env.Grant(t, g.sub, g.role, g.at, g.kind)
	}
	h.tokens[company] = env.GrantEnterprise(t, company, "enterprise", district, enterpriseCode)
	h.tokens[admin] = env.Grant(t, admin, "platform_admin", district, authn.Staff)
	return h
}

func (h *harness) as(sub string) context.Context { return apptest.As(h.tokens[sub]) }

// newCase is a commercial case of the test enterprise against otherCode.
func newCase() *legalaidv1.Case {
	return &legalaidv1.Case{
		CaseType:       legalaidv1.CaseType_CASE_TYPE_COMMERCIAL,
		Applicant:      &legalaidv1.Party{Name: "辽宁示例精密制造有限公司", CreditCode: enterpriseCode},
		Counterparties: []*legalaidv1.Party{{Name: "示例贸易有限公司", CreditCode: otherCode}},
		Claims:         "请求判令被告支付货款及逾期付款利息", ClaimAmount: "1250000.50",
		Hardship: map[string]string{"revenue_drop_percent": "42.5"},
	}
}

// create takes a case in at tenant as the coordinator.
func (h *harness) create(tenant string, c *legalaidv1.Case) *legalaidv1.Case {
	h.t.Helper()
	got, err := h.client.CreateCase(h.as(coordinator), &legalaidv1.CreateCaseRequest{Parent: "tenants/" + tenant, Case: c})
	require.NoError(h.t, err)
	return got
}

// filed takes a case in, assigns it to the lawyer and files it with the 高新 court.
func (h *harness) filed() *legalaidv1.Case {
	h.t.Helper()
	c := h.create(district, newCase())
	c, err := h.client.AssignCase(h.as(coordinator), &legalaidv1.AssignCaseRequest{Name: c.GetName(), Etag: c.GetEtag(),
		Assignee: lawyer, Role: legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LAWYER})
	require.NoError(h.t, err)
	c, err = h.client.FileCase(h.as(lawyer), &legalaidv1.FileCaseRequest{Name: c.GetName(), Etag: c.GetEtag(), Court: "gaoxin_court"})
	require.NoError(h.t, err)
	return c
}

// registered files a case and has the court register it under number.
func (h *harness) registered(number string) *legalaidv1.Case {
	h.t.Helper()
	c := h.filed()
	c, err := h.client.RecordDocketing(h.as(courtGX), &legalaidv1.RecordDocketingRequest{Name: c.GetName(), Etag: c.GetEtag(),
		CourtCaseNumber: number, Title: "立案登记"})
	require.NoError(h.t, err)
	return c
}

// auditCount is how many audit records the district holds (of resource, when given);
// audit.List chains the pending ones first.
func (h *harness) auditCount(resource string) int {
	h.t.Helper()
	n, token := 0, ""
	for {
		recs, next, err := audit.List(context.Background(), h.srv.svc.db, district, audit.ListOptions{PageSize: 500, PageToken: token, Resource: resource})
		require.NoError(h.t, err)
		n += len(recs)
		if token = next; token == "" {
			return n
		}
	}
}

// count runs a COUNT query on the service's database.
func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int64
	require.NoError(h.t, h.srv.svc.db.QueryRow(context.Background(), q, args...).Scan(&n))
	return int(n)
}

// TestContract: every method of the contract has a valid rule and an implementation.
func TestContract(t *testing.T) {
	apptest.CheckContract(t, legalaidv1.LegalAidService_ServiceDesc.ServiceName, (*service)(nil))
}
