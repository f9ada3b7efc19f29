package tickets

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// sweepRows is how many open tickets BenchmarkSweep1M loads (go test -bench Sweep1M
// -sweep-rows=10000 for a quick run).
var sweepRows = flag.Int("sweep-rows", 1_000_000, "open tickets BenchmarkSweep1M bulk-loads")

// bulkLoad inserts n open, dispatched tickets straight into PostgreSQL with one INSERT …
// SELECT generate_series (not through the API): 100 communities of ahz.s01, all received
// at now; the first due have their next check at now, the rest in a week.
func bulkLoad(t testing.TB, svc *service, n, due int, now time.Time) {
	t.Helper()
	tk := &ticket{Source: ticketsv1.Source_SOURCE_HOTLINE_12345, Category: "general", Title: "批量", Description: "批量导入",
		State: ticketsv1.State_STATE_DISPATCHED, Priority: ticketsv1.Priority_PRIORITY_NORMAL, AssigneeDept: "社区服务站",
		ResponseClock: calendar.NewClock(now, DefaultSLA().Response), CloseClock: calendar.NewClock(now, DefaultSLA().Close),
		Created: now, Updated: now}
	require.NoError(t, svc.computeDues(tk, now))
	data, err := json.Marshal(tk) // no complainant: nothing to seal
	require.NoError(t, err)
	ctx := context.Background()
	_, err = svc.db.Exec(ctx, `INSERT INTO tickets (tenant, id, source, external_id, state, assignee_tenant, close_due_us,
		next_check_us, create_us, update_us, revision, data, assignee_dept, handler, response_due_us, responded_us, closed_us, rated, score)
		SELECT 'ahz.s01.c' || lpad((g % 100)::text, 3, '0'), 'T-20261125-' || lpad((g / 100)::text, 6, '0'), 1, '', 2,
			'ahz.s01.c' || lpad((g % 100)::text, 3, '0'), $1::bigint,
			CASE WHEN g < $2 THEN $3::bigint ELSE $4::bigint END, $3::bigint, $3::bigint, 1, $5, '社区服务站', '', $6::bigint, 0, 0, 0, 0
		FROM generate_series(0, $7 - 1) AS g`,
		tk.CloseDue.At.UnixMicro(), due, now.UnixMicro(), now.AddDate(0, 0, 7).UnixMicro(), string(data),
		tk.ResponseDue.At.UnixMicro(), n)
	require.NoError(t, err)
	_, err = svc.db.Exec(ctx, `ANALYZE tickets`)
	require.NoError(t, err)
}

// explain returns the plan of q: PostgreSQL's EXPLAIN, or SQLite's EXPLAIN QUERY PLAN
// details.
func explain(t testing.TB, db *sqlstore.DB, q string, args ...any) string {
	t.Helper()
	sqlite := db.Dialect() == sqlstore.SQLite
	prefix := `EXPLAIN `
	if sqlite {
		prefix = `EXPLAIN QUERY PLAN `
	}
	rows, err := db.Query(context.Background(), prefix+q, args...)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var plan []string
	for rows.Next() {
		var line string
		if sqlite {
			var id, parent, unused int64
			require.NoError(t, rows.Scan(&id, &parent, &unused, &line))
		} else {
			require.NoError(t, rows.Scan(&line))
		}
		plan = append(plan, line)
	}
	require.NoError(t, rows.Err())
	return strings.Join(plan, "\n")
}

// TestSweepPlanSQLite: SQLite reads the sweep's due tickets through tickets_sweep too.
func TestSweepPlanSQLite(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	plan := explain(t, h.srv.svc.db, dueQuery, h.clock.Now().UnixMicro(), startCursor.nextCheck, "", "", 200)
	t.Logf("sweep plan: %s", plan)
	require.Contains(t, plan, "USING INDEX tickets_sweep")
	require.NotContains(t, plan, "TEMP B-TREE", "no sort: the index gives the order")
}

