package tickets

import (
	"context"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// hardCase is a ticket the assignee cannot close within the category's normal limit
// (疑难件): the complainant is owed an explanation (情况说明) by ExplainDue, and the close
// clock runs to the category's longer hard-case limit. Until the explanation is given,
// its clock is swept like the others ("explain": reminders, then escalation).
type hardCase struct {
	Reason      string         `json:"reason"`
	Clock       calendar.Clock `json:"clock"` // the explanation's clock, from intake
	ExplainDue  calendar.Due   `json:"explain_due"`
	Explanation string         `json:"explanation,omitempty"`
	Explained   time.Time      `json:"explained,omitzero"`
}

// orDefault is d, or def when d is unset (settings written before the field existed).
func orDefault(d, def calendar.Duration) calendar.Duration {
	if d == (calendar.Duration{}) {
		return def
	}
	return d
}

// MarkHardCase flags a ticket in hand as a hard case: its close limit becomes the
// category's hard-case limit, counted from intake like the original one, and an
// explanation falls due by the category's explanation limit.
func (s *service) MarkHardCase(ctx context.Context, r *ticketsv1.MarkHardCaseRequest) (*ticketsv1.Ticket, error) {
	if err := text("reason", r.GetReason(), true, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), "tickets.MarkHardCase", s.asAssignee(ctx), func(tk *ticket, _ time.Time) error {
		if err := inState(tk, "标记疑难件", ticketsv1.State_STATE_CLAIMED, ticketsv1.State_STATE_IN_PROGRESS); err != nil {
			return err
		}
		if tk.Hard != nil {
			return ErrAlreadyHard
		}
		def := DefaultSLA()
		sla, ok := s.settings.For(tk.Tenant).Categories[tk.Category]
		if !ok {
			sla = def
		}
		// Both clocks count from intake; change computes the new deadlines (computeDues).
		tk.CloseClock.Limit = orDefault(sla.HardClose, def.HardClose)
		tk.Hard = &hardCase{Reason: r.GetReason(), Clock: calendar.NewClock(tk.CloseClock.Start, orDefault(sla.Explain, def.Explain))}
		return nil
	})
}

// ExplainTicket records the explanation given to a hard case's complainant, once, and
// tells the source like a status change.
func (s *service) ExplainTicket(ctx context.Context, r *ticketsv1.ExplainTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("explanation", r.GetExplanation(), true, 5000); err != nil {
		return nil, err
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), "tickets.ExplainTicket", s.asAssignee(ctx), func(tk *ticket, now time.Time) error {
		switch {
		case tk.Hard == nil:
			return ErrNotHardCase
		case tk.Hard.Explanation != "":
			return ErrAlreadyExplained
		case !tk.open():
			return ErrIllegalTransition.WithMessage("工单已办结，不能再提交情况说明")
		}
		tk.Hard.Explanation, tk.Hard.Explained = r.GetExplanation(), now
		return nil
	}, func(ctx context.Context, tk *ticket, _ time.Time) error { return s.notify(ctx, tk) })
}
