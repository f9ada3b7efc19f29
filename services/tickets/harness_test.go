package tickets

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
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/clock"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Test subjects and where their roles are granted. Tickets are received at the
// district's 12345 desk (ahz) and dispatched down to communities of street ahz.s01.
const (
	hotline   = "svc-12345"    // the 12345 platform's machine client: window_clerk at ahz
	center    = "u-center"     // the district dispatch centre: ticket_handler at ahz
	street    = "u-street"     // street ahz.s01: ticket_handler (approves its communities' extensions)
	community = "u-community"  // community ahz.s01.c01: ticket_handler
	wrongComm = "u-wrong-comm" // community ahz.s01.c02: ticket_handler
	sibling   = "u-sibling"    // street ahz.s02: ticket_handler
	overseer  = "u-overseer"   // 营商监督员 at ahz: reads everywhere, urges, writes nothing

	district = "ahz"
)

// receiver is the source platform's webhook endpoint: it checks every signature and
// keeps what it was told.
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

// states lists the states the receiver was told about for ticket name, in order.
func (r *receiver) states(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.got {
		var p struct{ Name, State string }
		if json.Unmarshal(rec.Body, &p) == nil && p.Name == name {
			out = append(out, p.State)
		}
	}
	return out
}

// ids lists the delivery ids received.
func (r *receiver) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.got {
		out = append(out, rec.ID)
	}
	return out
}

// cst is a wall-clock time in China.
func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.Location)
}

// harness is one tickets service running in-process against real etcd and SQL.
type harness struct {
	t      testing.TB
	srv    *Server
	clock  *clock.Fake
	hook   *receiver
	notify *receiver // the reminders channel
	env    *apptest.Env
	// The documents service, when started (withDocuments): its HTTP base and a client.
	docs       string
	docsClient documentsv1.DocumentsServiceClient
	etcd       *clientv3.Client
	client     ticketsv1.TicketsServiceClient
	base       string // http://host:port/api/tickets
	tokens     map[string]string
}

// harnessOption adds to the environment before the service starts.
type harnessOption func(t testing.TB, env *apptest.Env, h *harness)

// sourceClients registers the test's 12345 client as the hotline source.
var sourceClients = map[string]string{hotline: Receiver(ticketsv1.Source_SOURCE_HOTLINE_12345)}

// withSettings stores the service's global settings (JSON) in etcd before it starts,
// with the harness's source clients unless they name their own.
func withSettings(settings string) harnessOption {
	return func(t testing.TB, env *apptest.Env, _ *harness) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(settings), &m))
		if _, ok := m["source_clients"]; !ok {
			m["source_clients"] = sourceClients
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		_, err = env.Etcd.Put(context.Background(), config.GlobalKey(Name), string(b))
		require.NoError(t, err)
	}
}

