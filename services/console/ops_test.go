package console

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// opsEnv is the console with its ops routes in front of a real Jaeger and a real
// Prometheus (scraping the console itself), and tokens of an operator and a clerk.
type opsEnv struct {
	*apptest.Env
	upstreams       *atomic.Pointer[Upstreams]
	operator, clerk string
}

func startOps(t *testing.T) *opsEnv {
	t.Helper()
	env := apptest.New(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	j, err := infra.StartJaeger(ctx, infra.JaegerServer{Binary: testenv.Binary(t, "jaeger"), Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Stop() })
	// The console's own calls are the traces and the RED series the routes find.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", j.OTLPEndpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	tel, err := telemetry.Setup(ctx, telemetry.Options{Service: "console", LogWriter: io.Discard})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	p, err := infra.StartPrometheus(ctx, infra.PrometheusServer{
		Binary: testenv.Binary(t, "prometheus"), Dir: t.TempDir(), Interval: time.Second,
		Jobs: []infra.ScrapeJob{{Name: "console", Target: env.HTTP.Addr().String(), Service: "console", Shared: true}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Stop() })
	ups := &atomic.Pointer[Upstreams]{}
	ups.Store(&Upstreams{Jaeger: j.QueryURL, Prometheus: p.URL})
	env.Start(t, New(APIOnly(), WithOps(func() Upstreams { return *ups.Load() })))
	return &opsEnv{
		Env: env, upstreams: ups,
		operator: env.Grant(t, "u-ops-1", "ops", "ahz", authn.Staff),
		clerk:    env.Grant(t, "u-clerk-1", "window_clerk", "ahz.s01.c01", authn.Staff),
	}
}

func (e *opsEnv) get(t *testing.T, path, token string) (int, []byte) {
	t.Helper()
	return apptest.Get(t, e.URL+"/api/console/v1/ops"+path, token)
}

