package documents

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
)

// BenchmarkUpload64MiB compares a 64 MiB upload through the service's streaming route
// (HTTP in, hashed, sniffed, counted, streamed to MinIO, row and audit record written)
// with minio-go's PutObject of the same stream straight to the same MinIO, in one run.
// The ratio of their MB/s is the service's efficiency (goal ≥ 0.9).
func BenchmarkUpload64MiB(b *testing.B) {
	const size = 64 << 20
	h := startHarness(b, harnessOptions{})
	direct := h.minio.Client()
	b.Run("service", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			resp, out := h.upload(clerk, tenant, query("owner", owner, "filename", "bench.pdf"), fileReader(byte(i), size), size)
			if resp.StatusCode != http.StatusCreated {
				b.Fatalf("upload: %d %s", resp.StatusCode, out)
			}
		}
	})
	// direct is minio-go with its defaults; direct-tuned is minio-go with the options the
	// service uses (CRC32C trailer instead of a signed payload, same part size).
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			_, err := direct.PutObject(context.Background(), DefaultBucket, "bench/direct", readerOnly{fileReader(byte(i), size)}, size,
				minio.PutObjectOptions{ContentType: "application/pdf"})
			require.NoError(b, err)
		}
	})
	tuned, err := newStorage(h.minio.Config(), DefaultBucket)
	require.NoError(b, err)
	b.Run("direct-tuned", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			_, err := tuned.put(context.Background(), "bench/direct-tuned", readerOnly{fileReader(byte(i), size)}, size, "application/pdf", lock{})
			require.NoError(b, err)
		}
	})
}

// BenchmarkUpload1GiBMemory streams 1 GiB through the service (chunked, size unknown)
// while sampling the process's memory; it reports the peak growth over the idle
// baseline of HeapInuse and Sys (goal ≤ 32 MiB). Client and server share the process,
// so the figure covers both.
func BenchmarkUpload1GiBMemory(b *testing.B) {
	const size = 1 << 30
	set := DefaultSettings()
	set.CategoryMaxBytes = map[string]int64{"big": 2 << 30}
	h := startHarness(b, harnessOptions{settings: &set})
	var peakHeap, peakSys uint64
	for i := 0; b.Loop(); i++ {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				runtime.ReadMemStats(&m)
				if m.HeapInuse > base.HeapInuse {
					peakHeap = max(peakHeap, m.HeapInuse-base.HeapInuse)
				}
				if m.Sys > base.Sys {
					peakSys = max(peakSys, m.Sys-base.Sys)
				}
			}
		}()
		resp, out := h.upload(clerk, tenant, query("owner", owner, "filename", "huge.pdf", "category", "big"), fileReader(byte(i), size), -1)
		close(stop)
		wg.Wait()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("upload: %d %s", resp.StatusCode, out)
		}
	}
	b.SetBytes(size)
	b.ReportMetric(float64(peakHeap)/(1<<20), "heap-growth-MiB")
	b.ReportMetric(float64(peakSys)/(1<<20), "sys-growth-MiB")
}
