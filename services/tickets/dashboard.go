package tickets

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// groupColumns is the SQL grouping of each dashboard row kind: written here, never taken
// from the request.
var groupColumns = map[ticketsv1.StatsGroup]string{
	ticketsv1.StatsGroup_STATS_GROUP_TENANT:     `assignee_tenant, '', ''`,
	ticketsv1.StatsGroup_STATS_GROUP_DEPARTMENT: `assignee_tenant, assignee_dept, ''`,
	ticketsv1.StatsGroup_STATS_GROUP_HANDLER:    `assignee_tenant, '', handler`,
}

var groupBy = map[ticketsv1.StatsGroup]string{
	ticketsv1.StatsGroup_STATS_GROUP_TENANT:     `assignee_tenant`,
	ticketsv1.StatsGroup_STATS_GROUP_DEPARTMENT: `assignee_tenant, assignee_dept`,
	ticketsv1.StatsGroup_STATS_GROUP_HANDLER:    `assignee_tenant, handler`,
}

// MaxStatsWindow is the longest window one GetTicketStats call covers (a missing start or
// end is filled in from the other, or from now): a year and a day, so a calendar year
// with a leap day fits.
const MaxStatsWindow = 366 * 24 * time.Hour

// GetTicketStats aggregates the tickets handled (assigned) in the parent's subtree and
// received in the window, in one query over the columns copied out of each ticket,
// through the (assignee_tenant, create_us) index.
func (s *service) GetTicketStats(ctx context.Context, r *ticketsv1.GetTicketStatsRequest) (*ticketsv1.TicketStats, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	cols, ok := groupColumns[r.GetGroupBy()]
	if !ok {
		return nil, errs.Invalid("group_by", "INVALID_GROUP_BY", "请选择按单位、部门或承办人统计")
	}
	now := s.now()
	from, to, err := page.Window(r.GetStartTime(), r.GetEndTime(), now, MaxStatsWindow)
	if err != nil {
		return nil, err
	}
	rows, err := s.st.stats(ctx, t, cols, groupBy[r.GetGroupBy()], from.UnixMicro(), to.UnixMicro(), now)
	if err != nil {
		return nil, err
	}
	return &ticketsv1.TicketStats{Rows: rows, AsOf: timestamppb.New(now)}, nil
}

// statsSQL is the dashboard's query over the tickets handled in t's subtree ($1, $2),
// received in [$3, $4), overdue at $5; cols and group come from groupColumns and groupBy.
func statsSQL(t tenancy.ID, cols, group string) (string, []any) {
	handled, args := t.SubtreeSQL("assignee_tenant", 1)
	return `SELECT ` + cols + `, COUNT(*),
		SUM(CASE WHEN responded_us > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN responded_us > 0 AND responded_us <= response_due_us THEN 1 ELSE 0 END),
		SUM(CASE WHEN closed_us > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN closed_us > 0 AND closed_us <= close_due_us THEN 1 ELSE 0 END),
		SUM(CASE WHEN state < 6 AND close_due_us < $5 THEN 1 ELSE 0 END),
		SUM(CASE WHEN rated > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN rated = 2 THEN 1 ELSE 0 END),
		SUM(CASE WHEN score > 0 THEN 1 ELSE 0 END),
		SUM(CAST(score AS INTEGER))
		FROM tickets WHERE ` + handled + ` AND create_us >= $3 AND create_us < $4
		GROUP BY ` + group + ` ORDER BY ` + group, args
}

// stats runs statsSQL.
func (s *store) stats(ctx context.Context, t tenancy.ID, cols, group string, from, to int64, now time.Time) ([]*ticketsv1.TicketStatsRow, error) {
	q, args := statsSQL(t, cols, group)
	return sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (*ticketsv1.TicketStatsRow, error) {
		var r ticketsv1.TicketStatsRow
		var scored, scoreSum int64
		if err := row.Scan(&r.Tenant, &r.Department, &r.Handler, &r.Total, &r.Responded, &r.RespondedOnTime,
			&r.Closed, &r.ClosedOnTime, &r.Overdue, &r.Rated, &r.Satisfied, &scored, &scoreSum); err != nil {
			return nil, err
		}
		r.ResponseOnTimeRate = share(r.RespondedOnTime, r.Responded)
		r.CloseOnTimeRate = share(r.ClosedOnTime, r.Closed)
		r.SatisfiedRate = share(r.Satisfied, r.Rated)
		r.MeanScore = share(scoreSum, scored)
		return &r, nil
	}, q, append(args, from, to, now.UnixMicro())...)
}

func share(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
