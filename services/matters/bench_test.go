package matters

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// BenchmarkSubmitAccept measures one 企业开办 filed and accepted through the whole service
// (gRPC, authn, authz, idempotency; catalogue read, routing check, number from the day's
// sequence, row and audit record in one transaction; then the accept transition with its
// own audit record) against two raw INSERTs of the same row into the same database. It
// reports applications/s and the p99 latency of one submit+accept pair.
func BenchmarkSubmitAccept(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := testenv.SQLite(b)
			if engine == "postgres" {
				dsn = testenv.Postgres(b)
			}
			h := startHarness(b, dsn)
			var seq atomic.Int64 // raw ids, across the benchmark's reruns
			b.Run("service", func(b *testing.B) {
				measure(b, func() error {
					a, err := h.client.SubmitApplication(h.as(hallClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/ahz", Application: startUp(allStartUpMaterials...)})
					if err != nil {
						return err
					}
					_, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
					return err
				})
			})
			b.Run("raw", func(b *testing.B) {
				st := h.srv.svc.st
				template, err := h.client.SubmitApplication(h.as(hallClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/ahz", Application: startUp(allStartUpMaterials...)})
				if err != nil {
					b.Fatal(err)
				}
				measure(b, func() error {
					// Two rows per iteration: as many writes as submit + accept.
					for range 2 {
						n := seq.Add(1)
						a := &application{Tenant: "raw", ID: fmt.Sprintf("M-20250926-%06d", n%1000000), Revision: 1, App: template}
						if err := st.insert(context.Background(), a); err != nil {
							return err
						}
					}
					return nil
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
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "pairs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
