package tickets

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestBadInputChangesNothing: each bad input of the list gets its stable code, and
// no ticket, revision, audit record or outbox event changes. Both engines.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		// claimed: dispatched to c01 and claimed. visited: closed and visited, waiting for a
		// rating. rated: rated satisfied. received: waiting for dispatch.
		claimed := h.dispatched("bad-claimed")
		claimed, err := h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: claimed.GetName()})
		require.NoError(t, err)
		through := func(ext string) string {
			name := h.dispatched(ext).GetName()
			for _, f := range []func() error{
				func() error {
					_, err := h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name})
					return err
				},
				func() error {
					_, err := h.client.StartTicket(h.as(community), &ticketsv1.StartTicketRequest{Ticket: name})
					return err
				},
				func() error {
					_, err := h.client.ReplyTicket(h.as(community), &ticketsv1.ReplyTicketRequest{Ticket: name, Reply: "已答复"})
					return err
				},
				func() error {
					_, err := h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: name, Summary: "办结"})
					return err
				},
				func() error {
					_, err := h.client.VisitTicket(h.as(center), &ticketsv1.VisitTicketRequest{Name: name, Note: "回访"})
					return err
				},
			} {
				require.NoError(t, f())
			}
			return name
		}
		visited := through("bad-visited")
		rated := through("bad-rated")
		_, err = h.client.RateTicket(h.as(center), &ticketsv1.RateTicketRequest{Name: rated, Satisfied: true, Score: 4})
		require.NoError(t, err)
		received := h.create("bad-received").GetName()
		mine, err := h.client.CreateTicket(h.as(street), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s01", Ticket: &ticketsv1.Ticket{
			Source: ticketsv1.Source_SOURCE_WALK_IN, Category: "general", Title: "噪音", Description: "夜间施工"}})
		require.NoError(t, err)
		theirs, err := h.client.CreateTicket(h.as(sibling), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s02", Ticket: &ticketsv1.Ticket{
			Source: ticketsv1.Source_SOURCE_WALK_IN, Category: "general", Title: "噪音", Description: "夜间施工"}})
		require.NoError(t, err)

		unknown := hotlineTicket("bad-category")
		unknown.Category = "ufo"
		cases := []struct {
			name   string
			call   func() error
			code   codes.Code
			stable string
		}{
			{"unknown category", func() error {
				_, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: unknown})
				return err
			}, codes.InvalidArgument, "UNKNOWN_CATEGORY"},
			{"dispatch outside the dispatcher's subtree", func() error {
				_, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{Name: received, AssigneeTenant: "bhz.s01", AssigneeDepartment: "城管"})
				return err
			}, codes.InvalidArgument, "DISPATCH_OUTSIDE_SUBTREE"},
			{"claim of a claimed ticket", func() error {
				_, err := h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: claimed.GetName()})
				return err
			}, codes.FailedPrecondition, "ILLEGAL_TRANSITION"},
			{"reply without content", func() error {
				_, err := h.client.ReplyTicket(h.as(community), &ticketsv1.ReplyTicketRequest{Ticket: claimed.GetName(), Reply: "  "})
				return err
			}, codes.InvalidArgument, "INVALID_ARGUMENT"},
			{"close without a summary", func() error {
				_, err := h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: claimed.GetName()})
				return err
			}, codes.InvalidArgument, "INVALID_ARGUMENT"},
			{"rating twice", func() error {
				_, err := h.client.RateTicket(h.as(center), &ticketsv1.RateTicketRequest{Name: rated, Satisfied: false})
				return err
			}, codes.FailedPrecondition, "ILLEGAL_TRANSITION"},
			{"rating by the handling community", func() error {
				_, err := h.client.RateTicket(h.as(community), &ticketsv1.RateTicketRequest{Name: visited, Satisfied: true})
				return err
			}, codes.PermissionDenied, "PERMISSION_DENIED"},
			{"rating by another street", func() error {
				_, err := h.client.RateTicket(h.as(sibling), &ticketsv1.RateTicketRequest{Name: visited, Satisfied: true})
				return err
			}, codes.PermissionDenied, "PERMISSION_DENIED"},
			{"stale version", func() error {
				_, err := h.client.StartTicket(h.as(community), &ticketsv1.StartTicketRequest{Ticket: claimed.GetName(), Etag: "2"})
				return err
			}, codes.Aborted, "STALE_VERSION"},
			{"merge into a ticket of a tenant the caller cannot see", func() error {
				_, err := h.client.MergeTicket(h.as(street), &ticketsv1.MergeTicketRequest{Name: mine.GetName(), Into: theirs.GetName()})
				return err
			}, codes.PermissionDenied, "MERGE_NOT_VISIBLE"},
			{"extension requested after expiry", func() error {
				h.clock.Set(cst(2026, time.December, 4, 9))
				_, err := h.client.RequestExtension(h.as(community), &ticketsv1.RequestExtensionRequest{Ticket: claimed.GetName(), WorkingDays: 2, Reason: "需核查"})
				return err
			}, codes.FailedPrecondition, "EXTENSION_AFTER_EXPIRY"},
		}
		snapshot := func() []int {
			return []int{h.count(`SELECT COUNT(*) FROM tickets`), h.count(`SELECT SUM(revision) FROM tickets`),
				h.count(`SELECT COUNT(*) FROM outbox_events`), h.count(`SELECT COUNT(*) FROM ticket_updates`),
				h.auditCount(district), h.auditCount("ahz.s01"), h.auditCount("ahz.s02")}
		}
		for _, c := range cases {
			before := snapshot()
			err := c.call()
			code, stable := apptest.Code(err)
			require.Equal(t, c.code, code, "%s: %v", c.name, err)
			require.Equal(t, c.stable, stable, "%s: %v", c.name, err)
			require.Equal(t, before, snapshot(), "%s changed something", c.name)
		}
	})
}
