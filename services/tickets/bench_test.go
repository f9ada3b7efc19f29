package tickets

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// BenchmarkIntake measures 12345 intake through the whole service (gRPC, authn, authz,
// idempotency, number from the day's sequence, row, audit record, outbox event, one
// transaction) against raw INSERTs of the same row into the same database, on both
// engines in one run. It reports tickets/s and the p99 latency of one call.
func BenchmarkIntake(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := testenv.SQLite(b)
			if engine == "postgres" {
				dsn = testenv.Postgres(b)
			}
			h := startHarness(b, dsn)
			var seq atomic.Int64
			b.Run("service", func(b *testing.B) {
				measure(b, func() error {
					_, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz",
						Ticket: hotlineTicket(fmt.Sprintf("bench-%d", seq.Add(1)))})
					return err
				})
			})
			b.Run("raw", func(b *testing.B) {
				st := h.srv.svc.st
				now := time.Now()
				measure(b, func() error {
					n := seq.Add(1)
					return st.insert(context.Background(), &ticket{Tenant: "raw", ID: fmt.Sprintf("T-20261125-%06d", n%1000000),
						Revision: 1, Source: ticketsv1.Source_SOURCE_HOTLINE_12345, ExternalID: fmt.Sprintf("raw-%d", n),
						Category: "general", Title: "t", Description: "d", State: ticketsv1.State_STATE_RECEIVED, Created: now, Updated: now})
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
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "tickets/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkSweepPass times one regular SLA sweep pass over many open tickets of which a
// few are due, on both engines, and logs PostgreSQL's plan for the sweep's query: the
// pass must read the due ones through the partial index, not scan the open ones.
func BenchmarkSweepPass(b *testing.B) {
	const open, due = 100_000, 100
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := testenv.SQLite(b)
			if engine == "postgres" {
				dsn = testenv.Postgres(b)
			}
			h := startHarness(b, dsn)
			svc := h.srv.svc
			ctx := context.Background()
			now := h.clock.Now()
			// Open tickets whose next check is next week; the last few are due now.
			for start := 0; start < open; start += 5000 {
				err := svc.db.InTx(ctx, func(ctx context.Context) error {
					for i := start; i < start+5000; i++ {
						tk := &ticket{Tenant: "ahz", ID: fmt.Sprintf("T-20261125-%06d", i), Revision: 1,
							Source: ticketsv1.Source_SOURCE_HOTLINE_12345, Category: "general", Title: "t", Description: "d",
							State: ticketsv1.State_STATE_RECEIVED, Created: now, Updated: now,
							ResponseClock: calendar.NewClock(now, DefaultSLA().Response), CloseClock: calendar.NewClock(now, DefaultSLA().Close)}
						if err := svc.computeDues(tk, now); err != nil {
							return err
						}
						tk.NextCheck = now.AddDate(0, 0, 7).UnixMicro()
						if i >= open-due {
							tk.NextCheck = now.UnixMicro()
						}
						if err := svc.st.insert(ctx, tk); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if engine == "postgres" {
				_, _ = svc.db.Exec(ctx, `ANALYZE tickets`)
				b.Logf("plan:\n%s", explain(b, svc.db, dueQuery, now.UnixMicro(), startCursor.nextCheck, "", "", 200))
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				// Each pass at a later instant than the last, so the due ones are due again
				// only on the first; later passes measure the steady state (nothing due).
				if _, err := svc.sweep(ctx, now.Add(time.Duration(i)*time.Second), false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
