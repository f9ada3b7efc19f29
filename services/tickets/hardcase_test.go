package tickets

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestHardCase: a hard case (疑难件) flagged by the assignee keeps its intake as the start
// of both clocks: the explanation falls due 3 working days after intake, the close
// deadline moves to 15 working days; the explanation is recorded once and goes back to
// the source. Flagging twice, explaining a normal ticket, explaining twice, or flagging
// as someone else are refused and change nothing. Both engines.
func TestHardCase(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		normal := h.dispatched("12345-normal")
		_, err := h.client.ExplainTicket(h.as(community), &ticketsv1.ExplainTicketRequest{Ticket: normal.GetName(), Explanation: "说明"})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "NOT_HARD_CASE")

		tk := h.dispatched("12345-hard")
		_, err = h.client.MarkHardCase(h.as(community), &ticketsv1.MarkHardCaseRequest{Ticket: tk.GetName(), Reason: "涉及多部门"})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION") // not yet claimed
		tk, err = h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag()})
		require.NoError(t, err)
		_, err = h.client.MarkHardCase(h.as(community), &ticketsv1.MarkHardCaseRequest{Ticket: tk.GetName(), Etag: tk.GetEtag()})
		apptest.RequireField(t, err, "reason", "REQUIRED")
		_, err = h.client.MarkHardCase(h.as(wrongComm), &ticketsv1.MarkHardCaseRequest{Ticket: tk.GetName(), Reason: "x"})
		apptest.RequireCode(t, err, codes.PermissionDenied, "NOT_ASSIGNEE")
		audits := h.auditCount(district)

		// Received Wednesday 2026-11-25 10:00: 3 working days run out with Monday 11-30,
		// 15 with Wednesday 12-16.
		tk, err = h.client.MarkHardCase(h.as(community), &ticketsv1.MarkHardCaseRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), Reason: "涉及规划、城管多部门，需协调"})
		require.NoError(t, err)
		require.True(t, tk.GetHardCase())
		require.Equal(t, "涉及规划、城管多部门，需协调", tk.GetHardReason())
		require.True(t, tk.GetExplainDue().AsTime().Equal(cst(2026, time.December, 1, 0)), tk.GetExplainDue().AsTime())
		require.True(t, tk.GetCloseDue().AsTime().Equal(cst(2026, time.December, 17, 0)), tk.GetCloseDue().AsTime())
		require.Equal(t, audits+1, h.auditCount(district))
		_, err = h.client.MarkHardCase(h.as(community), &ticketsv1.MarkHardCaseRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), Reason: "再标"})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ALREADY_HARD_CASE")

		events := h.count(`SELECT COUNT(*) FROM outbox_events`)
		h.clock.Set(cst(2026, time.November, 27, 15))
		tk, err = h.client.ExplainTicket(h.as(community), &ticketsv1.ExplainTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(),
			Explanation: "已联系规划、城管部门现场会商，预计 12 月中旬前答复"})
		require.NoError(t, err)
		require.Equal(t, "已联系规划、城管部门现场会商，预计 12 月中旬前答复", tk.GetExplanation())
		require.True(t, tk.GetExplainTime().AsTime().Equal(cst(2026, time.November, 27, 15)))
		require.Equal(t, events+1, h.count(`SELECT COUNT(*) FROM outbox_events`), "the source hears the explanation")
		var payload map[string]any
		var raw string
		require.NoError(t, h.srv.svc.db.QueryRow(t.Context(), `SELECT payload FROM outbox_events ORDER BY created_us DESC LIMIT 1`).Scan(&raw))
		require.NoError(t, json.Unmarshal([]byte(raw), &payload))
		require.Equal(t, true, payload["hard_case"])
		require.Equal(t, tk.GetExplanation(), payload["explanation"])

		_, err = h.client.ExplainTicket(h.as(community), &ticketsv1.ExplainTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), Explanation: "再说明"})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ALREADY_EXPLAINED")
		got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: tk.GetName()})
		require.NoError(t, err)
		require.Equal(t, tk.GetEtag(), got.GetEtag(), "refusals changed nothing")

		// A hard case left unexplained: the sweep reminds at 50/75 % of the explanation
		// limit and escalates one tier up at 100 %, while the longer close clock is far
		// from its first threshold; the explained one above gets no explanation alerts.
		silent := h.dispatched("12345-hard-silent")
		silent, err = h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: silent.GetName(), Etag: silent.GetEtag()})
		require.NoError(t, err)
		_, err = h.client.MarkHardCase(h.as(community), &ticketsv1.MarkHardCaseRequest{Ticket: silent.GetName(), Etag: silent.GetEtag(), Reason: "需多部门会商"})
		require.NoError(t, err)
		alerts := func(name, clock string) int {
			return h.count(`SELECT COUNT(*) FROM ticket_alerts WHERE ticket_id = $1 AND clock = $2`, name[len("tenants/ahz/tickets/"):], clock)
		}
		// Received Friday 11-27 (the clock was moved): the explanation is due by 12-02.
		_, err = h.srv.svc.sweep(context.Background(), cst(2026, time.December, 4, 9), false)
		require.NoError(t, err)
		require.Equal(t, 3, alerts(silent.GetName(), "explain"))
		require.Zero(t, alerts(silent.GetName(), "close"))
		require.Zero(t, alerts(tk.GetName(), "explain"))
		got, err = h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: silent.GetName()})
		require.NoError(t, err)
		require.Equal(t, "ahz.s01", got.GetEscalatedTo())
	})
}
