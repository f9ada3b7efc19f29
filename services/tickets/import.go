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
// CreateTicket, in its own transaction (a savepoint of the call's, under an idempotency
// key), so a bad item fails alone with its error and a resent item or batch returns the
// tickets made the first time. Every item is checked, attachments with the documents
// service too, before any is stored: no network call runs inside a transaction.
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
	prepared := make([]*intake, len(r.GetTickets()))
	for i, in := range r.GetTickets() {
		res := &ticketsv1.BatchCreateTicketResult{Index: int32(i)}
		resp.Results = append(resp.Results, res)
		var err error
		if prepared[i], err = s.prepareIntake(ctx, &ticketsv1.CreateTicketRequest{Parent: r.GetParent(), Ticket: in}); err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			res.Error = errs.Proto(ctx, err)
		}
	}
	for i, in := range prepared {
		if in == nil {
			continue
		}
		tk, err := s.storeIntake(ctx, in)
		switch {
		case err == nil:
			resp.Results[i].Ticket = tk
		case ctx.Err() != nil:
			return nil, err
		default:
			resp.Results[i].Error = errs.Proto(ctx, err)
		}
	}
	return resp, nil
}
