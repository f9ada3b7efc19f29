package matters

import (
	"context"
	"flag"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

var scaleRows = flag.Int("matters.rows", 1_000_000, "applications bulk-loaded by BenchmarkScale (PostgreSQL)")

// bulkLoad inserts n applications straight into PostgreSQL with one INSERT … SELECT over
// generate_series (not through the API): a fifth open (states 1–4), the rest complete;
// 20 % at the district, 10 % at each street, the rest over 30 communities; 200 handlers,
// 5 windows, 6 departments; promised deadlines spread over ±60 days around now, so about
// half of the open ones are overdue; 1 % on the green channel; one open row in a
// thousand due for the SLA sweep.
// Rows carry valid records and clocks, so the service reads them as its own.
func bulkLoad(ctx context.Context, db *sqlstore.DB, n int, now time.Time) error {
	nowUS := now.UnixMicro()
	_, err := db.Exec(ctx, `
WITH g AS (
  SELECT i,
    CASE WHEN i % 10 < 2 THEN 'ahz' WHEN i % 10 = 2 THEN 'ahz.s01' WHEN i % 10 = 3 THEN 'ahz.s02'
         ELSE 'ahz.s0' || (1 + i % 2) || '.c' || lpad((1 + (i / 10) % 15)::text, 2, '0') END AS tenant,
    'M-' || (20240101 + (i / 900000))::text || '-' || lpad((i % 900000)::text, 6, '0') AS id,
    CASE WHEN (i / 7) % 5 = 0 THEN 1 + i % 4 ELSE 6 END AS state,
    $1::bigint + ((i * 7919) % 10368000 - 5184000)::bigint * 1000000 AS due_us,
    (ARRAY['市场监管分局','自然资源和住建办','民政办','人社办','公安分局','卫健办'])[1 + i % 6] AS dept
  FROM generate_series(1, $2::bigint) AS i
)
INSERT INTO applications (tenant, id, matter_code, state, commitment_due_us, promised_due_us, create_us, update_us, revision,
  data, clocks, handler, window_name, department, green, queue_rank, bundle_id, next_check_us, complete_us, working_days, on_time)
SELECT tenant, id, 'QYKB', state, 0, due_us, due_us - 86400000000, due_us - 86400000000, 1,
  '{"name":"tenants/' || tenant || '/applications/' || id || '","matter":"matters/QYKB","matterVersion":1,"state":"' ||
    (ARRAY['STATE_SUBMITTED','STATE_ACCEPTED','STATE_ACCEPTED_DEFERRED','STATE_CORRECTION_REQUESTED','','STATE_COMPLETED'])[state] ||
    '","promisedDueTime":"' || to_char(to_timestamp(due_us / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ||
    '","applicant":{"name":"示例企业' || i || '"}}',
  '{"statutory":{"start":"' || to_char(to_timestamp((due_us - 86400000000) / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ||
    '","limit":{"n":3,"unit":"working_days"}},"promised":{"start":"' ||
    to_char(to_timestamp((due_us - 86400000000) / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') ||
    '","limit":{"n":1,"unit":"working_days"}}}',
  'u-clerk-' || (i % 200), (1 + (i / 10) % 5) || '号窗口', dept, CASE WHEN i % 100 = 3 THEN 1 ELSE 0 END,
  CASE WHEN i % 100 = 3 THEN 0 ELSE 1 END, '',
  CASE WHEN state < 5 AND i % 1000 = 0 THEN $1::bigint - 1 ELSE 9223372036854775807 END,
  CASE WHEN state = 6 THEN due_us - 3600000000 ELSE 0 END, CASE WHEN state = 6 THEN i % 4 ELSE 0 END,
  CASE WHEN state = 6 AND i % 4 < 2 THEN 1 ELSE 0 END
FROM g`, nowUS, int64(n))
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, `ANALYZE applications`)
	return err
}

