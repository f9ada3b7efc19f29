package charts

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
)

// budget is what the pods of one release may open: perPod × (each enabled service's
// most pods, plus a surge pod) and, when it migrates, the migration Job.
func budget(t *testing.T, vals chartutil.Values) (pods, perPod int) {
	t.Helper()
	conns, err := vals.Table("postgresql.connections")
	require.NoError(t, err)
	perPod = num(t, conns["perPod"])
	services, err := vals.Table("services")
	require.NoError(t, err)
	for name, v := range services {
		svc := v.(map[string]any)
		if svc["enabled"] != true {
			continue
		}
		most := num(t, svc["replicas"])
		if hpa := svc["autoscaling"].(map[string]any); hpa["enabled"] == true {
			most = num(t, hpa["max"])
		}
		require.Positive(t, most, name)
		pods += most + 1
	}
	if m, _ := vals.Table("migrations"); m["owner"] == true {
		pods++
	}
	return pods, perPod
}

func num(t *testing.T, v any) int {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return int(n)
	case int64:
		return int(n)
	case int:
		return n
	}
	t.Fatalf("%T is not a number", v)
	return 0
}

// TestConnectionBudget: PostgreSQL's max_connections is computed from the replicas, so
// every pod can open its whole pool at the HPA's maxima during a rolling update; the
// pool size reaches the services; the district's server also holds the street and
// community releases' pools; an explicit max_connections below the budget is refused.
func TestConnectionBudget(t *testing.T) {
	c := loadChart(t)
	tierPods := 0
	for _, s := range shapes {
		if s.tier != "street" && s.tier != "community" {
			continue
		}
		pods, perPod := budget(t, mergedValues(t, c, valuesOf(t, s.file)))
		tierPods += pods * perPod
	}
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			vals := valuesOf(t, s.file)
			merged := mergedValues(t, c, vals)
			pods, perPod := budget(t, merged)
			r := mustRender(t, c, s.namespace, vals)
			for _, svc := range enabledServices(merged) {
				dep := r.one(t, "Deployment", componentName(svc)).typed.(*appsv1.Deployment)
				require.Equal(t, strconv.Itoa(perPod), envMap(dep.Spec.Template.Spec.Containers[0].Env)["GAOXING_SQL_MAX_CONNS"], svc)
			}
			sts, ok := r.byKind("StatefulSet")[componentName("postgresql")]
			if !ok {
				return // the district's server: counted there
			}
			args := strings.Join(sts.typed.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0].Args, " ")
			conns, err := merged.Table("postgresql.connections")
			require.NoError(t, err)
			want := pods*perPod + num(t, conns["otherTiers"]) + num(t, conns["reserve"])
			require.Contains(t, args, "max_connections="+strconv.Itoa(want))
			if s.tier == "district" {
				require.GreaterOrEqual(t, num(t, conns["otherTiers"]), tierPods, "the street and community pools fit")
			}
		})
	}
	_, err := renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "postgresql.connections.maxConnections=20"))
	require.ErrorContains(t, err, "the replicas need")
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "postgresql.connections.maxConnections=500"))
	args := r.one(t, "StatefulSet", componentName("postgresql")).typed.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0].Args
	require.Contains(t, args, "max_connections=500")
}

// TestOperableDefaults: a draining preStop before SIGTERM with time after it, and the
// usual knobs reach the pods.
func TestOperableDefaults(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "priorityClassName=gov-critical",
		"affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key=zone",
		"affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator=Exists",
		"extraVolumes[0].name=rules", "extraVolumes[0].configMap.name=rules",
		"extraVolumeMounts[0].name=rules", "extraVolumeMounts[0].mountPath=/etc/gaoxing/rules"))
	for kind, pod := range podTemplates(r) {
		require.Equal(t, "gov-critical", pod.Spec.PriorityClassName, kind)
		require.NotNil(t, pod.Spec.Affinity, kind)
	}
	for _, svc := range serviceNames {
		spec := r.one(t, "Deployment", componentName(svc)).typed.(*appsv1.Deployment).Spec.Template.Spec
		ct := spec.Containers[0]
		require.Equal(t, int64(5), ct.Lifecycle.PreStop.Sleep.Seconds, svc)
		require.Equal(t, int64(30), *spec.TerminationGracePeriodSeconds, svc)
		requireMounted(t, svc, spec, "/etc/gaoxing/rules/x")
	}
}
