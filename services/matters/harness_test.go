package matters

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/clock"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
	"github.com/gaoxing-gov/gaoxing/services/documents"
	"github.com/gaoxing-gov/gaoxing/services/stewardship"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Test subjects and where their roles are granted.
const (
	districtAdmin  = "u-district-admin"  // tenant_admin at ahz: defines matters
	communityAdmin = "u-community-admin" // tenant_admin at ahz.s01.c01: enables matters there
	hallClerk      = "u-hall-clerk"      // window_clerk at the district hall ahz
	communityClerk = "u-community-clerk" // window_clerk at ahz.s01.c01
	otherClerk     = "u-other-clerk"     // window_clerk at street ahz.s02
	enterpriseUser = "u-enterprise"      // an enterprise's own account, at ahz
	citizenUser    = "u-citizen"         // a resident's own account, at ahz.s01.c01

	district  = "ahz"
	community = "ahz.s01.c01"
)

// cst is a wall-clock time in China.
func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.Location)
}

// harness is one matters service running in-process against real etcd and SQL.
type harness struct {
	t      testing.TB
	srv    *Server
	clock  *clock.Fake
	client mattersv1.MattersServiceClient
	base   string // http://host:port/api/matters
	tokens map[string]string
	env    *apptest.Env
	docs   string // the documents service's HTTP base, with withDocuments
	// register is the stewardship service's client, with withRegister.
	register stewardshipv1.StewardshipServiceClient
}

// uploadDoc streams a small PDF into the documents service as sub at tenant and returns
// its name.
func (h *harness) uploadDoc(sub, tenant, filename string) string {
	h.t.Helper()
	body := "%PDF-1.7\n% " + filename + "\n%%EOF\n"
	q := url.Values{"filename": {filename}, "owner": {"tenants/" + tenant + "/intakes/window"}}
	req, err := http.NewRequest(http.MethodPost, h.docs+"/v1/tenants/"+tenant+"/documents:upload?"+q.Encode(), strings.NewReader(body))
	require.NoError(h.t, err)
	code, out := apptest.Do(h.t, req, h.tokens[sub])
	require.Equal(h.t, http.StatusCreated, code, string(out))
	var d documentsv1.Document
	require.NoError(h.t, protojson.Unmarshal(out, &d))
	return d.GetName()
}

// harnessOption adds to the environment before the service starts.
type harnessOption func(t testing.TB, env *apptest.Env, h *harness)

// withDocuments runs the real documents service beside matters (same etcd, same token
// issuer, real MinIO, its own SQLite) and tells matters where it is, so every document
// reference is checked there.
func withDocuments() harnessOption {
	return func(t testing.TB, env *apptest.Env, h *harness) {
		m := testenv.StartMinIO(t)
		docs := env.StartPeer(t, documents.New(), func(e *app.Env) { e.MinIO = m.Config() })
		h.docs = docs.URL + "/api/documents"
	}
}

// withRegister starts the stewardship service, which keeps the enterprise register
// 免申即享 reads; h.register is a client of it.
func withRegister() harnessOption {
	return func(t testing.TB, env *apptest.Env, h *harness) {
		peer := env.StartPeer(t, stewardship.New(), nil)
		h.register = stewardshipv1.NewStewardshipServiceClient(peer.Conn)
	}
}

