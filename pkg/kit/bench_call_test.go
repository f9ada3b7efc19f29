package kit_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
	samplev1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/sample/v1"
)

// BenchmarkNoopOverGRPC is one no-op call through the gRPC transport and the whole
// endpoint chain, per op, with its allocations (client and server in one process):
//
//	go test ./pkg/kit -run '^$' -bench NoopOverGRPC -benchmem
func BenchmarkNoopOverGRPC(b *testing.B) {
	svc, db, err := newSample(context.Background(), "sqlite:"+b.TempDir()+"/bench.db", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	client := samplev1.NewNotesServiceClient(kittest.Serve(b, svc).Conn)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.Ping(b.Context(), &samplev1.PingRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNoopCallOverHTTP is BenchmarkNoopOverGRPC over HTTP/JSON (gateway and chain),
// one call after another, so ns/op and allocs/op are per call, client side included.
func BenchmarkNoopCallOverHTTP(b *testing.B) {
	svc, db, err := newSample(context.Background(), "sqlite:"+b.TempDir()+"/bench.db", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	url := kittest.Serve(b, svc).URL + "/api/sample/v1/ping"
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(url, "application/json", strings.NewReader("{}"))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
