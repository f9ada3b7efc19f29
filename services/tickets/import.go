package tickets

import (
	"context"
	"fmt"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// MaxBatch is the most tickets one BatchCreateTickets call takes.
const MaxBatch = 100

// ErrBatchTooLarge refuses an oversized batch before any item is received.
var ErrBatchTooLarge = errs.New(errs.InvalidArgument, "BATCH_TOO_LARGE", fmt.Sprintf("一次最多导入 %d 件", MaxBatch))

// BatchCreateTickets receives a backlog (存量导入) item by item: each exactly as
// CreateTicket, in its own transaction, so a bad item fails alone with its error and a
// resent batch returns the tickets made the first time.
func (s *service) BatchCreateTickets(ctx context.Context, r *ticketsv1.BatchCreateTicketsRequest) (*ticketsv1.BatchCreateTicketsResponse, error) {
	if _, err := parseParent(r.GetParent()); err != nil {
		return nil, err
	}
	switch n := len(r.GetTickets()); {
	case n == 0:
		return nil, errs.Invalid("tickets", "REQUIRED", "tickets 不能为空")
	case n > MaxBatch:
		return nil, ErrBatchTooLarge.WithMessage("一次最多导入 %d 件，本次 %d 件", MaxBatch, n).
			WithField("tickets", "BATCH_TOO_LARGE", fmt.Sprintf("最多 %d 件", MaxBatch))
	}
	resp := &ticketsv1.BatchCreateTicketsResponse{}
	for i, in := range r.GetTickets() {
		res := &ticketsv1.BatchCreateTicketResult{Index: int32(i)}
		tk, err := s.CreateTicket(ctx, &ticketsv1.CreateTicketRequest{Parent: r.GetParent(), Ticket: in})
		switch {
		case err == nil:
			res.Ticket = tk
		case ctx.Err() != nil:
			return nil, err
		default:
			res.Error = errs.Proto(ctx, err)
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}
