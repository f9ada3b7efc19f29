package kit_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
)

// BenchmarkNoopOverHTTP (telemetry set up by TestMain, as in a service binary) compares a no-op call through the whole chain (HTTP server,
// otelhttp, gateway, endpoint middlewares with a live tracer and meter, JSON both ways)
// with a plain net/http handler on the same machine, in the same run:
//
//	go test ./pkg/kit -run '^$' -bench NoopOverHTTP -benchtime 5s -count 5
//
// The ratio kit/plain is what docs/benchmarks.md reports.
func BenchmarkNoopOverHTTP(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{}"))
		})}
		go func() { _ = srv.Serve(lis) }()
		b.Cleanup(func() { _ = srv.Close() })
		hammer(b, "http://"+lis.Addr().String()+"/api/sample/v1/ping")
	})
	b.Run("kit", func(b *testing.B) {
		svc, db, err := newSample(context.Background(), "sqlite:"+b.TempDir()+"/bench.db", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		srv := kittest.Serve(b, svc)
		hammer(b, srv.URL+"/api/sample/v1/ping")
	})
}

func hammer(b *testing.B, url string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(client.CloseIdleConnections)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
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
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
