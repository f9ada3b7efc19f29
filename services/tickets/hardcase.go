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
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), markHardCaseCmd{Reason: r.GetReason()})
}

// ExplainTicket records the explanation given to a hard case's complainant, once, and
// tells the source like a status change.
func (s *service) ExplainTicket(ctx context.Context, r *ticketsv1.ExplainTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("explanation", r.GetExplanation(), true, 5000); err != nil {
		return nil, err
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), explainCmd{Explanation: r.GetExplanation()})
}
