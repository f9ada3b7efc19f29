package matters

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

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
				measure(b, "pairs/s", func() error {
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
				measure(b, "pairs/s", func() error {
					// Two rows per iteration: as many writes as submit + accept.
					for range 2 {
						n := seq.Add(1)
						a := &application{Tenant: "raw", ID: fmt.Sprintf("M-20250926-%06d", n%1000000), Revision: 1, App: template, NextCheck: never}
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

// BenchmarkSubmitHTTP measures filing over HTTP/JSON through the whole chain (grpc-gateway,
// authn, authz, idempotency; catalogue read, routing and form checks, number from the
// day's sequence, row, audit record and outbox event in one transaction) against raw
// INSERTs of the same rows into the same database in the same run, on both engines. It
// reports submits/s and the p99 of one submit; the ratio is the platform's overhead.
func BenchmarkSubmitHTTP(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := testenv.SQLite(b)
			if engine == "postgres" {
				dsn = testenv.Postgres(b)
			}
			h := startHarness(b, dsn)
			body, err := protojson.Marshal(startUp(allStartUpMaterials...))
			if err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
			b.Run("service", func(b *testing.B) {
				measure(b, "submits/s", func() error {
					req, err := http.NewRequest(http.MethodPost, h.base+"/v1/tenants/ahz/applications", bytes.NewReader(body))
					if err != nil {
						return err
					}
					req.Header.Set("Authorization", "Bearer "+h.tokens[hallClerk])
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						return err
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("status %d", resp.StatusCode)
					}
					return nil
				})
			})
			var seq atomic.Int64
			b.Run("raw", func(b *testing.B) {
				template, err := h.client.SubmitApplication(h.as(hallClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/ahz", Application: startUp(allStartUpMaterials...)})
				if err != nil {
					b.Fatal(err)
				}
				st := h.srv.svc.st
				measure(b, "submits/s", func() error {
					n := seq.Add(1)
					a := &application{Tenant: "raw", ID: fmt.Sprintf("M-20250926-%06d", n%1000000), Revision: 1, App: template, NextCheck: never}
					return st.insert(context.Background(), a)
				})
			})
		})
	}
}

// measure runs call from parallel goroutines and reports throughput and p99.
func measure(b *testing.B, unit string, call func() error) {
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
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), unit)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
