package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	"github.com/gaoxing-gov/gaoxing/services/documents"
	"github.com/gaoxing-gov/gaoxing/services/identity"
	"github.com/gaoxing-gov/gaoxing/services/matters"
	"github.com/gaoxing-gov/gaoxing/services/tickets"
)

// stack is the platform under observation: every service in this process (as the
// launcher runs them, each span exported under its own service), Jaeger and Prometheus.
type stack struct {
	env        *apptest.Env
	minio      *testenv.MinIO
	urls       map[string]string // service → http://host:port/api/<service>
	bases      map[string]string // service → http://host:port (/metrics, /readyz)
	jaeger     *infra.Jaeger
	prometheus *infra.Prometheus
	client     *http.Client // sends the trace context of the caller's span
}

// rulesFile is the chart's alerting rules, which Prometheus evaluates here.
const rulesFile = "../../charts/gaoxing/alerts/gaoxing.rules.yaml"

// holdFor matches a rule's "for" duration: a test cannot wait minutes for a condition
// to hold, so its copy of the rules fires as soon as the expression is true.
var holdFor = regexp.MustCompile(`(?m)^(\s+)for: \S+$`)

func startStack(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	s := &stack{urls: map[string]string{}, bases: map[string]string{}}

	// Jaeger first, then telemetry pointing at it (its shutdown flushes before Jaeger stops).
	j, err := infra.StartJaeger(ctx, infra.JaegerServer{Binary: testenv.Binary(t, "jaeger"), Dir: t.TempDir(), Output: testLog{t}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Stop() })
	s.jaeger = j
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", j.OTLPEndpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "200") // ms: the test reads spans back at once
	logs := &tailLog{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the services' last log lines:\n%s", logs.tail(200))
		}
	})
	tel, err := telemetry.Setup(ctx, telemetry.Options{Service: "e2e", SpansByService: true, LogWriter: logs})
	require.NoError(t, err)
	require.True(t, tel.ExportsTraces())
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	})
	s.client = &http.Client{Timeout: time.Minute, Transport: otelhttp.NewTransport(http.DefaultTransport)}

	base := apptest.New(t, "")
	s.env = base
	s.minio = testenv.StartMinIO(t)
	envs := map[string]*apptest.Env{"identity": base}
	for _, name := range []string{"documents", "matters", "tickets"} {
		envs[name] = peerEnv(t, base)
	}
	envs["documents"].MinIO = s.minio.Config()
	for _, name := range []string{"matters", "tickets"} {
		envs[name].Peers = map[string]string{"documents": envs["documents"].GRPC.Addr().String()}
	}
	services := []struct {
		name string
		svc  app.Service
	}{
		{"identity", &identity.Server{AdminPassword: "Root-Secret-2026"}},
		{"documents", documents.New()},
		// Sweeps every second: the SLA gauges are set after each.
		{"matters", matters.New(matters.WithSweepInterval(time.Second))},
		{"tickets", tickets.New(tickets.WithSweepInterval(time.Second))},
	}
	var jobs []infra.ScrapeJob
	for i, sv := range services {
		e := envs[sv.name]
		done := e.Launch(t, sv.svc)
		s.urls[sv.name] = e.URL + "/api/" + sv.name
		s.bases[sv.name] = e.URL
		require.NoError(t, infra.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) error {
			select {
			case err := <-done:
				t.Fatalf("%s stopped while starting: %v", sv.name, err)
			default:
			}
			return infra.CheckHTTP(ctx, e.URL+"/readyz")
		}))
		// One process, one registry: each job keeps its service's series, as the launcher's.
		jobs = append(jobs, infra.ScrapeJob{Name: sv.name, Target: e.HTTP.Addr().String(), Service: sv.name, Shared: i == 0})
	}

	rules, err := os.ReadFile(rulesFile)
	require.NoError(t, err)
	quick := filepath.Join(t.TempDir(), "rules.yaml")
	require.NoError(t, os.WriteFile(quick, holdFor.ReplaceAll(rules, []byte("${1}for: 0s")), 0o600))
	p, err := infra.StartPrometheus(ctx, infra.PrometheusServer{
		Binary: testenv.Binary(t, "prometheus"), Dir: t.TempDir(), Jobs: jobs, RuleFiles: []string{quick},
		Interval: time.Second, Output: testLog{t},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Stop() })
	s.prometheus = p
	return s
}