// planQueries are the statements whose plans must use an index: every queue view at the
// district (a big subtree) and at a community (a small one), a next page, the overdue
// filter, and the SLA sweep's read.
func planQueries(now time.Time) map[string]struct {
	sql  string
	args []any
} {
	out := map[string]struct {
		sql  string
		args []any
	}{}
	add := func(name string, q queueQuery) {
		q.now, q.limit = now, 51
		sql, args := q.sql()
		out[name] = struct {
			sql  string
			args []any
		}{sql, args}
	}
	tenant := mattersv1.QueueScope_QUEUE_SCOPE_TENANT
	add("queue tenant=district", queueQuery{scope: tenant, tenant: "ahz"})
	add("queue tenant=community", queueQuery{scope: tenant, tenant: "ahz.s01.c03", exact: true})
	add("queue tenant=community next page", queueQuery{scope: tenant, tenant: "ahz.s01.c03", exact: true,
		after: &queueCursor{rank: 1, due: now.UnixMicro(), tenant: "ahz.s01.c03", id: "M-20240101-000500"}})
	add("queue tenant=street", queueQuery{scope: tenant, tenant: "ahz.s01"})
	add("queue tenant=district next page", queueQuery{scope: tenant, tenant: "ahz", after: &queueCursor{rank: 1, due: now.UnixMicro(), tenant: "ahz.s01", id: "M-20240101-000500"}})
	add("queue tenant=district overdue", queueQuery{scope: tenant, tenant: "ahz", overdue: true})
	add("queue mine", queueQuery{scope: mattersv1.QueueScope_QUEUE_SCOPE_MINE, tenant: "ahz", key: "u-clerk-7"})
	add("queue mine next page", queueQuery{scope: mattersv1.QueueScope_QUEUE_SCOPE_MINE, tenant: "ahz", key: "u-clerk-7",
		after: &queueCursor{rank: 1, due: now.UnixMicro(), tenant: "ahz.s02", id: "M-20240101-000500"}})
	add("queue department next page", queueQuery{scope: mattersv1.QueueScope_QUEUE_SCOPE_DEPARTMENT, tenant: "ahz", key: "民政办",
		after: &queueCursor{rank: 1, due: now.UnixMicro(), tenant: "ahz.s02", id: "M-20240101-000500"}})
	add("queue window", queueQuery{scope: mattersv1.QueueScope_QUEUE_SCOPE_WINDOW, tenant: "ahz", key: "3号窗口"})
	add("queue window next page", queueQuery{scope: mattersv1.QueueScope_QUEUE_SCOPE_WINDOW, tenant: "ahz", key: "3号窗口",
		after: &queueCursor{rank: 1, due: now.UnixMicro(), tenant: "ahz", id: "M-20240101-000500"}})
	add("queue department", queueQuery{scope: mattersv1.QueueScope_QUEUE_SCOPE_DEPARTMENT, tenant: "ahz", key: "民政办"})
	out["open below probe"] = struct {
		sql  string
		args []any
	}{`SELECT COUNT(*) FROM (SELECT 1 FROM applications WHERE state < 5 AND tenant LIKE $1 LIMIT 1) AS x`, []any{"ahz.s01.c03.%"}}
	out["sweep due page"] = struct {
		sql  string
		args []any
	}{`SELECT ` + appColumns + ` FROM applications WHERE next_check_us <= $1
		AND (tenant > $2 OR (tenant = $2 AND id > $3)) ORDER BY tenant, id LIMIT $4`, []any{now.UnixMicro(), "", "", 200}}
	return out
}

// explain returns the plan of sql and fails if it reads applications sequentially.
func explain(t testing.TB, db *sqlstore.DB, name, sql string, args []any) string {
	t.Helper()
	rows, err := db.Query(context.Background(), `EXPLAIN `+sql, args...)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var lines []string
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		lines = append(lines, l)
	}
	require.NoError(t, rows.Err())
	plan := strings.Join(lines, "\n")
	require.NotContains(t, plan, "Seq Scan on applications", "%s:\n%s", name, plan)
	return plan
}

