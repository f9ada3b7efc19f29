package tickets

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestDashboard: on-time response and close rates, overdue counts and satisfaction per
// handling tenant, department and handler, for the caller's subtree only; the overdue
// list. Both engines, over HTTP.
func TestDashboard(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		step := func(at time.Time, f func() (*ticketsv1.Ticket, error)) *ticketsv1.Ticket {
			t.Helper()
			h.clock.Set(at)
			tk, err := f()
			require.NoError(t, err)
			return tk
		}
		finish := func(name string, closeAt time.Time, satisfied bool, score int32) {
			t.Helper()
			step(closeAt, func() (*ticketsv1.Ticket, error) {
				return h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: name, Summary: "已办结"})
			})
			step(closeAt, func() (*ticketsv1.Ticket, error) {
				return h.client.VisitTicket(h.as(center), &ticketsv1.VisitTicketRequest{Name: name, Note: "电话回访"})
			})
			step(closeAt, func() (*ticketsv1.Ticket, error) {
				return h.client.RateTicket(h.as(center), &ticketsv1.RateTicketRequest{Name: name, Satisfied: satisfied, Score: score})
			})
		}
		work := func(sub, name string, at time.Time) {
			t.Helper()
			step(at, func() (*ticketsv1.Ticket, error) {
				return h.client.StartTicket(h.as(sub), &ticketsv1.StartTicketRequest{Ticket: name})
			})
			step(at, func() (*ticketsv1.Ticket, error) {
				return h.client.ReplyTicket(h.as(sub), &ticketsv1.ReplyTicketRequest{Ticket: name, Reply: "已处理"})
			})
		}
		claim := func(sub, name string, at time.Time) {
			t.Helper()
			step(at, func() (*ticketsv1.Ticket, error) {
				return h.client.ClaimTicket(h.as(sub), &ticketsv1.ClaimTicketRequest{Ticket: name})
			})
		}
		wed := cst(2026, time.November, 25, 10)
		// A: c01, claimed and closed on time, satisfied (5).
		a := h.dispatched("dash-a").GetName()
		claim(community, a, wed.Add(time.Hour))
		work(community, a, wed.Add(2*time.Hour))
		finish(a, cst(2026, time.November, 26, 10), true, 5)
		// B: c01, claimed late (the day after), never closed: overdue on 12-02.
		h.clock.Set(wed)
		b := h.dispatched("dash-b").GetName()
		claim(community, b, cst(2026, time.November, 26, 12))
		// C: c02 (物业办), claimed on time, closed late, unsatisfied (2).
		h.clock.Set(wed)
		c := h.create("dash-c").GetName()
		_, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{Name: c, AssigneeTenant: "ahz.s01.c02", AssigneeDepartment: "物业办"})
		require.NoError(t, err)
		claim(wrongComm, c, wed.Add(time.Hour))
		work(wrongComm, c, cst(2026, time.December, 1, 15))
		finish(c, cst(2026, time.December, 1, 16), false, 2)
		// D: received, never dispatched: handled by no one yet, not counted.
		h.clock.Set(wed)
		d := h.create("dash-d").GetName()
		h.clock.Set(cst(2026, time.December, 2, 10))

		stats := func(sub, parent string, group ticketsv1.StatsGroup) []*ticketsv1.TicketStatsRow {
			t.Helper()
			code, body := h.get(sub, "/v1/"+parent+"/tickets:stats?group_by="+group.String())
			require.Equal(t, http.StatusOK, code, string(body))
			var s ticketsv1.TicketStats
			require.NoError(t, protojson.Unmarshal(body, &s))
			return s.GetRows()
		}
		rows := stats(center, "tenants/ahz", ticketsv1.StatsGroup_STATS_GROUP_TENANT)
		require.Len(t, rows, 2)
		c01, c02 := rows[0], rows[1]
		require.Equal(t, "ahz.s01.c01", c01.GetTenant())
		require.Equal(t, []int64{2, 2, 1, 1, 1, 1, 1, 1}, []int64{c01.GetTotal(), c01.GetResponded(), c01.GetRespondedOnTime(),
			c01.GetClosed(), c01.GetClosedOnTime(), c01.GetOverdue(), c01.GetRated(), c01.GetSatisfied()})
		require.InDelta(t, 0.5, c01.GetResponseOnTimeRate(), 1e-9)
		require.InDelta(t, 1.0, c01.GetCloseOnTimeRate(), 1e-9)
		require.InDelta(t, 1.0, c01.GetSatisfiedRate(), 1e-9)
		require.InDelta(t, 5.0, c01.GetMeanScore(), 1e-9)
		require.Equal(t, "ahz.s01.c02", c02.GetTenant())
		require.Equal(t, []int64{1, 1, 1, 1, 0, 0, 1, 0}, []int64{c02.GetTotal(), c02.GetResponded(), c02.GetRespondedOnTime(),
			c02.GetClosed(), c02.GetClosedOnTime(), c02.GetOverdue(), c02.GetRated(), c02.GetSatisfied()})
		require.InDelta(t, 0.0, c02.GetCloseOnTimeRate(), 1e-9)
		require.InDelta(t, 2.0, c02.GetMeanScore(), 1e-9)

		rows = stats(street, "tenants/ahz.s01", ticketsv1.StatsGroup_STATS_GROUP_DEPARTMENT)
		require.Len(t, rows, 2)
		require.Equal(t, []string{"社区服务站", "物业办"}, []string{rows[0].GetDepartment(), rows[1].GetDepartment()})
		rows = stats(center, "tenants/ahz", ticketsv1.StatsGroup_STATS_GROUP_HANDLER)
		require.Len(t, rows, 2)
		require.Equal(t, []string{community, wrongComm}, []string{rows[0].GetHandler(), rows[1].GetHandler()})
		require.Equal(t, int64(2), rows[0].GetTotal())
		// A community sees only itself; a sibling street nothing of ahz.s01, and not ahz at all.
		rows = stats(wrongComm, "tenants/ahz.s01.c02", ticketsv1.StatsGroup_STATS_GROUP_TENANT)
		require.Len(t, rows, 1)
		require.Empty(t, stats(sibling, "tenants/ahz.s02", ticketsv1.StatsGroup_STATS_GROUP_TENANT))
		_, err = h.client.GetTicketStats(h.as(sibling), &ticketsv1.GetTicketStatsRequest{Parent: "tenants/ahz", GroupBy: ticketsv1.StatsGroup_STATS_GROUP_TENANT})
		apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		_, err = h.client.GetTicketStats(h.as(center), &ticketsv1.GetTicketStatsRequest{Parent: "tenants/ahz"})
		apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		// A window after everything was received: nothing.
		s, err := h.client.GetTicketStats(h.as(center), &ticketsv1.GetTicketStatsRequest{Parent: "tenants/ahz",
			GroupBy: ticketsv1.StatsGroup_STATS_GROUP_TENANT, StartTime: timestamppb.New(cst(2026, time.November, 26, 0))})
		require.NoError(t, err)
		require.Empty(t, s.GetRows())

		// The overdue list: B, and D that still waits for dispatch; the community sees B only.
		overdue := func(sub, parent string) []string {
			code, body := h.get(sub, "/v1/"+parent+"/tickets?overdue=true")
			require.Equal(t, http.StatusOK, code, string(body))
			var list ticketsv1.ListTicketsResponse
			require.NoError(t, protojson.Unmarshal(body, &list))
			var names []string
			for _, tk := range list.GetTickets() {
				names = append(names, tk.GetName())
			}
			return names
		}
		require.Equal(t, []string{b, d}, overdue(center, "tenants/ahz"))
		require.Equal(t, []string{b}, overdue(community, "tenants/ahz.s01.c01"))

		// A score outside 1–5 is refused.
		_, err = h.client.RateTicket(h.as(center), &ticketsv1.RateTicketRequest{Name: a, Score: 6})
		apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
}
