package telemetry_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectormetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// recorder is a span exporter reachable through OTEL_TRACES_EXPORTER=gaoxing-test-recorder,
// so the tests go through the same autoexport path as a configured deployment.
type recorder struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (r *recorder) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = append(r.spans, spans...)
	return nil
}

func (*recorder) Shutdown(context.Context) error { return nil }

func (r *recorder) take() []sdktrace.ReadOnlySpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.spans
	r.spans = nil
	return s
}

var recorded = &recorder{}

func init() {
	autoexport.RegisterSpanExporter("gaoxing-test-recorder", func(context.Context) (sdktrace.SpanExporter, error) {
		return recorded, nil
	})
}

// cleanEnv removes every OTEL_* variable for the test (restored afterwards), so the
// machine's environment cannot turn an exporter on.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "OTEL_") {
			t.Setenv(k, "")
			require.NoError(t, os.Unsetenv(k))
		}
	}
}

// setup runs telemetry.Setup with OTEL_* from env only, and shuts it down at the end.
func setup(t *testing.T, env map[string]string, logs io.Writer) *telemetry.Telemetry {
	t.Helper()
	cleanEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	if logs == nil {
		logs = io.Discard
	}
	tel, err := telemetry.Setup(t.Context(), telemetry.Options{Service: "sample", Version: "v0.0.1-test", LogWriter: logs})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	return tel
}

func TestExporterOffByDefault(t *testing.T) {
	tel := setup(t, nil, nil)
	require.False(t, tel.ExportsTraces())
	require.False(t, tel.ExportsMetrics())

	// Nothing is exported, but spans still get ids to propagate and to log.
	_, span := otel.Tracer("test").Start(t.Context(), "work")
	span.End()
	require.True(t, span.SpanContext().IsValid())
	require.True(t, span.SpanContext().IsSampled())

	require.ElementsMatch(t, []string{"traceparent", "tracestate", "baggage"}, otel.GetTextMapPropagator().Fields())
}

func TestSpansExportedWhenConfigured(t *testing.T) {
	recorded.take()
	tel := setup(t, map[string]string{"OTEL_TRACES_EXPORTER": "gaoxing-test-recorder"}, nil)
	require.True(t, tel.ExportsTraces())
	require.False(t, tel.ExportsMetrics(), "metrics follow their own variables")

	_, span := otel.Tracer("test").Start(t.Context(), "work")
	span.End()
	require.NoError(t, tel.Shutdown(t.Context())) // flushes the batcher

	spans := recorded.take()
	require.Len(t, spans, 1)
	require.Equal(t, "work", spans[0].Name())
	require.Equal(t, span.SpanContext().TraceID(), spans[0].SpanContext().TraceID())
	res := spans[0].Resource().Set()
	name, _ := res.Value("service.name")
	version, _ := res.Value("service.version")
	require.Equal(t, "sample", name.AsString())
	require.Equal(t, "v0.0.1-test", version.AsString())
}

func TestResourceFromEnvironment(t *testing.T) {
	recorded.take()
	var logs syncBuffer
	tel := setup(t, map[string]string{
		"OTEL_TRACES_EXPORTER":     "gaoxing-test-recorder",
		"OTEL_SERVICE_NAME":        "renamed",
		"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test,malformed",
	}, &logs)
	_, span := otel.Tracer("test").Start(t.Context(), "work")
	span.End()
	require.NoError(t, tel.Shutdown(t.Context()))

	spans := recorded.take()
	require.Len(t, spans, 1)
	res := spans[0].Resource().Set()
	name, _ := res.Value("service.name")
	env, _ := res.Value("deployment.environment.name")
	require.Equal(t, "renamed", name.AsString(), "operators can rename a deployment")
	require.Equal(t, "test", env.AsString())
	require.Contains(t, logs.String(), "some resource attributes were not understood", "a malformed entry warns, not fails")
}