func TestOpsRoutes(t *testing.T) {
	e := startOps(t)

	t.Run("who may read", func(t *testing.T) {
		for _, tc := range []struct {
			name, token, code string
			status            int
		}{
			{"an operator", e.operator, "", 200},
			{"a platform administrator", e.Grant(t, "u-admin-1", "platform_admin", "ahz", authn.Staff), "", 200},
			{"a window clerk", e.clerk, "PERMISSION_DENIED", 403},
			{"a supervisor, who reads everything else", e.Grant(t, "u-sup-1", "supervisor", "ahz", authn.Staff), "PERMISSION_DENIED", 403},
			{"no one signed in", "", "TOKEN_MISSING", 401},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, path := range []string{"/status", "/panels", "/alerts", "/traces?service=console"} {
					status, body := e.get(t, path, tc.token)
					require.Equal(t, tc.status, status, "%s: %s", path, body)
					if tc.code != "" {
						require.Equal(t, tc.code, apptest.StableCode(body), path)
					}
				}
			})
		}
	})

	t.Run("bounded queries", func(t *testing.T) {
		week := url.QueryEscape(time.Now().Add(-8 * 24 * time.Hour).Format(time.RFC3339))
		for _, tc := range []struct{ path, code string }{
			{"/traces", "OPS_QUERY_INVALID"}, // a service is required
			{"/traces?service=console&start=" + week, "OPS_QUERY_INVALID"},
			{"/traces?service=console&limit=1000", "OPS_QUERY_INVALID"},
			{"/traces?service=console&minDuration=2h", "OPS_QUERY_INVALID"},
			{"/traces?service=console&tenant=AHZ%27", "OPS_QUERY_INVALID"},
			{"/traces?service=console&errorCode=x%22%7D", "OPS_QUERY_INVALID"},
			{"/traces/not-a-trace-id", "OPS_QUERY_INVALID"},
			{"/panels/red.rate/series?service=" + url.QueryEscape(`x"}) or vector(1) #`), "OPS_QUERY_INVALID"},
			{"/panels/red.rate/series?start=10&end=5", "OPS_QUERY_INVALID"},
			{"/panels/no.such.panel/values", "OPS_PANEL_NOT_FOUND"},
			{"/../../api/v1/status/config", "ROUTE_NOT_FOUND"},
			{"/prometheus/api/v1/query?query=up", "ROUTE_NOT_FOUND"},
			{"/traces/0123456789abcdef0123456789abcdef", "OPS_TRACE_NOT_FOUND"},
		} {
			t.Run(tc.path, func(t *testing.T) {
				status, body := e.get(t, tc.path, e.operator)
				require.GreaterOrEqual(t, status, 400, string(body))
				require.Equal(t, tc.code, apptest.HTTPError(t, body).GetCode(), string(body))
			})
		}
	})

	t.Run("the charts read Prometheus", func(t *testing.T) {
		var panels struct{ Panels []Panel }
		status, body := e.get(t, "/panels", e.operator)
		require.Equal(t, 200, status)
		require.NoError(t, json.Unmarshal(body, &panels))
		require.Len(t, panels.Panels, len(Panels()))
		// The console's own calls (these) are counted and scraped: the RED chart of the
		// console, narrowed to it, finds them.
		require.Eventually(t, func() bool {
			status, body := e.get(t, "/panels/red.rate/series?service=console&method=ListOpsPanels", e.operator)
			var got struct {
				Results []struct {
					Result []struct {
						Metric map[string]string
						Values [][2]any
					}
				}
			}
			if status != 200 || json.Unmarshal(body, &got) != nil || len(got.Results) != 1 || len(got.Results[0].Result) != 1 {
				e.get(t, "/panels", e.operator)
				return false
			}
			return got.Results[0].Result[0].Metric["service"] == "console" && len(got.Results[0].Result[0].Values) > 0
		}, time.Minute, 500*time.Millisecond)
		for _, p := range Panels() {
			status, body := e.get(t, "/panels/"+p.ID+"/values?tenant=ahz.s01.c01", e.operator)
			require.Equal(t, 200, status, "%s: %s", p.ID, body)
		}
		status, body = e.get(t, "/rules", e.operator)
		require.Equal(t, 200, status, string(body))
		require.Contains(t, string(body), `"groups"`)
	})

	t.Run("traces from Jaeger", func(t *testing.T) {
		var found struct {
			Data []struct {
				TraceID string
				Spans   []struct{ OperationName string }
			}
		}
		require.Eventually(t, func() bool {
			status, body := e.get(t, "/traces?service=console&operation=console.GetOpsStatus&limit=5", e.operator)
			require.Equal(t, 200, status, string(body))
			require.NoError(t, json.Unmarshal(body, &found))
			return len(found.Data) > 0
		}, time.Minute, 500*time.Millisecond)
		status, body := e.get(t, "/traces/"+found.Data[0].TraceID, e.operator)
		require.Equal(t, 200, status, string(body))
		require.Contains(t, string(body), `"operationName":"console.GetOpsStatus"`)
		status, body = e.get(t, "/services", e.operator)
		require.Equal(t, 200, status, string(body))
		require.Contains(t, string(body), `"console"`)
		status, body = e.get(t, "/services/console/operations", e.operator)
		require.Equal(t, 200, status, string(body))
		require.Contains(t, string(body), `"console.GetOpsStatus"`)
		// Narrowed to what none of them is: nothing.
		status, body = e.get(t, "/traces?service=console&tenant=ahz&errorCode=INTERNAL&error=true&minDuration=1ms", e.operator)
		require.Equal(t, 200, status, string(body))
		require.JSONEq(t, `{"data":[]}`, string(body))
	})

	t.Run("not configured", func(t *testing.T) {
		have := e.upstreams.Load()
		e.upstreams.Store(&Upstreams{})
		t.Cleanup(func() { e.upstreams.Store(have) })
		status, body := e.get(t, "/status", e.operator)
		require.Equal(t, 200, status)
		require.JSONEq(t, `{"jaeger":false,"prometheus":false}`, string(body))
		for _, path := range []string{"/alerts", "/traces?service=console", "/panels/red.rate/values"} {
			status, body := e.get(t, path, e.operator)
			require.Equal(t, 422, status, path)
			require.Equal(t, "OPS_NOT_CONFIGURED", apptest.StableCode(body), path)
		}
	})

	t.Run("every route is documented", func(t *testing.T) {
		status, body := apptest.Get(t, e.URL+"/api/console/openapi.json", "")
		require.Equal(t, 200, status)
		require.True(t, strings.HasPrefix(string(body), "{"))
		var names []kit.Method
		for _, n := range []string{"GetOpsStatus", "ListOpsPanels", "QueryPanelSeries", "QueryPanelValues", "ListAlerts",
			"ListAlertRules", "ListTraceServices", "ListTraceOperations", "SearchTraces", "GetTrace"} {
			names = append(names, kit.Method{Service: "console", Name: n})
		}
		require.Empty(t, kit.Undocumented(body, names))
	})
}

// A chart narrowed by a value matches it exactly; unsaid, every value.
func TestExpand(t *testing.T) {
	expr := `sum(rate(x{service=~"$service", method=~"$method", tenant=~"$tenant"}[5m]))`
	require.Equal(t, `sum(rate(x{service=~"matters", method=~".*", tenant=~"ahz\\.s01"}[5m]))`,
		expand(expr, map[string]string{"service": "matters", "tenant": "ahz.s01"}))
}
