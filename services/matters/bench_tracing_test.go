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

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// BenchmarkSubmitHTTPTracing measures filing over HTTP/JSON (as BenchmarkSubmitHTTP, on
// SQLite) with spans — the call, its SQL statements, etcd — exported over OTLP to a real
// Jaeger, at every call sampled (the launcher's default) and at 10 % (the chart's
// default), against tracing not exported (spans made, as in a service binary without
// OTEL_* configuration), in one run: three services side by side, rounds alternating,
// medians and ratios reported.
//
//	go test ./services/matters -run '^$' -bench SubmitHTTPTracing -benchtime 1x
func BenchmarkSubmitHTTPTracing(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err := infra.StartJaeger(ctx, infra.JaegerServer{Binary: testenv.Binary(b, "jaeger"), Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = j.Stop() })
	b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", j.OTLPEndpoint)
	b.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")

	modes := []struct {
		name    string
		sampler sdktrace.Sampler
		export  bool
	}{
		{"off", sdktrace.ParentBased(sdktrace.AlwaysSample()), false},
		{"all", sdktrace.ParentBased(sdktrace.AlwaysSample()), true},
		{"10pct", sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1)), true},
	}
	harnesses := make([]*harness, len(modes))
	prev := otel.GetTracerProvider()
	for i, m := range modes {
		opts := []sdktrace.TracerProviderOption{sdktrace.WithSampler(m.sampler),
			sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("matters-bench-" + m.name)))}
		if m.export {
			exp, err := autoexport.NewSpanExporter(ctx)
			if err != nil {
				b.Fatal(err)
			}
			opts = append(opts, sdktrace.WithBatcher(exp))
		}
		tp := sdktrace.NewTracerProvider(opts...)
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		// The service takes its tracers when it is built: build each under its provider.
		otel.SetTracerProvider(tp)
		harnesses[i] = startHarness(b, testenv.SQLite(b))
	}
	otel.SetTracerProvider(prev)

	body, err := protojson.Marshal(startUp(allStartUpMaterials...))
	if err != nil {
		b.Fatal(err)
	}
	const rounds, round = 5, 3 * time.Second
	rates := make([][]float64, len(modes))
	for range b.N {
		for range rounds {
			for i, h := range harnesses {
				rates[i] = append(rates[i], submits(b, h, body, round))
			}
		}
	}
	med := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}
	off := med(rates[0])
	for i, m := range modes {
		r := med(rates[i])
		b.ReportMetric(r, m.name+"-submits/s")
		if i > 0 {
			b.ReportMetric(r/off, m.name+"/off")
		}
	}
}

// submits files applications from 4 keep-alive connections for d and returns submits/s.
func submits(b *testing.B, h *harness, body []byte, d time.Duration) float64 {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				req, err := http.NewRequest(http.MethodPost, h.base+"/v1/tenants/ahz/applications", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+h.tokens[hallClerk])
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Error(fmt.Errorf("status %d", resp.StatusCode))
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
