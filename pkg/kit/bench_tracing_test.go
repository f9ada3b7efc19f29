package kit_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// BenchmarkTracingOverhead measures the no-op call over HTTP through the whole chain
// with spans exported over OTLP to a real Jaeger, at every call sampled (the launcher's
// default) and at 10 % (the chart's default), against the same chain with tracing not
// exported (a service binary without OTEL_* configuration), in one run: three servers
// side by side, rounds alternating between them, medians and ratios reported.
//
//	go test ./pkg/kit -run '^$' -bench TracingOverhead -benchtime 1x
func BenchmarkTracingOverhead(b *testing.B) {
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
		sampler sdktrace.Sampler // nil: not exported (TestMain's set-up)
	}{
		{"off", nil},
		{"all", sdktrace.ParentBased(sdktrace.AlwaysSample())},
		{"10pct", sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.1))},
	}
	urls := make([]string, len(modes))
	for i, m := range modes {
		// The kit takes its tracer when it is built: build each server under its provider.
		if m.sampler != nil {
			exp, err := autoexport.NewSpanExporter(ctx)
			if err != nil {
				b.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithSampler(m.sampler),
				sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("kit-bench-"+m.name))))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			prev := otel.GetTracerProvider()
			otel.SetTracerProvider(tp)
			defer otel.SetTracerProvider(prev)
		}
		svc, db, err := newSample(context.Background(), "sqlite:"+b.TempDir()+"/bench.db", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		urls[i] = kittest.Serve(b, svc).URL + "/api/sample/v1/ping"
	}

	const rounds, round = 5, 2 * time.Second
	rates := make([][]float64, len(modes))
	for range b.N {
		for range rounds {
			for i := range modes {
				rates[i] = append(rates[i], throughput(b, urls[i], round))
			}
		}
	}
	// The spans did reach Jaeger.
	if err := infra.Poll(ctx, 100*time.Millisecond, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.QueryURL+"/api/services", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if !strings.Contains(string(body), `"kit-bench-all"`) {
			return fmt.Errorf("no spans of kit-bench-all in Jaeger: %s", body)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	off := median(rates[0])
	for i, m := range modes {
		r := median(rates[i])
		b.ReportMetric(r, m.name+"-req/s")
		if i > 0 {
			b.ReportMetric(r/off, fmt.Sprintf("%s/off", m.name))
		}
	}
}