// peerEnv is another service's environment beside base: same etcd and issuer, its own
// loopback listeners and data directory.
func peerEnv(t *testing.T, base *apptest.Env) *apptest.Env {
	t.Helper()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return &apptest.Env{
		Env:        app.Env{GRPC: grpcLis, HTTP: httpLis, Etcd: base.Etcd, DataDir: t.TempDir(), Auth: base.Auth},
		EtcdServer: base.EtcdServer, Issuer: base.Issuer, Enforcer: base.Enforcer,
		URL: "http://" + httpLis.Addr().String(),
	}
}

// do sends one request in ctx (its span is the parent of the service's) and returns the
// status and the body.
func (s *stack) do(ctx context.Context, t *testing.T, method, url, token, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// create posts msg and decodes the success into out.
func (s *stack) create(ctx context.Context, t *testing.T, url, token string, msg, out proto.Message) {
	t.Helper()
	b, err := protojson.Marshal(msg)
	require.NoError(t, err)
	st, body := s.do(ctx, t, http.MethodPost, url, token, "application/json", b)
	require.True(t, st/100 == 2, "POST %s: %d %s", url, st, body)
	require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, out), string(body))
}

// The query API's answer (/api/traces and /api/traces/{id}).
type jaegerTraces struct {
	Data []jaegerTrace `json:"data"`
}

type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

type jaegerSpan struct {
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	ProcessID     string      `json:"processID"`
	Tags          []jaegerTag `json:"tags"`
	Logs          []struct {
		Fields []jaegerTag `json:"fields"`
	} `json:"logs"`
}

type jaegerProcess struct {
	ServiceName string      `json:"serviceName"`
	Tags        []jaegerTag `json:"tags"`
}

type jaegerTag struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

func (sp jaegerSpan) tag(key string) (string, bool) {
	for _, tg := range sp.Tags {
		if tg.Key == key {
			return fmt.Sprint(tg.Value), true
		}
	}
	return "", false
}

// traces asks Jaeger's query API for path (with query) and decodes the traces.
func (s *stack) traces(ctx context.Context, path string, q url.Values) ([]jaegerTrace, error) {
	u := s.jaeger.QueryURL + path
	if q != nil {
		u += "?" + q.Encode()
	}
	var out jaegerTraces
	err := getJSON(ctx, u, &out)
	return out.Data, err
}

// getJSON decodes the JSON answer of a GET of u into out; any status but 200 is an error.
func getJSON(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", u, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// serviceTraces is every trace Jaeger holds with a span of service from the last hour.
func (s *stack) serviceTraces(ctx context.Context, service string) ([]jaegerTrace, error) {
	return s.traces(ctx, "/api/traces", url.Values{"service": {service}, "lookback": {"1h"}, "limit": {"2000"}})
}

// services is what Jaeger's /api/services lists.
func (s *stack) services(ctx context.Context) ([]string, error) {
	var out struct {
		Data []string `json:"data"`
	}
	err := getJSON(ctx, s.jaeger.QueryURL+"/api/services", &out)
	return out.Data, err
}

// alerts is what Prometheus's /api/v1/alerts reports.
type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

func (s *stack) alerts(ctx context.Context) ([]alert, error) {
	var out struct {
		Data struct {
			Alerts []alert `json:"alerts"`
		} `json:"data"`
	}
	err := getJSON(ctx, s.prometheus.URL+"/api/v1/alerts", &out)
	return out.Data.Alerts, err
}

// exemplarTraceIDs are the trace ids of the exemplars Prometheus keeps for query over
// the last ten minutes.
func (s *stack) exemplarTraceIDs(ctx context.Context, query string) ([]string, error) {
	now := time.Now()
	q := url.Values{"query": {query}, "start": {strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)},
		"end": {strconv.FormatInt(now.Unix(), 10)}}
	var out struct {
		Data []struct {
			Exemplars []struct {
				Labels map[string]string `json:"labels"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	if err := getJSON(ctx, s.prometheus.URL+"/api/v1/query_exemplars?"+q.Encode(), &out); err != nil {
		return nil, err
	}
	var ids []string
	for _, series := range out.Data {
		for _, e := range series.Exemplars {
			ids = append(ids, e.Labels["trace_id"])
		}
	}
	return ids, nil
}

// tailLog keeps the services' log lines, to show the last ones when a test fails (the
// services may still log a line while they stop, after the test's log has closed).
type tailLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *tailLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(bytes.TrimRight(b, "\n")))
	return len(b), nil
}

func (l *tailLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}

// testLog sends a server's output to the test log.
type testLog struct{ t *testing.T }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(b, "\n")))
	return len(b), nil
}