func TestSamplerFromEnvironment(t *testing.T) {
	recorded.take()
	tel := setup(t, map[string]string{
		"OTEL_TRACES_EXPORTER": "gaoxing-test-recorder",
		"OTEL_TRACES_SAMPLER":  "always_off",
	}, nil)
	_, span := otel.Tracer("test").Start(t.Context(), "unsampled")
	span.End()
	require.NoError(t, tel.Shutdown(t.Context()))
	require.Empty(t, recorded.take())
	require.True(t, span.SpanContext().IsValid(), "an unsampled span still carries ids")
	require.False(t, span.SpanContext().IsSampled())
}

func TestOTLPEndpoint(t *testing.T) {
	tests := []struct {
		name                    string
		env                     map[string]string
		wantTraces, wantMetrics bool
	}{
		{"endpoint alone turns on both", map[string]string{}, true, true},
		{"traces none keeps metrics", map[string]string{"OTEL_TRACES_EXPORTER": "none"}, false, true},
		{"metrics none keeps traces", map[string]string{"OTEL_METRICS_EXPORTER": "none"}, true, false},
		{"sdk disabled turns off all", map[string]string{"OTEL_SDK_DISABLED": "true"}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			collector := startCollector(t)
			env := map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
				"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			}
			for k, v := range tc.env {
				env[k] = v
			}
			tel := setup(t, env, nil)
			require.Equal(t, tc.wantTraces, tel.ExportsTraces())
			require.Equal(t, tc.wantMetrics, tel.ExportsMetrics())

			ctx, span := otel.Tracer("test").Start(t.Context(), "exported-work")
			calls, err := otel.Meter("test").Int64Counter("gaoxing.test.exported")
			require.NoError(t, err)
			calls.Add(ctx, 1)
			span.End()
			require.NoError(t, tel.Shutdown(t.Context())) // flushes both signals

			spans, metrics := collector.received()
			if tc.wantTraces {
				require.Contains(t, spans, "exported-work")
			} else {
				require.Empty(t, spans)
			}
			if tc.wantMetrics {
				require.Contains(t, metrics, "gaoxing.test.exported")
			} else {
				require.Empty(t, metrics)
			}
		})
	}
}

func TestLogLinesCarryTraceID(t *testing.T) {
	var logs syncBuffer
	setup(t, nil, &logs)

	ctx, span := otel.Tracer("test").Start(t.Context(), "work")
	defer span.End()
	slog.InfoContext(ctx, "inside", "phone", "13812345678")
	slog.Default().WithGroup("call").InfoContext(ctx, "grouped", "method", "CreateNote")
	slog.Info("outside")

	lines := logs.lines(t)
	inside, grouped, outside := lines[len(lines)-3], lines[len(lines)-2], lines[len(lines)-1]
	require.Equal(t, span.SpanContext().TraceID().String(), inside[telemetry.TraceIDKey])
	require.Equal(t, span.SpanContext().SpanID().String(), inside[telemetry.SpanIDKey])
	require.Equal(t, "138****5678", inside["phone"], "attributes go through redact")
	require.Equal(t, span.SpanContext().TraceID().String(), grouped[telemetry.TraceIDKey], "trace id stays at the top level")
	require.Equal(t, map[string]any{"method": "CreateNote"}, grouped["call"])
	require.NotContains(t, outside, telemetry.TraceIDKey)
}

func TestTraceContextCrossesHTTPHop(t *testing.T) {
	var logs syncBuffer
	setup(t, nil, &logs)

	type seen struct {
		span   trace.SpanContext
		tenant string
	}
	served := make(chan seen, 1)
	srv := httptest.NewServer(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slog.InfoContext(r.Context(), "served")
		served <- seen{trace.SpanContextFromContext(r.Context()), baggage.FromContext(r.Context()).Member("gaoxing.tenant").Value()}
		w.WriteHeader(http.StatusNoContent)
	}), "server"))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)}

	ctx, span := otel.Tracer("test").Start(t.Context(), "caller")
	member, err := baggage.NewMember("gaoxing.tenant", "ahz.s01")
	require.NoError(t, err)
	bag, err := baggage.New(member)
	require.NoError(t, err)
	ctx = baggage.ContextWithBaggage(ctx, bag)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	span.End()

	var got seen
	select {
	case got = <-served:
	case <-t.Context().Done():
		t.Fatal("server never answered")
	}
	require.Equal(t, span.SpanContext().TraceID(), got.span.TraceID(), "same trace on both sides")
	require.NotEqual(t, span.SpanContext().SpanID(), got.span.SpanID(), "the server has its own span")
	require.Equal(t, "ahz.s01", got.tenant, "baggage crosses too")

	var serverLine map[string]any
	for _, l := range logs.lines(t) {
		if l["msg"] == "served" {
			serverLine = l
		}
	}
	require.NotNil(t, serverLine)
	require.Equal(t, span.SpanContext().TraceID().String(), serverLine[telemetry.TraceIDKey])
}

