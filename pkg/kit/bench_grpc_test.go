package kit_test

import (
	"context"
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