func startHarness(t testing.TB, dsn string, opts ...harnessOption) *harness {
	t.Helper()
	env := apptest.New(t, dsn)
	srv := New(WithSweepInterval(time.Hour))
	clk := clock.NewFake(cst(2025, time.September, 26, 10)) // Friday before the National Day holiday
	srv.now = clk.Now
	h := &harness{t: t, env: env, srv: srv, clock: clk, base: env.URL + "/api/matters", tokens: map[string]string{},
		client: mattersv1.NewMattersServiceClient(env.Conn)}
	for _, o := range opts {
		o(t, env, h)
	}
	env.Start(t, srv)

	grants := []struct {
		sub, role string
		tenant    tenancy.ID
	}{
		{districtAdmin, "tenant_admin", district}, {communityAdmin, "tenant_admin", community},
		{hallClerk, "window_clerk", district}, {communityClerk, "window_clerk", community},
		{otherClerk, "window_clerk", "ahz.s02"}, {enterpriseUser, "enterprise", district}, {citizenUser, "citizen", community},
	}
	for _, g := range grants {
		kind := authn.Staff
		switch g.role {
		case "enterprise":
			kind = authn.Enterprise
		case "citizen":
			kind = authn.Citizen
		}
		h.tokens[g.sub] = env.Grant(t, g.sub, g.role, g.tenant, kind)
	}
	// The grants reach the service through its etcd watch, in order: once the last one
	// is seen, all are.
	require.Eventually(t, func() bool {
		_, err := h.client.ListApplications(h.as(citizenUser), &mattersv1.ListApplicationsRequest{Parent: "tenants/" + community, PageSize: 1})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	return h
}

// grant gives sub role at tenant after start and waits until the service sees it (the
// policy reaches it through an etcd watch): the role must be able to list applications there.
func (h *harness) grant(sub, role string, tenant tenancy.ID, kind authn.Kind) {
	h.t.Helper()
	h.tokens[sub] = h.env.Grant(h.t, sub, role, tenant, kind)
	require.Eventually(h.t, func() bool {
		_, err := h.client.ListApplications(h.as(sub), &mattersv1.ListApplicationsRequest{Parent: "tenants/" + string(tenant), PageSize: 1})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
}

// as is a context carrying sub's token for gRPC calls.
func (h *harness) as(sub string) context.Context { return apptest.As(h.tokens[sub]) }

// get fetches an HTTP route as sub ("" for no one) and returns the status and body.
func (h *harness) get(sub, path string) (int, []byte) {
	h.t.Helper()
	return apptest.Get(h.t, h.base+path, h.tokens[sub])
}

// post sends a JSON body to an HTTP route as sub and returns the status and body.
func (h *harness) post(sub, path string, body proto.Message) (int, []byte) {
	h.t.Helper()
	return apptest.PostJSON(h.t, h.base+path, h.tokens[sub], body)
}

// doc is a document name in tenant t.
func doc(t, id string) string { return "tenants/" + t + "/documents/" + id }

// startUp is a 企业开办 application at the district hall with the given materials.
func startUp(materials ...string) *mattersv1.Application {
	a := &mattersv1.Application{
		Matter: "matters/QYKB", Channel: mattersv1.Channel_CHANNEL_WINDOW,
		Applicant: &mattersv1.Applicant{Name: "示例科技有限公司（筹）", CreditCode: "91350100M000100Y43", Phone: "13812345678", Subject: enterpriseUser},
		Form:      map[string]string{"company_name": "示例科技有限公司"},
	}
	for i, m := range materials {
		a.Materials = append(a.Materials, &mattersv1.SubmittedMaterial{Name: m, Document: doc(district, "D"+string(rune('A'+i)))})
	}
	return a
}

var allStartUpMaterials = []string{"设立登记申请书", "公司章程", "住所使用证明", "法定代表人身份证明"}

// submit files app at the district hall as the hall clerk.
func (h *harness) submit(app *mattersv1.Application) *mattersv1.Application {
	h.t.Helper()
	a, err := h.client.SubmitApplication(h.as(hallClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/" + district, Application: app})
	require.NoError(h.t, err)
	return a
}

// count runs a COUNT(*) query on the service's database.
func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int64
	require.NoError(h.t, h.srv.svc.db.QueryRow(context.Background(), q, args...).Scan(&n))
	return int(n)
}

// auditCount is how many audit records the resource has, chained or waiting to be.
func (h *harness) auditCount(resource string) int {
	h.t.Helper()
	return h.count(`SELECT (SELECT COUNT(*) FROM audit_records WHERE resource = $1)
		+ (SELECT COUNT(*) FROM audit_pending WHERE resource = $1)`, resource)
}

// TestContract: every method of the contract has a valid rule and an implementation, so
// the service can start (scripts/verify.sh runs it).
func TestContract(t *testing.T) {
	apptest.CheckContract(t, mattersv1.MattersService_ServiceDesc.ServiceName, (*service)(nil))
}