func TestMetricsEndpoint(t *testing.T) {
	tel := setup(t, nil, nil)
	metricsSrv := httptest.NewServer(promhttp.Handler())
	t.Cleanup(metricsSrv.Close)

	record := func(n int64) {
		calls, err := otel.Meter("test").Int64Counter("gaoxing.test.calls")
		require.NoError(t, err)
		calls.Add(t.Context(), n, metric.WithAttributes(attribute.String("method", "CreateNote")))
	}
	record(3)
	body := scrape(t, metricsSrv.URL)
	require.Regexp(t, `(?m)^gaoxing_test_calls_total\{[^}]*method="CreateNote"[^}]*\} 3$`, body)
	require.Regexp(t, `(?m)^target_info\{[^}]*service_name="sample"`, body)

	// A second Setup while this one lives is refused; after Shutdown it works again and
	// /metrics serves the new set-up's instruments once, not twice.
	_, err := telemetry.Setup(t.Context(), telemetry.Options{Service: "again", LogWriter: io.Discard})
	require.ErrorIs(t, err, telemetry.ErrAlreadySetUp)
	require.NoError(t, tel.Shutdown(t.Context()))
	require.NotContains(t, scrape(t, metricsSrv.URL), "gaoxing_test_calls_total", "a shut-down set-up is not scraped")

	setup(t, nil, nil)
	record(5)
	body = scrape(t, metricsSrv.URL)
	require.Len(t, regexp.MustCompile(`(?m)^gaoxing_test_calls_total\{`).FindAllString(body, -1), 1)
	require.Regexp(t, `(?m)^gaoxing_test_calls_total\{[^}]*method="CreateNote"[^}]*\} 5$`, body)
}

func TestSetLogLevel(t *testing.T) {
	var logs syncBuffer
	tel := setup(t, nil, &logs)
	slog.Debug("hidden")
	tel.SetLogLevel(slog.LevelDebug)
	slog.Debug("shown")
	require.NotContains(t, logs.String(), "hidden")
	require.Contains(t, logs.String(), `"msg":"shown"`)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return string(body)
}

// collector is a minimal OTLP/HTTP receiver: it decodes what the real exporters send.
type collector struct {
	url     string
	mu      sync.Mutex
	spans   []string
	metrics []string
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var resp proto.Message
		switch r.URL.Path {
		case "/v1/traces":
			var req collectortrace.ExportTraceServiceRequest
			if err := proto.Unmarshal(raw, &req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			c.mu.Lock()
			for _, rs := range req.GetResourceSpans() {
				for _, ss := range rs.GetScopeSpans() {
					for _, s := range ss.GetSpans() {
						c.spans = append(c.spans, s.GetName())
					}
				}
			}
			c.mu.Unlock()
			resp = &collectortrace.ExportTraceServiceResponse{}
		case "/v1/metrics":
			var req collectormetrics.ExportMetricsServiceRequest
			if err := proto.Unmarshal(raw, &req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			c.mu.Lock()
			for _, rm := range req.GetResourceMetrics() {
				for _, sm := range rm.GetScopeMetrics() {
					for _, m := range sm.GetMetrics() {
						c.metrics = append(c.metrics, m.GetName())
					}
				}
			}
			c.mu.Unlock()
			resp = &collectormetrics.ExportMetricsServiceResponse{}
		default:
			http.NotFound(w, r)
			return
		}
		out, _ := proto.Marshal(resp)
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

func (c *collector) received() (spans, metrics []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.spans...), append([]string(nil), c.metrics...)
}

// syncBuffer is a log destination safe for the server goroutines of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines parses every JSON log line written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	return out
}
