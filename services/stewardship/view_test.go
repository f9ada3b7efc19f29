package stewardship

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// A published item is readable without a token, with a Cache-Control header and no
// contact person; a draft is not; publishing needs a period; the public read is
// rate-limited per address.
func TestOpportunitiesPublic(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "", withOptions(WithPublicRate(0.001, 6)))
	draft, err := h.client.CreateOpportunity(h.as(steward), &stewardshipv1.CreateOpportunityRequest{Parent: "tenants/ahz", Opportunity: &stewardshipv1.Opportunity{
		Theme: "科技创新", Title: "概念验证中心场景开放", Description: "开放中试线与检测平台", Department: "科技经济发展办",
		Contact: &stewardshipv1.Contact{Name: "陈工", Phone: "13800001111"}}})
	require.NoError(t, err)
	require.Equal(t, "138****1111", draft.GetContact().GetPhone())
	_, err = h.client.PublishOpportunity(h.as(steward), &stewardshipv1.PublishOpportunityRequest{Name: draft.GetName()})
	apptest.RequireField(t, err, "period", "PERIOD_REQUIRED")
	_, err = h.client.CreateOpportunity(h.as(steward), &stewardshipv1.CreateOpportunityRequest{Parent: "tenants/ahz", Opportunity: &stewardshipv1.Opportunity{
		Theme: "航天", Title: "x", Description: "x", Department: "x"}})
	apptest.RequireField(t, err, "opportunity.theme", "UNKNOWN_THEME")
	pub, err := h.client.CreateOpportunity(h.as(steward), &stewardshipv1.CreateOpportunityRequest{Parent: "tenants/ahz", Opportunity: &stewardshipv1.Opportunity{
		Theme: "公园城市", Period: "2026-Q4", Title: "绿道沿线商业场景招募", Description: "沿线 12 处驿站运营", Department: "自然资源和住建办",
		Contact: &stewardshipv1.Contact{Name: "刘工", Phone: "13800002222"}}})
	require.NoError(t, err)
	pub, err = h.client.PublishOpportunity(h.as(steward), &stewardshipv1.PublishOpportunityRequest{Name: pub.GetName()})
	require.NoError(t, err)
	require.Equal(t, stewardshipv1.OpportunityState_OPPORTUNITY_STATE_PUBLISHED, pub.GetState())

	resp, err := http.Get(h.base + "/v1/tenants/ahz/publishedOpportunities")
	require.NoError(t, err)
	body := readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, publicCache, resp.Header.Get("Cache-Control"))
	require.Contains(t, body, "绿道沿线商业场景招募")
	require.NotContains(t, body, "概念验证中心")
	require.NotContains(t, body, "刘工")
	require.NotContains(t, body, "2222")
	code, one := apptest.Get(t, h.base+"/v1/"+pub.GetName()+":public", "")
	require.Equal(t, http.StatusOK, code, string(one))
	code, _ = apptest.Get(t, h.base+"/v1/"+draft.GetName()+":public", "")
	require.Equal(t, http.StatusNotFound, code)
	// Without a token, nothing but the public reads.
	code, _ = apptest.Get(t, h.base+"/v1/tenants/ahz/opportunities", "")
	require.Equal(t, http.StatusUnauthorized, code)
	// The burst is spent: the next public read from this address is refused.
	limited := false
	for range 10 {
		if code, _ := apptest.Get(t, h.base+"/v1/tenants/ahz/publishedOpportunities", ""); code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	require.True(t, limited)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			return string(b)
		}
	}
}

