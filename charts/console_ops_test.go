package charts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// TestConsoleOps checks the console with the ops pages' stores configured: it is told
// where they are (the variables cmd/console reads), follows etcd and identity's keys to
// authorize operators, and may reach etcd, identity and the stores (console.ops.egress).
func TestConsoleOps(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml",
		"console.ops.jaegerQueryURL=http://jaeger-query.observability.svc:16686",
		"console.ops.prometheusURL=http://prometheus.monitoring.svc:9090",
		"console.ops.egress[0].ports[0].port=9090",
	))
	name := componentName("console")
	dep := r.one(t, "Deployment", name).typed.(*appsv1.Deployment)
	env := envMap(dep.Spec.Template.Spec.Containers[0].Env)
	main, err := os.ReadFile(filepath.Join("..", "services", "console", "cmd", "console", "main.go"))
	require.NoError(t, err)
	for _, k := range []string{"GAOXING_OPS_JAEGER_URL", "GAOXING_OPS_PROMETHEUS_URL"} {
		require.Contains(t, string(main), `"`+k+`"`, "cmd/console reads %s", k)
	}
	require.Equal(t, "http://jaeger-query.observability.svc:16686", env["GAOXING_OPS_JAEGER_URL"])
	require.Equal(t, "http://prometheus.monitoring.svc:9090", env["GAOXING_OPS_PROMETHEUS_URL"])
	require.NotEmpty(t, env["GAOXING_ETCD_ENDPOINTS"])
	require.NotEmpty(t, env["GAOXING_AUDIENCE"])
	np := r.one(t, "NetworkPolicy", name).typed.(*networkingv1.NetworkPolicy)
	ports := map[int32]bool{}
	for _, e := range np.Spec.Egress {
		for _, p := range e.Ports {
			ports[p.Port.IntVal] = true
		}
	}
	for _, p := range []int32{53, 2379, 8080, 9090} {
		require.True(t, ports[p], "egress to port %d", p)
	}

	_, err = renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "console.ops.prometheusURL=prometheus:9090"))
	require.Error(t, err, "a URL without its scheme")
}

// TestConsolePanels checks that every chart of the console's ops pages
// (services/console/panels.json) runs the queries of the Grafana dashboard panel it
// names, in the same order with the same legends: the pages and the dashboards show the
// same numbers.
func TestConsolePanels(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "services", "console", "panels.json"))
	require.NoError(t, err)
	var panels []struct {
		ID, Dashboard, DashboardPanel string
		Queries                       []struct{ Expr, Legend string }
	}
	require.NoError(t, json.Unmarshal(raw, &panels))
	require.NotEmpty(t, panels)
	type target struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	}
	dashboards := map[string]map[string][]target{}
	for _, p := range panels {
		if dashboards[p.Dashboard] == nil {
			b, err := os.ReadFile(filepath.Join(chartDir, "dashboards", p.Dashboard))
			require.NoError(t, err, p.ID)
			var d struct {
				Panels []struct {
					Title   string   `json:"title"`
					Targets []target `json:"targets"`
				} `json:"panels"`
			}
			require.NoError(t, json.Unmarshal(b, &d))
			dashboards[p.Dashboard] = map[string][]target{}
			for _, dp := range d.Panels {
				dashboards[p.Dashboard][dp.Title] = dp.Targets
			}
		}
		targets, ok := dashboards[p.Dashboard][p.DashboardPanel]
		require.True(t, ok, "%s: no panel %q in %s", p.ID, p.DashboardPanel, p.Dashboard)
		require.Len(t, p.Queries, len(targets), p.ID)
		for i, q := range p.Queries {
			require.Equal(t, targets[i].Expr, q.Expr, "%s query %d", p.ID, i)
			require.Equal(t, targets[i].LegendFormat, q.Legend, "%s legend %d", p.ID, i)
		}
	}
}
