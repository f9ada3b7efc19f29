package matters

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Test subjects and where their roles are granted.
const (
	districtAdmin  = "u-district-admin"  // tenant_admin at ahz: defines matters
	communityAdmin = "u-community-admin" // tenant_admin at ahz.s01.c01: enables matters there
	hallClerk      = "u-hall-clerk"      // window_clerk at the district hall ahz
	communityClerk = "u-community-clerk" // window_clerk at ahz.s01.c01
	otherClerk     = "u-other-clerk"     // window_clerk at street ahz.s02

	district  = "ahz"
	community = "ahz.s01.c01"
)

// clock is a test clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// cst is a wall-clock time in China.
func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.Location)
}

// harness is one matters service running in-process against real etcd and SQL.
type harness struct {
	t      testing.TB
	srv    *Server
	clock  *clock
	client mattersv1.MattersServiceClient
	base   string // http://host:port/api/matters
	tokens map[string]string
}

func startHarness(t testing.TB, dsn string) *harness {
	t.Helper()
	env := apptest.New(t, dsn)
	srv := New(WithSweepInterval(time.Hour))
	clk := &clock{t: cst(2025, time.September, 26, 10)} // Friday before the National Day holiday
	srv.now = clk.Now
	env.Start(t, srv)

	grants := []struct {
		sub, role string
		tenant    tenancy.ID
	}{
		{districtAdmin, "tenant_admin", district}, {communityAdmin, "tenant_admin", community},
		{hallClerk, "window_clerk", district}, {communityClerk, "window_clerk", community},
		{otherClerk, "window_clerk", "ahz.s02"},
	}
	h := &harness{t: t, srv: srv, clock: clk, base: env.URL + "/api/matters", tokens: map[string]string{},
		client: mattersv1.NewMattersServiceClient(env.Conn)}
	for _, g := range grants {
		h.tokens[g.sub] = env.Grant(t, g.sub, g.role, g.tenant, authn.Staff)
	}
	// The grants reach the service through its etcd watch.
	require.Eventually(t, func() bool {
		_, err := h.client.ListEnablements(h.as(otherClerk), &mattersv1.ListEnablementsRequest{Parent: "tenants/ahz.s02"})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	return h
}

// as is a context carrying sub's token for gRPC calls.
func (h *harness) as(sub string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+h.tokens[sub])
}

// get fetches an HTTP route as sub and returns the status and body.
func (h *harness) get(sub, path string) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.base+path, nil)
	require.NoError(h.t, err)
	if sub != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[sub])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, out
}

// doc is a document name in tenant t.
func doc(t, id string) string { return "tenants/" + t + "/documents/" + id }

// startUp is a 企业开办 application at the district hall with the given materials.
func startUp(materials ...string) *mattersv1.Application {
	a := &mattersv1.Application{
		Matter: "matters/QYKB", Channel: mattersv1.Channel_CHANNEL_WINDOW,
		Applicant: &mattersv1.Applicant{Name: "示例科技有限公司（筹）", CreditCode: "91350100M000100Y43", Phone: "13812345678"},
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

// requireCode checks err's gRPC and stable codes.
func requireCode(t testing.TB, err error, code codes.Code, stable string) {
	t.Helper()
	require.Error(t, err)
	st, _ := status.FromError(err)
	got := ""
	for _, d := range st.Details() {
		if e, ok := d.(*commonv1.Error); ok {
			got = e.GetCode()
		}
	}
	require.Equal(t, code, st.Code(), err.Error())
	require.Equal(t, stable, got, err.Error())
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

// requireField checks that err is bad input naming field with the stable code.
func requireField(t testing.TB, err error, field, stable string) {
	t.Helper()
	require.Error(t, err)
	st, _ := status.FromError(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), err.Error())
	for _, d := range st.Details() {
		if e, ok := d.(*commonv1.Error); ok {
			for _, v := range e.GetFieldViolations() {
				if v.GetField() == field && v.GetCode() == stable {
					return
				}
			}
		}
	}
	t.Fatalf("no violation %s %s in %v", field, stable, err)
}