// Two stewards opening one problem at once file one ticket: the tickets service's
// idempotency key is its caller's, so the problem is claimed by the first; the other is
// told another colleague is filing it (PROBLEM_BEING_OPENED) or gets the ticket, and
// afterwards everyone gets that ticket.
func TestProblemOpenedByTwoStewards(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withPeers())
		const second = "u-steward-2"
		h.tokens[second] = h.env.Grant(t, second, "steward", district, authn.Staff)
		h.register(ent(1, "ahz.s01.c01"))
		p, err := h.client.RaiseProblem(h.as(steward), &stewardshipv1.RaiseProblemRequest{Parent: enterpriseName("ahz.s01.c01", cc(1)),
			Problem: &stewardshipv1.Problem{Category: "enterprise", Title: "用水报装进度慢", Description: "已过 30 天", OwnerDepartment: "城建办"}})
		require.NoError(t, err)
		var (
			mu      sync.Mutex
			tickets = map[string]bool{}
			wg      sync.WaitGroup
		)
		for i := range 6 {
			who := []string{steward, second}[i%2]
			wg.Go(func() {
				got, err := h.client.OpenProblemTicket(h.as(who), &stewardshipv1.OpenProblemTicketRequest{Name: p.GetName()})
				if err != nil {
					_, code := apptest.Code(err)
					assert.Equal(t, "PROBLEM_BEING_OPENED", code, "%v", err)
					return
				}
				mu.Lock()
				tickets[got.GetTicket()] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		require.Len(t, tickets, 1, "every open that succeeded got the one ticket")
		for _, who := range []string{steward, second} {
			got, err := h.client.OpenProblemTicket(h.as(who), &stewardshipv1.OpenProblemTicketRequest{Name: p.GetName()})
			require.NoError(t, err)
			require.True(t, tickets[got.GetTicket()])
		}
		handlerToken := h.env.Grant(t, handler, "ticket_handler", district, authn.Staff)
		all, err := ticketsv1.NewTicketsServiceClient(h.peers["tickets"].Conn).ListTickets(apptest.As(handlerToken),
			&ticketsv1.ListTicketsRequest{Parent: "tenants/ahz"})
		require.NoError(t, err)
		require.Len(t, all.GetTickets(), 1, "the two stewards filed one ticket")
	})
}

