package tickets

import (
	"context"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// update is one public status change of a ticket (a row of ticket_updates): what the
// Open311 servicerequestupdates feed serves.
type update struct {
	TicketID    string
	Revision    int64
	State       ticketsv1.State
	Description string
	At          time.Time
}

// publicNote is what the complainant's side is told about tk's new state.
func publicNote(tk *ticket) string {
	switch {
	case tk.MergedInto != "":
		return tk.CloseSummary
	case tk.State == ticketsv1.State_STATE_REPLIED:
		return tk.Reply
	case tk.State == ticketsv1.State_STATE_CLOSED:
		return tk.CloseSummary
	case tk.State == ticketsv1.State_STATE_RECEIVED && tk.ReturnCount > 0:
		return "已退回重新派单"
	case tk.State == ticketsv1.State_STATE_DISPATCHED:
		return "已派单至" + tk.AssigneeDept
	}
	return "工单" + stateLabel[tk.State]
}

// addUpdate records tk's current state as a public status change (same transaction as
// the change).
func (s *store) addUpdate(ctx context.Context, tk *ticket) error {
	_, err := s.db.Exec(ctx, `INSERT INTO ticket_updates (tenant, ticket_id, revision, state, description, update_us)
		VALUES ($1, $2, $3, $4, $5, $6)`, string(tk.Tenant), tk.ID, tk.Revision, int64(tk.State), publicNote(tk), tk.Updated.UnixMicro())
	return err
}

// updates lists t's status changes made in [from, to), oldest first, after the position
// (afterUs, afterID, afterRev), at most limit.
func (s *store) updates(ctx context.Context, t tenancy.ID, from, to time.Time, afterUs int64, afterID string, afterRev int64, limit int) ([]update, error) {
	return sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (update, error) {
		var u update
		var state, at int64
		if err := row.Scan(&u.TicketID, &u.Revision, &state, &u.Description, &at); err != nil {
			return u, err
		}
		u.State, u.At = ticketsv1.State(state), time.UnixMicro(at).UTC()
		return u, nil
	}, `SELECT ticket_id, revision, state, description, update_us FROM ticket_updates
		WHERE tenant = $1 AND update_us >= $2 AND update_us < $3
		AND (update_us > $4 OR (update_us = $4 AND (ticket_id > $5 OR (ticket_id = $5 AND revision > $6))))
		ORDER BY update_us, ticket_id, revision LIMIT $7`,
		string(t), from.UnixMicro(), to.UnixMicro(), afterUs, afterID, afterRev, limit)
}
