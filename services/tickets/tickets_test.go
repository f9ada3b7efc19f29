package tickets

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestIntakeIdempotent: a 12345 ticket posted three times over HTTP with the same
// external id exists once, with one creation webhook; the number is T-YYYYMMDD-NNNNNN;
// the complainant is masked; bad input is refused and creates nothing. Both engines.
func TestIntakeIdempotent(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		var names []string
		for range 3 {
			code, body := h.post(hotline, "/v1/tenants/ahz/tickets", hotlineTicket("12345-2026-0001"))
			require.Equal(t, http.StatusOK, code, string(body))
			var tk ticketsv1.Ticket
			require.NoError(t, protojson.Unmarshal(body, &tk))
			names = append(names, tk.GetName())
			require.Equal(t, "张**", tk.GetComplainant().GetName())
			require.Equal(t, "138****5678", tk.GetComplainant().GetPhone())
			require.Zero(t, h.count(`SELECT COUNT(*) FROM tickets WHERE data LIKE '%5678%' OR data LIKE '%张%'`),
				"the complainant is sealed at rest, never stored in clear")
			require.Equal(t, ticketsv1.State_STATE_RECEIVED, tk.GetState())
			require.NotNil(t, tk.GetResponseDue())
			require.NotNil(t, tk.GetCloseDue())
		}
		require.Equal(t, "tenants/ahz/tickets/T-20261125-000001", names[0])
		require.Equal(t, names[0], names[1])
		require.Equal(t, names[0], names[2])
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM tickets`))
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM outbox_events`))

		// Resends racing each other still make one ticket.
		var wg sync.WaitGroup
		raced := make([]string, 4)
		for i := range raced {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: hotlineTicket("12345-2026-race")})
				if err == nil {
					raced[i] = tk.GetName()
				}
			}()
		}
		wg.Wait()
		for _, n := range raced {
			require.Equal(t, raced[0], n)
		}
		// Numbers increase; on PostgreSQL they may skip (sqlstore.NextSeq reserves blocks).
		require.Greater(t, raced[0], names[0])
		require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM tickets`))

		// Another external id gets the next number of the day.
		second := h.create("12345-2026-0002")
		require.Greater(t, second.GetName(), raced[0])

		bad := []struct {
			name   string
			mutate func(tk *ticketsv1.Ticket)
			code   string
		}{
			{"unknown category", func(tk *ticketsv1.Ticket) { tk.Category = "ufo" }, "UNKNOWN_CATEGORY"},
			{"bad credit code", func(tk *ticketsv1.Ticket) { tk.Complainant.CreditCode = "91350100M000100Y44" }, "INVALID_CREDIT_CODE"},
			{"unknown source", func(tk *ticketsv1.Ticket) { tk.Source = 99 }, "INVALID_ARGUMENT"},
			{"no title", func(tk *ticketsv1.Ticket) { tk.Title = " " }, "INVALID_ARGUMENT"},
		}
		for _, c := range bad {
			tk := hotlineTicket("12345-bad")
			c.mutate(tk)
			_, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: tk})
			require.Error(t, err, c.name)
			code, stable := apptest.Code(err)
			require.Equal(t, codes.InvalidArgument, code, c.name)
			if c.code != "INVALID_ARGUMENT" {
				require.Equal(t, c.code, stable, c.name)
			}
		}
		require.Equal(t, 3, h.count(`SELECT COUNT(*) FROM tickets`))
		require.Equal(t, 3, h.count(`SELECT COUNT(*) FROM outbox_events`))
	})
}

// TestLoop runs the 12345 loop from intake to an unsatisfied rating and reopening; the
// source receives one signed webhook per public state change, none twice. Illegal
// transitions and stale versions change nothing. Both engines.
func TestLoop(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		ctx := context.Background()
		tk := h.dispatched("12345-loop")
		name := tk.GetName()
		require.Equal(t, ticketsv1.State_STATE_DISPATCHED, tk.GetState())

		// Illegal: closing before any reply; a stale etag. Nothing changes.
		auditBefore := h.auditCount(district)
		_, err := h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: name, Etag: tk.GetEtag(), Summary: "已办结"})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
		_, err = h.client.StartTicket(h.as(community), &ticketsv1.StartTicketRequest{Ticket: name, Etag: tk.GetEtag()})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
		_, err = h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name, Etag: "1"})
		apptest.RequireCode(t, err, codes.Aborted, "STALE_VERSION")
		again, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: name})
		require.NoError(t, err)
		require.Equal(t, tk.GetEtag(), again.GetEtag())
		require.Equal(t, ticketsv1.State_STATE_DISPATCHED, again.GetState())
		require.Equal(t, auditBefore, h.auditCount(district))

		h.clock.Set(cst(2026, time.November, 25, 11))
		tk, err = h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name, Etag: tk.GetEtag()})
		require.NoError(t, err)
		require.Equal(t, community, tk.GetAssigneeHandler())
		require.NotNil(t, tk.GetResponseTime())
		// A claimed ticket cannot be claimed again.
		_, err = h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")

		// A supervisor's urging is recorded and raises the priority, without a webhook.
		tk, err = h.client.UrgeTicket(h.as(overseer), &ticketsv1.UrgeTicketRequest{Name: name, Etag: tk.GetEtag(), Note: "请加快办理"})
		require.NoError(t, err)
		require.Equal(t, int32(1), tk.GetUrgeCount())
		// The supervisor urges but cannot handle: every write stays denied.
		_, err = h.client.StartTicket(h.as(overseer), &ticketsv1.StartTicketRequest{Ticket: name, Etag: tk.GetEtag()})
		require.Contains(t, []codes.Code{codes.PermissionDenied, codes.FailedPrecondition}, status.Code(err), "%v", err)
		require.Equal(t, ticketsv1.Priority_PRIORITY_HIGH, tk.GetPriority())

		tk, err = h.client.StartTicket(h.as(community), &ticketsv1.StartTicketRequest{Ticket: name, Etag: tk.GetEtag()})
		require.NoError(t, err)
		// Reply needs content.
		_, err = h.client.ReplyTicket(h.as(community), &ticketsv1.ReplyTicketRequest{Ticket: name, Etag: tk.GetEtag()})
		apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		tk, err = h.client.ReplyTicket(h.as(community), &ticketsv1.ReplyTicketRequest{Ticket: name, Etag: tk.GetEtag(), Reply: "已与窗口核实，材料一次性告知。"})
		require.NoError(t, err)
		// Closing is the owner's (the centre's), not the community's.
		_, err = h.client.CloseTicket(h.as(community), &ticketsv1.CloseTicketRequest{Name: name, Summary: "办结"})
		apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		tk, err = h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: name, Etag: tk.GetEtag(), Summary: "办结"})
		require.NoError(t, err)
		tk, err = h.client.VisitTicket(h.as(center), &ticketsv1.VisitTicketRequest{Name: name, Etag: tk.GetEtag(), Note: "电话回访"})
		require.NoError(t, err)
		tk, err = h.client.RateTicket(h.as(center), &ticketsv1.RateTicketRequest{Name: name, Etag: tk.GetEtag(), Satisfied: false, Comment: "仍未解决"})
		require.NoError(t, err)
		require.Equal(t, ticketsv1.State_STATE_RATED, tk.GetState())
		// Rating twice is refused.
		_, err = h.client.RateTicket(h.as(center), &ticketsv1.RateTicketRequest{Name: name, Satisfied: true})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
		// Unsatisfied: reopened, back with the same assignee.
		tk, err = h.client.ReopenTicket(h.as(center), &ticketsv1.ReopenTicketRequest{Name: name, Etag: tk.GetEtag(), Reason: "群众不满意"})
		require.NoError(t, err)
		require.Equal(t, ticketsv1.State_STATE_IN_PROGRESS, tk.GetState())
		require.Equal(t, "ahz.s01.c01", tk.GetAssigneeTenant())

		want := []string{"STATE_RECEIVED", "STATE_DISPATCHED", "STATE_CLAIMED", "STATE_IN_PROGRESS", "STATE_REPLIED",
			"STATE_CLOSED", "STATE_VISITED", "STATE_RATED", "STATE_IN_PROGRESS"}
		require.Equal(t, len(want), h.count(`SELECT COUNT(*) FROM outbox_events`))
		require.Eventually(t, func() bool { return len(h.hook.states(name)) >= len(want) }, 15*time.Second, 20*time.Millisecond)
		require.ElementsMatch(t, want, h.hook.states(name))
		ids := h.hook.ids()
		seen := map[string]bool{}
		for _, id := range ids {
			require.False(t, seen[id], "delivery %s received twice", id)
			seen[id] = true
		}

		// Every change is in the tenant's hash-chained audit log.
		recs, _, err := audit.List(ctx, h.srv.svc.db, district, audit.ListOptions{Resource: name, PageSize: 100})
		require.NoError(t, err)
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.GetAction())
		}
		require.ElementsMatch(t, []string{"tickets.CreateTicket", "tickets.DispatchTicket", "tickets.ClaimTicket",
			"tickets.UrgeTicket", "tickets.StartTicket", "tickets.ReplyTicket", "tickets.CloseTicket", "tickets.VisitTicket",
			"tickets.RateTicket", "tickets.ReopenTicket"}, actions)
		report, err := audit.Verify(ctx, h.srv.svc.db, district)
		require.NoError(t, err)
		require.Empty(t, report.Problems)

		// The reopened ticket's fresh close clock has crossings of its own.
		n, err := h.srv.svc.sweep(ctx, cst(2026, time.December, 2, 9), false)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: name})
		require.NoError(t, err)
		require.Len(t, got.GetAlerts(), 3)
		for _, a := range got.GetAlerts() {
			require.Equal(t, "close#2", a.GetClock())
		}
	})
}
