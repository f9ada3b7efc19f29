package legalaid

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

var benchRows = flag.Int("legalaid.rows", 100_000, "cases bulk-loaded by BenchmarkList")

// BenchmarkIntake measures case intake through the whole service (gRPC, authn, authz,
// validation, credit codes, conflict check, number, row and parties, audit, one
// transaction) against raw INSERTs of the same rows into the same database, on both
// engines in one run. It reports cases/s and the p99 latency of one call.
func BenchmarkIntake(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := testenv.SQLite(b)
			if engine == "postgres" {
				dsn = testenv.Postgres(b)
			}
			h := startHarness(b, dsn)
			b.Run("service", func(b *testing.B) {
				measure(b, func() error {
					_, err := h.client.CreateCase(h.as(coordinator), &legalaidv1.CreateCaseRequest{Parent: "tenants/ahz", Case: newCase()})
					return err
				})
			})
			var seq atomic.Int64
			b.Run("raw", func(b *testing.B) {
				st, now := h.srv.svc.st, time.Now()
				measure(b, func() error {
					lc := &legalCase{Tenant: "raw", ID: fmt.Sprintf("L-20261125-%06d", seq.Add(1)%1_000_000), Revision: 1,
						State: legalaidv1.State_STATE_RECEIVED, Type: legalaidv1.CaseType_CASE_TYPE_COMMERCIAL,
						Applicant: party{Name: "辽宁示例精密制造有限公司", CreditCode: enterpriseCode}, Counterparties: []party{{Name: "示例贸易有限公司", CreditCode: otherCode}},
						Claims: "请求判令被告支付货款及逾期付款利息", AmountFen: 125000050, Created: now, Updated: now}
					return st.insert(context.Background(), lc)
				})
			})
		})
	}
}

