package stewardship

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// reportLatency reports the p50 and p99 of took (milliseconds).
func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkEnterprise360 is one GetEnterprise360 over gRPC with real matters, tickets and
// legal-aid services beside it on this machine (SQLite each): four services, three of
// them asked concurrently; the enterprise has visits and problems to show.
func BenchmarkEnterprise360(b *testing.B) {
	h := startHarness(b, "", withPeers())
	h.register(ent(1, "ahz.s01.c01"))
	name := enterpriseName("ahz.s01.c01", cc(1))
	ctx := h.as(steward)
	for i := range 5 {
		_, err := h.client.CreateVisit(ctx, &stewardshipv1.CreateVisitRequest{Parent: name, Visit: &stewardshipv1.Visit{VisitDate: "2026-11-2" + itoa(i), Notes: "走访"}})
		require.NoError(b, err)
		_, err = h.client.RaiseProblem(ctx, &stewardshipv1.RaiseProblemRequest{Parent: name, Problem: &stewardshipv1.Problem{
			Category: "enterprise", Title: "问题", Description: "描述", OwnerDepartment: "科技经济发展办"}})
		require.NoError(b, err)
	}
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		v, err := h.client.GetEnterprise360(ctx, &stewardshipv1.GetEnterprise360Request{Name: name})
		took = append(took, time.Since(start))
		require.NoError(b, err)
		for _, p := range v.GetParts() {
			if !p.GetAvailable() {
				b.Fatalf("part %s unavailable: %s", p.GetPart(), p.GetError())
			}
		}
	}
	reportLatency(b, took)
}

// loadRegister inserts n enterprises straight into SQL (not through the API: the listing
// is measured, not the import), spread as the zone is: a fifth at the district, a tenth
// at each street, the rest over 30 communities; six industries; a third tagged.
func loadRegister(ctx context.Context, db *sqlstore.DB, n int) error {
	tenants := []string{"ahz", "ahz", "ahz.s01", "ahz.s02"}
	for s := 1; s <= 2; s++ {
		for c := 1; c <= 15; c++ {
			tenants = append(tenants, fmt.Sprintf("ahz.s%02d.c%02d", s, c))
		}
	}
	const batch = 500
	for lo := 0; lo < n; lo += batch {
		var sb strings.Builder
		var args []any
		sb.WriteString(`INSERT INTO enterprises (credit_code, tenant, enterprise_name, industry, scale_tags, stage, registration_date, contacts, data, update_us) VALUES `)
		for i := lo; i < min(lo+batch, n); i++ {
			var t string
			switch {
			case i%10 < 2:
				t = "ahz"
			case i%10 == 2:
				t = "ahz.s01"
			case i%10 == 3:
				t = "ahz.s02"
			default:
				t = tenants[4+(i/10)%30]
			}
			cc := demoCreditCode(1_000_000 + i)
			industry := demoIndustries[i%len(demoIndustries)]
			tags := ""
			if i%3 == 0 {
				tags = "," + demoTags[(i/3)%len(demoTags)] + ","
			}
			data := fmt.Sprintf(`{"name":"tenants/%s/enterprises/%s","creditCode":"%s","enterpriseName":"示例企业%d","industry":"%s","stage":"STAGE_GROWTH"}`, t, cc, cc, i, industry)
			if i > lo {
				sb.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, 2, '2020-01-01', '', $%d, 0)", k+1, k+2, k+3, k+4, k+5, k+6)
			args = append(args, cc, t, fmt.Sprintf("示例企业%d", i), industry, tags, data)
		}
		if _, err := db.Exec(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkRegisterList is one page (50) of ListEnterprises at 100,000 enterprises, on
// both engines, for the queries a steward's desk makes; it logs each query's plan.
func BenchmarkRegisterList(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := testenv.SQLite(b)
			if engine == "postgres" {
				dsn = testenv.Postgres(b)
			}
			h := startHarness(b, dsn)
			db := h.srv.svc.db
			require.NoError(b, loadRegister(context.Background(), db, 100_000))
			if engine == "postgres" {
				_, err := db.Exec(context.Background(), `ANALYZE enterprises`)
				require.NoError(b, err)
			}
			ctx := h.as(steward)
			// A token deep into the zone: the page after 50,000 enterprises.
			deep := page50k(b, h)
			for _, c := range []struct {
				name string
				req  *stewardshipv1.ListEnterprisesRequest
			}{
				{"zone-first-page", &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz"}},
				{"zone-deep-page", &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz", PageToken: deep}},
				{"community", &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz.s01.c07"}},
				{"zone-by-industry", &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz", Industry: "建筑业"}},
				{"zone-by-tag", &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz", ScaleTag: "瞪羚"}},
			} {
				b.Run(c.name, func(b *testing.B) {
					c.req.PageSize = 50
					took := make([]time.Duration, 0, b.N)
					for b.Loop() {
						start := time.Now()
						resp, err := h.client.ListEnterprises(ctx, c.req)
						took = append(took, time.Since(start))
						require.NoError(b, err)
						require.Len(b, resp.GetEnterprises(), 50)
					}
					reportLatency(b, took)
				})
			}
			explain := "EXPLAIN QUERY PLAN "
			if engine == "postgres" {
				explain = "EXPLAIN (COSTS OFF) "
			}
			where, args := tenancyArgs("ahz")
			rows, err := db.Query(context.Background(), explain+listEnterprisesSQL(where), append(args, "ahz", "", "", "", int64(0), "", 51)...)
			require.NoError(b, err)
			var plan []string
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				require.NoError(b, rows.Scan(ptrs...))
				plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
			}
			require.NoError(b, rows.Close())
			b.Logf("%s plan of the zone's first page:\n%s", engine, strings.Join(plan, "\n"))
		})
	}
}

func tenancyArgs(t string) (string, []any) {
	return "(tenant = $1 OR tenant LIKE $2)", []any{t, t + ".%"}
}

// page50k walks 1,000 pages of 50 and returns the token of the next.
func page50k(b *testing.B, h *harness) string {
	token := ""
	for range 1000 {
		resp, err := h.client.ListEnterprises(h.as(steward), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz", PageSize: 50, PageToken: token})
		require.NoError(b, err)
		token = resp.GetNextPageToken()
	}
	return token
}