// A problem becomes a ticket in a real tickets service, filed as the steward, and
// follows the ticket's state; the 360° view gathers matters, tickets (the problem's among
// them), legal aid and this service's own parts in one call.
func TestProblemTicketAndView(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withPeers())
		h.register(ent(1, "ahz.s01.c01"))
		name := enterpriseName("ahz.s01.c01", cc(1))
		p, err := h.client.RaiseProblem(h.as(steward), &stewardshipv1.RaiseProblemRequest{Parent: name, Problem: &stewardshipv1.Problem{
			Category: "enterprise", Title: "用电报装进度慢", Description: "高压报装已过 40 天", OwnerDepartment: "科技经济发展办"}})
		require.NoError(t, err)
		// Opened by concurrent calls (a double click, a retry): one ticket, the same for all.
		opened := make([]*stewardshipv1.Problem, 4)
		var wg sync.WaitGroup
		for i := range opened {
			wg.Go(func() {
				got, err := h.client.OpenProblemTicket(h.as(steward), &stewardshipv1.OpenProblemTicketRequest{Name: p.GetName()})
				assert.NoError(t, err)
				opened[i] = got
			})
		}
		wg.Wait()
		for _, o := range opened[1:] {
			require.Equal(t, opened[0].GetTicket(), o.GetTicket())
		}
		p = opened[0]
		require.Equal(t, stewardshipv1.ProblemState_PROBLEM_STATE_TICKETED, p.GetState())
		require.Equal(t, "STATE_RECEIVED", p.GetTicketState())
		again, err := h.client.OpenProblemTicket(h.as(steward), &stewardshipv1.OpenProblemTicketRequest{Name: p.GetName()})
		require.NoError(t, err)
		require.Equal(t, p.GetTicket(), again.GetTicket())

		// The district's dispatcher sends the ticket on; the problem follows.
		tickets := ticketsv1.NewTicketsServiceClient(h.peers["tickets"].Conn)
		handlerToken := h.env.Grant(t, handler, "ticket_handler", district, authn.Staff)
		tk, err := tickets.GetTicket(apptest.As(handlerToken), &ticketsv1.GetTicketRequest{Name: p.GetTicket()})
		require.NoError(t, err)
		all, err := tickets.ListTickets(apptest.As(handlerToken), &ticketsv1.ListTicketsRequest{Parent: "tenants/ahz"})
		require.NoError(t, err)
		require.Len(t, all.GetTickets(), 1, "the concurrent opens filed one ticket")
		_, err = tickets.DispatchTicket(apptest.As(handlerToken), &ticketsv1.DispatchTicketRequest{Name: tk.GetName(), Etag: tk.GetEtag(),
			AssigneeTenant: "ahz.s01.c01", AssigneeDepartment: "社区服务站"})
		require.NoError(t, err)
		got, err := h.client.GetProblem(h.as(steward), &stewardshipv1.GetProblemRequest{Name: p.GetName()})
		require.NoError(t, err)
		require.Equal(t, "STATE_DISPATCHED", got.GetTicketState())

		_, err = h.client.CreateVisit(h.as(steward), &stewardshipv1.CreateVisitRequest{Parent: name, Visit: &stewardshipv1.Visit{
			VisitDate: "2026-11-24", Notes: "走访了解用电报装情况"}})
		require.NoError(t, err)
		// A case the steward refers to legal aid (filed at the district, which serves it).
		_, err = legalaidv1.NewLegalAidServiceClient(h.peers["legalaid"].Conn).CreateCase(h.as(steward), &legalaidv1.CreateCaseRequest{
			Parent: "tenants/ahz", Case: &legalaidv1.Case{CaseType: legalaidv1.CaseType_CASE_TYPE_COMMERCIAL, Claims: "货款纠纷",
				ClaimAmount: "1000.00", Applicant: &legalaidv1.Party{Name: "测试企业1", CreditCode: cc(1)}}})
		require.NoError(t, err)
		view, err := h.client.GetEnterprise360(h.as(steward), &stewardshipv1.GetEnterprise360Request{Name: name})
		require.NoError(t, err)
		parts := map[string]*stewardshipv1.Part{}
		for _, part := range view.GetParts() {
			parts[part.GetPart()] = part
		}
		for _, want := range []string{"visits", "problems", "arrears", "awards", "applications", "tickets", "cases"} {
			require.True(t, parts[want].GetAvailable(), "%s: %s", want, parts[want].GetError())
		}
		require.Len(t, parts["visits"].GetItems(), 1)
		require.Len(t, parts["problems"].GetItems(), 1)
		require.Len(t, parts["cases"].GetItems(), 1)
		// The ticket the steward filed about the enterprise's problem is the enterprise's
		// though the steward, not the enterprise, filed it.
		require.Len(t, parts["tickets"].GetItems(), 1)
		require.Equal(t, p.GetTicket(), parts["tickets"].GetItems()[0].GetName())
		require.Equal(t, cc(1), view.GetEnterprise().GetCreditCode())
	})
}

// With the tickets service hung, the view still answers, its tickets part marked
// unavailable (its deadline passed) and every other part present.
func TestViewWithPeerDown(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "", withHungPeer("tickets"), withOptions(WithPartTimeout(200*time.Millisecond)))
	h.register(ent(1, "ahz.s01.c01"))
	view, err := h.client.GetEnterprise360(h.as(steward), &stewardshipv1.GetEnterprise360Request{Name: enterpriseName("ahz.s01.c01", cc(1))})
	require.NoError(t, err)
	got := map[string]string{}
	for _, p := range view.GetParts() {
		state := "available"
		if !p.GetAvailable() {
			state = p.GetError()
		}
		got[p.GetPart()] = state
	}
	require.Equal(t, map[string]string{"visits": "available", "problems": "available", "arrears": "available",
		"awards": "available", "applications": "PEER_NOT_CONFIGURED", "tickets": "DEADLINE_EXCEEDED", "cases": "PEER_NOT_CONFIGURED"}, got)
}
