package tickets

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// routingSettings route area 330106001001 to community c01 and 330106001002 or an
// address in 翠苑 to c02; enterprise tickets go to 营商办.
const routingSettings = `{"routing": {
	"departments": {"enterprise": "营商办"},
	"areas": [
		{"code": "330106001", "tenant": "ahz.s01"},
		{"code": "330106001001", "tenant": "ahz.s01.c01"},
		{"code": "330106001002", "tenant": "ahz.s01.c02", "department": "网格站"},
		{"keywords": ["翠苑"], "tenant": "ahz.s01.c02"},
		{"code": "999", "tenant": "bhz.s01"}
	]}}`

// TestAutoRouting: a ticket located in community c01 is dispatched there at intake (audited
// as the routing's); one whose address wrongly matches c02 is returned by c02 and
// re-dispatched by the centre to c01, which claims it; a ticket no rule matches waits for
// dispatch; a rule outside the receiving tenant's subtree never applies; an explicit
// assignee at intake needs the caller's "assign" there. Over HTTP, both engines.
func TestAutoRouting(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withSettings(routingSettings))
		require.Eventually(t, func() bool { return len(h.srv.svc.settings.Get().Routing.Areas) == 5 }, 10*time.Second, 20*time.Millisecond)
		create := func(sub, ext, area, address string) (int, *ticketsv1.Ticket, []byte) {
			in := hotlineTicket(ext)
			in.AreaCode, in.Address = area, address
			code, body := h.post(sub, "/v1/tenants/ahz/tickets", in)
			var tk ticketsv1.Ticket
			if code == http.StatusOK {
				require.NoError(t, protojson.Unmarshal(body, &tk))
			}
			return code, &tk, body
		}

		// Located in c01 (the most specific code wins over the street's).
		code, tk, body := create(hotline, "route-c01", "330106001001007", "")
		require.Equal(t, http.StatusOK, code, string(body))
		require.Equal(t, ticketsv1.State_STATE_DISPATCHED, tk.GetState())
		require.Equal(t, "ahz.s01.c01", tk.GetAssigneeTenant())
		require.Equal(t, "营商办", tk.GetAssigneeDepartment())
		require.Equal(t, "2", tk.GetEtag())
		require.Equal(t, 1, h.auditCountBy(district, routingActor))
		require.Eventually(t, func() bool { return len(h.hook.states(tk.GetName())) == 2 }, 10*time.Second, 20*time.Millisecond)
		require.ElementsMatch(t, []string{"STATE_RECEIVED", "STATE_DISPATCHED"}, h.hook.states(tk.GetName()))
		// A resend changes nothing.
		code, again, _ := create(hotline, "route-c01", "330106001001007", "")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, tk.GetName(), again.GetName())
		require.Equal(t, "2", again.GetEtag())

		// Routed by the address to the wrong community: returned, re-dispatched, claimed.
		code, wrong, _ := create(hotline, "route-wrong", "", "翠苑一区 3 幢（实为一社区）")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "ahz.s01.c02", wrong.GetAssigneeTenant())
		status, body := h.post(wrongComm, "/v1/"+wrong.GetName()+":return", &ticketsv1.ReturnTicketRequest{Etag: wrong.GetEtag(), Reason: "该地址属一社区"})
		require.Equal(t, http.StatusOK, status, string(body))
		require.NoError(t, protojson.Unmarshal(body, wrong))
		require.Equal(t, ticketsv1.State_STATE_RECEIVED, wrong.GetState())
		status, body = h.post(center, "/v1/"+wrong.GetName()+":dispatch", &ticketsv1.DispatchTicketRequest{
			Etag: wrong.GetEtag(), AssigneeTenant: "ahz.s01.c01", AssigneeDepartment: "社区服务站"})
		require.Equal(t, http.StatusOK, status, string(body))
		require.NoError(t, protojson.Unmarshal(body, wrong))
		status, body = h.post(wrongComm, "/v1/"+wrong.GetName()+":claim", &ticketsv1.ClaimTicketRequest{Etag: wrong.GetEtag()})
		require.Equal(t, http.StatusForbidden, status, string(body))
		status, body = h.post(community, "/v1/"+wrong.GetName()+":claim", &ticketsv1.ClaimTicketRequest{Etag: wrong.GetEtag()})
		require.Equal(t, http.StatusOK, status, string(body))

		// No rule matches, or only one outside ahz's subtree: left for dispatch.
		for _, area := range []string{"440000", "999001"} {
			code, tk, body = create(hotline, "route-none-"+area, area, "某地")
			require.Equal(t, http.StatusOK, code, string(body))
			require.Equal(t, ticketsv1.State_STATE_RECEIVED, tk.GetState())
			require.Empty(t, tk.GetAssigneeTenant())
		}

		// Explicit dispatch at intake: the hotline client holds no "assign"; the centre does.
		before := h.count(`SELECT COUNT(*) FROM tickets`)
		in := hotlineTicket("route-explicit")
		in.AssigneeTenant, in.AssigneeDepartment = "ahz.s02", "城管科"
		_, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: in})
		apptest.RequireCode(t, err, codes.InvalidArgument, "DISPATCH_OUTSIDE_SUBTREE")
		require.Equal(t, before, h.count(`SELECT COUNT(*) FROM tickets`))
		// The centre files what it takes itself, as a walk-in without the hotline's id.
		in.Source, in.ExternalId = ticketsv1.Source_SOURCE_WALK_IN, ""
		explicit, err := h.client.CreateTicket(h.as(center), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: in})
		require.NoError(t, err)
		require.Equal(t, ticketsv1.State_STATE_DISPATCHED, explicit.GetState())
		require.Equal(t, "ahz.s02", explicit.GetAssigneeTenant())
		require.Equal(t, "城管科", explicit.GetAssigneeDepartment())

		// A malformed area code is refused.
		in = hotlineTicket("route-bad")
		in.AreaCode = "33 01"
		_, err = h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: in})
		apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
}

// TestRoutingRules checks the rule matching alone.
func TestRoutingRules(t *testing.T) {
	t.Parallel()
	r := Routing{Departments: map[string]string{"market": "市场监管所"}, Areas: []AreaRule{
		{Code: "33", Tenant: "ahz"}, {Code: "3301", Tenant: "ahz.s01"}, {Code: "3301", Category: "market", Tenant: "ahz.s02", Department: "市监"},
		{Keywords: []string{"西湖"}, Tenant: "ahz.s03"},
	}}
	for _, c := range []struct {
		owner            string
		category, area   string
		address, to, dep string
	}{
		{"ahz", "general", "330101", "", "ahz.s01", defaultDepartment},
		{"ahz", "market", "330101", "", "ahz.s01", "市场监管所"}, // first of equal length wins
		{"ahz", "general", "3401", "西湖边", "ahz.s03", defaultDepartment},
		{"ahz.s02", "general", "330101", "", "", ""},
		{"ahz", "general", "", "", "", ""},
	} {
		to, dep, ok := r.route(tenancy.ID(c.owner), c.category, c.area, c.address)
		require.Equal(t, c.to, string(to), "%+v", c)
		require.Equal(t, c.to != "", ok)
		require.Equal(t, c.dep, dep, "%+v", c)
	}
	require.Error(t, Routing{Areas: []AreaRule{{Tenant: "ahz"}}}.Validate())
	require.Error(t, Routing{Areas: []AreaRule{{Code: "1", Tenant: "AHZ!"}}}.Validate())
	require.NoError(t, r.Validate())
}