func startHarness(t testing.TB, dsn string, opts ...harnessOption) *harness {
	t.Helper()
	env := apptest.New(t, dsn)
	hook, notify := newReceiver(t), newReceiver(t)
	ring, err := sealed.ParseRing("k1="+sealed.NewKeySecret(), sealed.NewKeySecret())
	require.NoError(t, err)
	srv := New(WithSealing(ring), WithWebhooks(outbox.StaticEndpoints{
		Receiver(ticketsv1.Source_SOURCE_HOTLINE_12345): {URL: hook.srv.URL, Secret: hook.secret},
		ReceiverReminders: {URL: notify.srv.URL, Secret: notify.secret},
	}, outbox.WithPollInterval(50*time.Millisecond)), WithSweepInterval(time.Hour))
	pre := &harness{}
	opts = append([]harnessOption{withSettings(`{}`)}, opts...)
	for _, o := range opts {
		o(t, env, pre)
	}
	clk := clock.NewFake(cst(2026, time.November, 25, 10)) // a Wednesday
	srv.now = clk.Now
	env.Start(t, srv)

	grants := []struct {
		sub, role string
		tenant    tenancy.ID
	}{
		{hotline, "window_clerk", district}, {center, "ticket_handler", district}, {street, "ticket_handler", "ahz.s01"},
		{community, "ticket_handler", "ahz.s01.c01"}, {wrongComm, "ticket_handler", "ahz.s01.c02"},
		{sibling, "ticket_handler", "ahz.s02"}, {overseer, "supervisor", district},
	}
	h := &harness{
		t: t, srv: srv, clock: clk, hook: hook, notify: notify, env: env, docs: pre.docs, docsClient: pre.docsClient, etcd: env.Etcd, base: env.URL + "/api/tickets",
		tokens: map[string]string{}, client: ticketsv1.NewTicketsServiceClient(env.Conn),
	}
	for _, g := range grants {
		kind := authn.Staff
		if g.sub == hotline {
			kind = authn.Service
		}
		h.tokens[g.sub] = env.Grant(t, g.sub, g.role, g.tenant, kind)
	}
	// The grants reach the service through its etcd watch.
	require.Eventually(t, func() bool {
		_, err := h.client.ListTickets(h.as(sibling), &ticketsv1.ListTicketsRequest{Parent: "tenants/ahz.s02"})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	return h
}

// as is a context carrying sub's token for gRPC calls.
func (h *harness) as(sub string) context.Context { return apptest.As(h.tokens[sub]) }

// post sends a JSON body to an HTTP route as sub and returns the status and body.
func (h *harness) post(sub, path string, body proto.Message) (int, []byte) {
	h.t.Helper()
	return apptest.PostJSON(h.t, h.base+path, h.tokens[sub], body)
}

// get calls an HTTP GET route as sub and returns the status and body.
func (h *harness) get(sub, path string) (int, []byte) {
	h.t.Helper()
	return apptest.Get(h.t, h.base+path, h.tokens[sub])
}

// hotlineTicket is a 12345 ticket with external id ext.
func hotlineTicket(ext string) *ticketsv1.Ticket {
	return &ticketsv1.Ticket{
		Source: ticketsv1.Source_SOURCE_HOTLINE_12345, ExternalId: ext, Category: "enterprise",
		Title: "企业开办材料被反复要求补正", Description: "来电人反映在街道窗口办理营业执照时被多次要求补充材料。",
		Complainant: &ticketsv1.Complainant{Name: "张三丰", Phone: "13812345678", EnterpriseName: "示例科技有限公司", CreditCode: "91350100M000100Y43"},
	}
}

// create receives a 12345 ticket at the district as the hotline client.
func (h *harness) create(ext string) *ticketsv1.Ticket {
	h.t.Helper()
	tk, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/" + district, Ticket: hotlineTicket(ext)})
	require.NoError(h.t, err)
	return tk
}

// dispatched creates a ticket and dispatches it to community ahz.s01.c01.
func (h *harness) dispatched(ext string) *ticketsv1.Ticket {
	h.t.Helper()
	tk := h.create(ext)
	tk, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{
		Name: tk.GetName(), Etag: tk.GetEtag(), AssigneeTenant: "ahz.s01.c01", AssigneeDepartment: "社区服务站"})
	require.NoError(h.t, err)
	return tk
}

// count runs a COUNT(*) query on the service's database.
func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int64
	require.NoError(h.t, h.srv.svc.db.QueryRow(context.Background(), q, args...).Scan(&n))
	return int(n)
}

// auditRecords lists tenant's audit records (audit.List chains pending ones first).
func (h *harness) auditRecords(tenant tenancy.ID) []*commonv1.AuditRecord {
	h.t.Helper()
	var all []*commonv1.AuditRecord
	token := ""
	for {
		recs, next, err := audit.List(context.Background(), h.srv.svc.db, tenant, audit.ListOptions{PageSize: 500, PageToken: token})
		require.NoError(h.t, err)
		all = append(all, recs...)
		if next == "" {
			return all
		}
		token = next
	}
}

// auditCount is how many audit records tenant has.
func (h *harness) auditCount(tenant tenancy.ID) int { return len(h.auditRecords(tenant)) }

// auditCountBy is how many of tenant's audit records actor made.
func (h *harness) auditCountBy(tenant tenancy.ID, actor string) int {
	n := 0
	for _, r := range h.auditRecords(tenant) {
		if r.GetActor() == actor {
			n++
		}
	}
	return n
}

// TestContract: every method of the contract has a valid rule and an implementation, so
// the service can start (scripts/verify.sh runs it).
func TestContract(t *testing.T) {
	apptest.CheckContract(t, ticketsv1.TicketsService_ServiceDesc.ServiceName, (*service)(nil))
}

// listNames lists the tickets under parent as sub over HTTP.
func listNames(t *testing.T, h *harness, sub, parent string) []string {
	t.Helper()
	code, body := h.get(sub, "/v1/"+parent+"/tickets")
	require.Equal(t, http.StatusOK, code, string(body))
	var resp ticketsv1.ListTicketsResponse
	require.NoError(t, protojson.Unmarshal(body, &resp))
	var out []string
	for _, tk := range resp.GetTickets() {
		out = append(out, tk.GetName())
	}
	return out
}
