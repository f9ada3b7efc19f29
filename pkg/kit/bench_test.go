package kit_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
)

// BenchmarkNoopOverHTTP compares a no-op call through the whole chain (HTTP server,
// otelhttp, gateway, endpoint middlewares with a live tracer and meter — telemetry is set
// up by TestMain as in a service binary — and JSON both ways) with a plain net/http
// handler, on the same machine in the same run. Rounds alternate between the two so
// that load from elsewhere hits both alike; it reports the median of each and their
// ratio:
//
//	go test ./pkg/kit -run '^$' -bench NoopOverHTTP -benchtime 1x
func BenchmarkNoopOverHTTP(b *testing.B) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	plain := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	})}
	go func() { _ = plain.Serve(lis) }()
	b.Cleanup(func() { _ = plain.Close() })

	svc, db, err := newSample(context.Background(), "sqlite:"+b.TempDir()+"/bench.db", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	srv := kittest.Serve(b, svc)

	const rounds, round = 5, 2 * time.Second
	var plainRates, kitRates []float64
	for range b.N {
		for range rounds {
			plainRates = append(plainRates, throughput(b, "http://"+lis.Addr().String()+"/api/sample/v1/ping", round))
			kitRates = append(kitRates, throughput(b, srv.URL+"/api/sample/v1/ping", round))
		}
	}
	p, k := median(plainRates), median(kitRates)
	b.ReportMetric(p, "plain-req/s")
	b.ReportMetric(k, "kit-req/s")
	b.ReportMetric(k/p, "kit/plain")
}

// throughput posts "{}" to url from 4 keep-alive connections for d and returns calls/s.
func throughput(b *testing.B, url string, d time.Duration) float64 {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := client.Post(url, "application/json", strings.NewReader("{}"))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