// measure runs call from parallel goroutines and reports throughput and p99.
func measure(b *testing.B, call func() error) {
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if err := call(); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// bulkLoad inserts n cases at the district and their applicant parties straight into the
// database with one INSERT … SELECT over a recursive counter (both engines): states
// spread over the six, a third filed with the 高新 court (with case numbers), 50 lawyers,
// one case in a thousand for the enterprise enterpriseCode, the rest for 997 others.
func bulkLoad(ctx context.Context, db *sqlstore.DB, n int) error {
	const gen = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $1) `
	if _, err := db.Exec(ctx, gen+`
INSERT INTO cases (tenant, id, state, case_type, credit_code, assignee, court, case_number, next_check_us, create_us,
  update_us, revision, owner_subject, owner_org, data)
SELECT 'ahz', 'L-20260101-' || CAST(100000 + i AS TEXT), 1 + i % 6, 2,
  CASE WHEN i % 1000 = 7 THEN $2 ELSE 'X' || CAST(i % 997 AS TEXT) END,
  'u-lawyer-' || CAST(i % 50 AS TEXT),
  CASE WHEN i % 3 = 0 THEN 'gaoxin_court' ELSE '' END,
  CASE WHEN i % 3 = 0 THEN '（2025）辽0391民初' || CAST(i AS TEXT) || '号' ELSE '' END,
  9223372036854775807, 1767225600000000, 1767225600000000, 1, '', '',
  '{"state":' || CAST(1 + i % 6 AS TEXT) || ',"type":2,"applicant":{"name":"企业' || CAST(i AS TEXT) ||
  '"},"claims":"货款纠纷","amount_fen":100000,"registration_clock":{"start":"2026-01-01T00:00:00Z","limit":{"n":1,"unit":"working_days"}},"registration_due":{"At":"2026-01-03T00:00:00Z","Provisional":false},"created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}'
FROM g`, int64(n), enterpriseCode); err != nil {
		return err
	}
	_, err := db.Exec(ctx, gen+`
INSERT INTO case_parties (tenant, case_id, seq, side, name, credit_code)
SELECT 'ahz', 'L-20260101-' || CAST(100000 + i AS TEXT), 0, 1, '企业' || CAST(i AS TEXT),
  CASE WHEN i % 1000 = 7 THEN $2 ELSE 'X' || CAST(i % 997 AS TEXT) END
FROM g`, int64(n), enterpriseCode)
	return err
}

// BenchmarkList pages through ListCases at 100,000 cases (flag -legalaid.rows) over gRPC
// through the whole chain, on both engines: the coordinator's whole list, one state, one
// enterprise's cases by credit code (the stewardship view), a party by name, a court's
// cases, a lawyer's, one case number. It logs each query's plan and reports p50/p99 per
// page of 50.
func BenchmarkList(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := testenv.SQLite(b)
			if engine == "postgres" {
				dsn = testenv.Postgres(b)
			}
			h := startHarness(b, dsn)
			ctx := context.Background()
			db := h.srv.svc.db
			began := time.Now()
			require.NoError(b, bulkLoad(ctx, db, *benchRows))
			_, err := db.Exec(ctx, `ANALYZE`)
			require.NoError(b, err)
			b.Logf("%s: %d cases loaded in %s", engine, *benchRows, time.Since(began).Round(time.Millisecond))
			// Lawyer u-lawyer-7 and the court client see their own.
			h.tokens["u-lawyer-7"] = h.env.Grant(b, "u-lawyer-7", "legal_aid_lawyer", district, authn.Staff)
			for _, v := range []struct {
				name string
				as   string
				req  *legalaidv1.ListCasesRequest
				f    listFilter
				n    narrow
			}{
				{"all", coordinator, &legalaidv1.ListCasesRequest{}, listFilter{}, narrow{all: true}},
				{"state", coordinator, &legalaidv1.ListCasesRequest{State: legalaidv1.State_STATE_REGISTERED}, listFilter{state: 4}, narrow{all: true}},
				{"credit_code", steward, &legalaidv1.ListCasesRequest{CreditCode: enterpriseCode}, listFilter{credit: enterpriseCode}, narrow{all: true}},
				{"party", steward, &legalaidv1.ListCasesRequest{Party: "企业4242"}, listFilter{party: "企业4242"}, narrow{all: true}},
				{"court", courtGX, &legalaidv1.ListCasesRequest{}, listFilter{}, narrow{court: "gaoxin_court"}},
				{"lawyer", "u-lawyer-7", &legalaidv1.ListCasesRequest{}, listFilter{}, narrow{assignee: "u-lawyer-7"}},
				{"case_number", courtGX, &legalaidv1.ListCasesRequest{CourtCaseNumber: "（2025）辽0391民初4242号"}, listFilter{number: "（2025）辽0391民初4242号"}, narrow{court: "gaoxin_court"}},
			} {
				b.Run(v.name, func(b *testing.B) {
					b.Logf("plan:\n%s", planOf(b, db, v.f, v.n))
					var lat []time.Duration
					token := ""
					for range b.N {
						r := &legalaidv1.ListCasesRequest{Parent: "tenants/ahz", PageSize: 50, PageToken: token, State: v.req.State,
							CreditCode: v.req.CreditCode, Party: v.req.Party, CourtCaseNumber: v.req.CourtCaseNumber}
						t0 := time.Now()
						resp, err := h.client.ListCases(h.as(v.as), r)
						lat = append(lat, time.Since(t0))
						require.NoError(b, err)
						require.NotEmpty(b, resp.GetCases())
						token = resp.GetNextPageToken() // page on; back to the first page at the end
					}
					slices.Sort(lat)
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}

// listVariants are the searches BenchmarkList pages through and TestListPlansUseIndexes
// checks.
var listVariants = []struct {
	name string
	f    listFilter
	n    narrow
}{
	{"all", listFilter{}, narrow{all: true}},
	{"state", listFilter{state: 4}, narrow{all: true}},
	{"credit_code", listFilter{credit: enterpriseCode}, narrow{all: true}},
	{"party", listFilter{party: "企业4242"}, narrow{all: true}},
	{"court", listFilter{}, narrow{court: "gaoxin_court"}},
	{"lawyer", listFilter{}, narrow{assignee: "u-lawyer-7"}},
	{"case_number", listFilter{number: "（2025）辽0391民初4242号"}, narrow{court: "gaoxin_court"}},
}

// TestListPlansUseIndexes: at 20,000 cases every search of ListCases reads an index, on
// both engines (no sequential scan of cases or of their parties).
func TestListPlansUseIndexes(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		db := h.srv.svc.db
		require.NoError(t, bulkLoad(context.Background(), db, 20_000))
		_, err := db.Exec(context.Background(), `ANALYZE`)
		require.NoError(t, err)
		for _, v := range listVariants {
			plan := planOf(t, db, v.f, v.n)
			for _, bad := range []string{"Seq Scan", "SCAN c", "SCAN p", "SCAN cases"} {
				require.NotContains(t, plan, bad, "%s: %s", v.name, plan)
			}
		}
	})
}

// planOf is the plan of the list query for f and n, as the store builds it.
func planOf(t testing.TB, db *sqlstore.DB, f listFilter, n narrow) string {
	t.Helper()
	q, args := listSQL("ahz", f, n, authz.Access{}, "", "", 51)
	explain := "EXPLAIN "
	if db.Dialect() == sqlstore.SQLite {
		explain = "EXPLAIN QUERY PLAN "
	}
	rows, err := db.Query(context.Background(), explain+q, args...)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	require.NoError(t, rows.Err())
	return strings.Join(lines, "\n")
}