// TestSweepPlanUsesIndex fails if PostgreSQL would answer the sweep's query, or the
// dashboard's for one community, or an enterprise's list, by scanning the tickets table (200,000 open tickets,
// 100 due).
func TestSweepPlanUsesIndex(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.Postgres(t))
	now := h.clock.Now()
	bulkLoad(t, h.srv.svc, 200_000, 100, now)
	plan := explain(t, h.srv.svc.db, dueQuery, now.UnixMicro(), startCursor.nextCheck, "", "", 200)
	t.Logf("sweep plan:\n%s", plan)
	require.NotContains(t, plan, "Seq Scan on tickets")
	require.Contains(t, plan, "tickets_sweep")

	group := ticketsv1.StatsGroup_STATS_GROUP_HANDLER
	q, args := statsSQL("ahz.s01.c007", groupColumns[group], groupBy[group])
	plan = explain(t, h.srv.svc.db, q, append(args, int64(0), now.Add(time.Hour).UnixMicro(), now.UnixMicro())...)
	t.Logf("dashboard plan:\n%s", plan)
	require.NotContains(t, plan, "Seq Scan on tickets")

	// An enterprise's tickets (the 360° view): the union of the owner and complainant indexes.
	_, err := h.srv.svc.db.Exec(context.Background(), `UPDATE tickets SET complainant_org = '91350100M000100Y43' WHERE id LIKE '%000007'`)
	require.NoError(t, err)
	_, err = h.srv.svc.db.Exec(context.Background(), `ANALYZE tickets`)
	require.NoError(t, err)
	q, args = listSQL(context.Background(), district, listFilter{org: "91350100M000100Y43"}, "", 51)
	plan = explain(t, h.srv.svc.db, q, args...)
	t.Logf("enterprise list plan:\n%s", plan)
	require.NotContains(t, plan, "Seq Scan on tickets")
	require.Contains(t, plan, "tickets_owner_org")
	require.Contains(t, plan, "tickets_complainant_org")
}

// BenchmarkSweep1M times one SLA sweep pass over -sweep-rows open tickets on PostgreSQL,
// bulk-loaded, of which 1,000 are due: the first pass records their crossings; the later
// ones find nothing due (the steady state). It logs the plan and fails on a seq scan.
func BenchmarkSweep1M(b *testing.B) {
	h := startHarness(b, testenv.Postgres(b))
	svc := h.srv.svc
	now := h.clock.Now().Add(20 * time.Hour) // past the response deadline: every due one escalates
	load := time.Now()
	bulkLoad(b, svc, *sweepRows, 1000, h.clock.Now())
	b.Logf("bulk-loaded %d tickets in %s", *sweepRows, time.Since(load).Round(time.Millisecond))
	plan := explain(b, svc.db, dueQuery, now.UnixMicro(), startCursor.nextCheck, "", "", 200)
	b.Logf("plan:\n%s", plan)
	if strings.Contains(plan, "Seq Scan on tickets") {
		b.Fatal("the sweep's query scans the tickets table")
	}
	ctx := context.Background()
	first := time.Now()
	n, err := svc.sweep(ctx, now, false)
	require.NoError(b, err)
	b.Logf("first pass: %d crossings recorded in %s", n, time.Since(first).Round(time.Microsecond))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.sweep(ctx, now.Add(time.Duration(i+1)*time.Second), false); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSweepPages: a pass pages through more due tickets than one page holds (450, pages
// of 200) and records each one's crossings once; later passes, regular or over every
// open ticket, record nothing more. Both engines.
func TestSweepPages(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		svc, ctx, now := h.srv.svc, context.Background(), h.clock.Now()
		const n = 450
		require.NoError(t, svc.db.InTx(ctx, func(ctx context.Context) error {
			for i := range n {
				tk := &ticket{Tenant: "ahz", ID: fmt.Sprintf("T-20261125-%06d", i+1), Revision: 1,
					Source: ticketsv1.Source_SOURCE_WALK_IN, Category: "general", Title: "t", Description: "d",
					State: ticketsv1.State_STATE_DISPATCHED, AssigneeTenant: "ahz.s01.c01", AssigneeDept: "社区服务站",
					ResponseClock: calendar.NewClock(now, DefaultSLA().Response), CloseClock: calendar.NewClock(now, DefaultSLA().Close),
					Created: now, Updated: now}
				if err := svc.computeDues(tk, now); err != nil {
					return err
				}
				if err := svc.st.insert(ctx, tk); err != nil {
					return err
				}
			}
			return nil
		}))
		thursday := cst(2026, time.November, 26, 12)
		recorded, err := svc.sweep(ctx, thursday, false)
		require.NoError(t, err)
		require.GreaterOrEqual(t, recorded, 3*n)
		require.Equal(t, 3*n, h.count(`SELECT COUNT(*) FROM ticket_alerts WHERE clock = 'response'`))
		require.Equal(t, n, h.count(`SELECT COUNT(*) FROM tickets WHERE next_check_us > $1`, thursday.UnixMicro()))
		for _, all := range []bool{false, true} {
			again, err := svc.sweep(ctx, thursday, all)
			require.NoError(t, err)
			require.Zero(t, again)
		}
	})
}
