package tickets

import (
	"context"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// backfillPage is how many tickets one step of the complainant backfill reads.
const backfillPage = 500

// backfillComplainantOrgs copies the complainant's credit code out of the sealed record
// into complainant_org for the tickets stored before that column (migration 00004), so
// an enterprise's tickets list finds them. SQL cannot do it in the migration: the
// complainant is sealed. It walks the unfilled rows (NULL, a partial index) by key, a page
// at a time; each update is one statement that fills a row only while it is unfilled, so
// it can stop anywhere and start again. Nothing in the record changes, so there is no
// revision or audit record. It runs on the leader, once, and then waits for the service
// to stop.
func (s *service) backfillComplainantOrgs(ctx context.Context) error {
	n, err := s.st.fillComplainantOrgs(ctx)
	if err != nil {
		return err // the leader's loop tries again after a pause
	}
	if n > 0 {
		s.log.Info("tickets: complainants' credit codes filled in from the tickets' records", "tickets", n)
	}
	<-ctx.Done()
	return nil
}

// fillComplainantOrgs is one pass of the backfill: how many tickets it filled.
func (s *store) fillComplainantOrgs(ctx context.Context) (int, error) {
	done := 0
	afterTenant, afterID := "", ""
	for ctx.Err() == nil {
		list, err := sqlstore.QueryAll(ctx, s.db, s.scan, `SELECT `+ticketColumns+` FROM tickets WHERE complainant_org IS NULL
			AND (tenant > $1 OR (tenant = $1 AND id > $2)) ORDER BY tenant, id LIMIT $3`, afterTenant, afterID, backfillPage)
		if err != nil || len(list) == 0 {
			return done, err
		}
		for _, tk := range list {
			afterTenant, afterID = string(tk.Tenant), tk.ID
			res, err := s.db.Exec(ctx, `UPDATE tickets SET complainant_org = $1 WHERE tenant = $2 AND id = $3 AND complainant_org IS NULL`,
				tk.Complainant.CreditCode, string(tk.Tenant), tk.ID)
			if err != nil {
				return done, err
			}
			if n, err := res.RowsAffected(); err != nil {
				return done, err
			} else if n == 1 {
				done++
			}
		}
	}
	return done, ctx.Err()
}