// The queue views and the sweep's read use indexes on PostgreSQL, never a sequential
// scan of applications (50,000 bulk-loaded rows; BenchmarkScale does 1,000,000).
func TestQueuePlansUseIndexes(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.Postgres(t))
	now := cst(2025, time.September, 26, 10)
	require.NoError(t, bulkLoad(t.Context(), h.srv.svc.db, 50_000, now))
	queries := planQueries(now)
	for _, name := range slices.Sorted(mapsKeys(queries)) {
		q := queries[name]
		explain(t, h.srv.svc.db, name, q.sql, q.args)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// BenchmarkScale loads -matters.rows applications (default 1,000,000) into PostgreSQL
// with generate_series, prints the plans of the queue views and of the sweep's read
// (failing on a sequential scan), then measures over HTTP the p99 of one page (50) of
// each queue view, first pages and next pages, and the SLA sweep: one page of its read,
// and one pass over the due rows (one in a thousand open ones) with their alerts,
// escalations, audit records and outbox events.
//
//	go test -run '^$' -bench BenchmarkScale -benchtime 1x ./services/matters/ -matters.rows 1000000
func BenchmarkScale(b *testing.B) {
	h := startHarness(b, testenv.Postgres(b))
	now := cst(2025, time.September, 26, 10)
	h.clock.Set(now)
	start := time.Now()
	require.NoError(b, bulkLoad(context.Background(), h.srv.svc.db, *scaleRows, now))
	b.Logf("loaded %d applications in %v", *scaleRows, time.Since(start).Round(time.Millisecond))
	queries := planQueries(now)
	for _, name := range slices.Sorted(mapsKeys(queries)) {
		q := queries[name]
		b.Logf("plan of %s:\n%s", name, explain(b, h.srv.svc.db, name, q.sql, q.args))
	}
	h.grant("u-clerk-7", "window_clerk", district, authn.Staff)
	views := []struct {
		name, sub, tenant string
		q                 url.Values
	}{
		{"tenant=district", hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_TENANT"}}},
		{"tenant=district overdue", hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_TENANT"}, "overdueOnly": {"true"}}},
		{"tenant=street", hallClerk, "ahz.s01", url.Values{"scope": {"QUEUE_SCOPE_TENANT"}}},
		{"tenant=community", hallClerk, "ahz.s01.c03", url.Values{"scope": {"QUEUE_SCOPE_TENANT"}}},
		{"mine", "u-clerk-7", district, url.Values{"scope": {"QUEUE_SCOPE_MINE"}}},
		{"window", hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_WINDOW"}, "window": {"3号窗口"}}},
		{"department", hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_DEPARTMENT"}, "department": {"民政办"}}},
	}
	for _, v := range views {
		b.Run("queue "+v.name, func(b *testing.B) {
			var lat []time.Duration
			q := url.Values{}
			for k, vs := range v.q {
				q[k] = vs
			}
			for b.Loop() {
				t0 := time.Now()
				code, body := h.get(v.sub, "/v1/tenants/"+v.tenant+"/queue?"+q.Encode())
				lat = append(lat, time.Since(t0))
				if code != 200 {
					b.Fatalf("%d %s", code, body)
				}
				// Walk forward page by page, back to the first after 20 pages.
				if tok := pageToken(body); tok != "" && len(lat)%20 != 0 {
					q.Set("pageToken", tok)
				} else {
					q.Del("pageToken")
				}
			}
			reportLatency(b, lat, "page")
		})
	}
	b.Run("sweep read page", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if _, err := h.srv.svc.st.dueForCheck(context.Background(), now.UnixMicro(), "", "", 200); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportLatency(b, lat, "page")
	})
	// The first pass does the work (alerts, escalations, audit, outbox for every due row);
	// later ones find nothing due: b.Loop measures that idle pass.
	due := h.count(`SELECT COUNT(*) FROM applications WHERE next_check_us <= $1`, now.UnixMicro())
	t0 := time.Now()
	n, err := h.srv.svc.clockSweep(context.Background(), now, false)
	require.NoError(b, err)
	b.Logf("first sweep pass: %d due rows, %d crossings recorded in %v", due, n, time.Since(t0).Round(time.Millisecond))
	b.Run("sweep idle pass", func(b *testing.B) {
		for b.Loop() {
			if _, err := h.srv.svc.clockSweep(context.Background(), now, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func pageToken(body []byte) string {
	const key = `"nextPageToken":"`
	s := string(body)
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	rest := s[i+len(key):]
	return rest[:strings.IndexByte(rest, '"')]
}

func reportLatency(b *testing.B, lat []time.Duration, unit string) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms/"+unit)
	b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms/"+unit)
	b.Logf("%s: %d %ss, p50 %.2f ms, p99 %.2f ms", b.Name(), len(lat), unit, ms(lat[len(lat)/2]), ms(lat[(len(lat)*99)/100]))
}
