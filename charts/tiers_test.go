package charts

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
)

// TestTiersStandAlone: a street release names its district by values alone (no address
// of the default district is left in it), connects as its own database user, migrates
// nothing and applies no tenant tree; the district creates the tiers' users.
func TestTiersStandAlone(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "zone9-street", valuesOf(t, "values-street.yaml",
		"district.namespace=zone9", "district.release=hq", "district.host=zone9.example.gov.cn", "district.etcdReplicas=5"))
	for _, o := range r.objects {
		require.NotContains(t, o.text, "gaoxing-district", "%s %s", o.gvk.Kind, o.name)
	}
	require.NotContains(t, r.byKind("Job"), componentName("migrate-1"))
	dep := r.one(t, "Deployment", componentName("tickets")).typed.(*appsv1.Deployment)
	env := envMap(dep.Spec.Template.Spec.Containers[0].Env)
	endpoints := strings.Split(env["GAOXING_ETCD_ENDPOINTS"], ",")
	require.Len(t, endpoints, 5)
	require.Equal(t, "http://hq-gaoxing-etcd-4.hq-gaoxing-etcd-headless.zone9.svc:2379", endpoints[4])
	require.Contains(t, env["GAOXING_SQL_DSN"], "postgres://gaoxing_street@hq-gaoxing-postgresql.zone9.svc:5432/tickets?")
	require.Equal(t, "http://hq-gaoxing-identity.zone9.svc:8080/api/identity/keys", env["GAOXING_JWKS_URL"])
	require.Equal(t, "https://zone9.example.gov.cn/api/identity", env["GAOXING_ISSUER"])
	docs := envMap(r.one(t, "Deployment", componentName("documents")).typed.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Env)
	require.Equal(t, "hq-gaoxing-minio.zone9.svc:9000", docs["GAOXING_MINIO_ENDPOINT"])
	require.Equal(t, "https://zone9.example.gov.cn", docs["GAOXING_MINIO_PUBLIC_URL"])
	require.Contains(t, r.one(t, "NetworkPolicy", componentName("tickets")).text, "kubernetes.io/metadata.name: zone9}")

	district := mustRender(t, c, "gaoxing-district", valuesOf(t, "values-district.yaml"))
	job := district.one(t, "Job", componentName("postgresql-init-1")).typed.(*batchv1.Job).Spec.Template.Spec
	require.Equal(t, "gaoxing_street gaoxing_community", envMap(job.Containers[0].Env)["TIER_USERS"])
	requireMounted(t, "postgresql-init", job, "/etc/gaoxing/db/gaoxing_street-password")
}
