package charts

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestObjectStoreCredentials: the object store's root user is read only by the bundled
// server and the provisioning Job; the services sign as their release's own user, the
// district's Job creates the tiers' users, a tier has neither the root user nor a Job of
// its own, and replication is configured only with the replica's credentials given.
func TestObjectStoreCredentials(t *testing.T) {
	c := loadChart(t)
	// rootReaders lists the pods that read the root keys of the MinIO Secret.
	rootReaders := func(r rendered) []string {
		var out []string
		for name, pod := range podTemplates(r) {
			for _, ctr := range slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers) {
				for _, e := range ctr.Env {
					if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil &&
						(ref.SecretKeyRef.Key == "access-key" || ref.SecretKeyRef.Key == "secret-key") {
						out = append(out, name)
					}
				}
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	documentsEnv := func(r rendered) []corev1.EnvVar {
		return r.one(t, "Deployment", componentName("documents")).typed.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Env
	}

	district := mustRender(t, c, "gaoxing-district", valuesOf(t, "values-district.yaml"))
	require.Equal(t, []string{"Job/" + componentName("minio-provision-1"), "StatefulSet/" + componentName("minio")}, rootReaders(district))
	env := envVars(documentsEnv(district))
	require.Equal(t, "gaoxing-documents", env["GAOXING_MINIO_ACCESS_KEY"].Value)
	require.Equal(t, "service-secret-key", env["GAOXING_MINIO_SECRET_KEY"].ValueFrom.SecretKeyRef.Key)
	job := district.one(t, "Job", componentName("minio-provision-1")).typed.(*batchv1.Job).Spec.Template.Spec
	jobEnv := envMap(job.Containers[0].Env)
	require.Equal(t, "gaoxing-street gaoxing-community", jobEnv["TIER_USERS"])
	require.Equal(t, "gaoxing-documents", jobEnv["BUCKET"])
	require.Equal(t, "http://gaoxing-minio.gaoxing-district.svc:9000", jobEnv["ENDPOINT"])
	requireMounted(t, "minio-provision", job, "/etc/gaoxing/minio/gaoxing-community-secret-key")
	require.NotContains(t, jobEnv, "REPLICA_URL", "no replica configured")

	for _, tier := range []string{"street", "community"} {
		r := mustRender(t, c, "gaoxing-"+tier, valuesOf(t, "values-"+tier+".yaml"))
		require.Empty(t, rootReaders(r), "%s: no pod of a tier reads the root user", tier)
		require.NotContains(t, r.byKind("Job"), componentName("minio-provision-1"))
		env := envVars(documentsEnv(r))
		require.Equal(t, "gaoxing-"+tier, env["GAOXING_MINIO_ACCESS_KEY"].Value, "%s signs as its own user", tier)
		require.Equal(t, "service-secret-key", env["GAOXING_MINIO_SECRET_KEY"].ValueFrom.SecretKeyRef.Key)
		require.Equal(t, "http://gaoxing-minio.gaoxing-district.svc:9000", "http://"+env["GAOXING_MINIO_ENDPOINT"].Value)
	}

	// Replication to a second store, with its own credentials.
	_, err := renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "backup.minio.replica.url=https://backup.example:9000",
		"backup.minio.replica.bucket=gaoxing-documents-replica"))
	require.ErrorContains(t, err, "backup.minio.replica.existingSecret is required")
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "backup.minio.replica.url=https://backup.example:9000",
		"backup.minio.replica.bucket=gaoxing-documents-replica", "backup.minio.replica.existingSecret=gaoxing-replica"))
	job = r.one(t, "Job", componentName("minio-provision-1")).typed.(*batchv1.Job).Spec.Template.Spec
	jobEnv = envMap(job.Containers[0].Env)
	require.Equal(t, "https://backup.example:9000", jobEnv["REPLICA_URL"])
	require.Equal(t, "gaoxing-documents-replica", jobEnv["REPLICA_BUCKET"])
	requireMounted(t, "minio-provision", job, "/etc/gaoxing/minio-replica/secret-key")
	require.NotContains(t, jobEnv, "SSL_CERT_DIR", "no CA bundle given")

	// Over TLS with the zone's CA: the bundled server serves https and mc trusts the bundle.
	r = mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "minio.tls.existingSecret=gaoxing-minio-tls", "tls.caBundle.configMap=gaoxing-ca"))
	job = r.one(t, "Job", componentName("minio-provision-1")).typed.(*batchv1.Job).Spec.Template.Spec
	jobEnv = envMap(job.Containers[0].Env)
	require.Equal(t, "https://gaoxing-minio.gaoxing.svc:9000", jobEnv["ENDPOINT"])
	require.Equal(t, "/etc/gaoxing/ca", jobEnv["SSL_CERT_DIR"])
	requireMounted(t, "minio-provision", job, "/etc/gaoxing/ca/ca.crt")
	_, err = renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "backup.minio.replica.url=backup.example"))
	require.Error(t, err, "a replica URL names its scheme")
}

// TestObjectStoreErasureSet: the district's bundled MinIO is four servers of one drive
// each started together, each naming all four by their stable names through a headless
// Service that publishes them before they are ready, spread over nodes, at most one
// disrupted at a time; the pooled default stays one server; 2 and 3 (no erasure set) and
// more than 16 are refused.
func TestObjectStoreErasureSet(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing-district", valuesOf(t, "values-district.yaml"))
	sts := r.one(t, "StatefulSet", componentName("minio")).typed.(*appsv1.StatefulSet)
	require.EqualValues(t, 4, *sts.Spec.Replicas)
	require.Equal(t, appsv1.ParallelPodManagement, sts.Spec.PodManagementPolicy)
	require.Equal(t, componentName("minio-headless"), sts.Spec.ServiceName)
	require.Equal(t, "http://gaoxing-minio-{0...3}.gaoxing-minio-headless.gaoxing-district.svc:9000/data",
		sts.Spec.Template.Spec.Containers[0].Args[1])
	require.NotEmpty(t, sts.Spec.Template.Spec.TopologySpreadConstraints)
	headless := r.one(t, "Service", componentName("minio-headless")).typed.(*corev1.Service)
	require.Equal(t, corev1.ClusterIPNone, headless.Spec.ClusterIP)
	require.True(t, headless.Spec.PublishNotReadyAddresses)
	r.one(t, "PodDisruptionBudget", componentName("minio"))

	pooled := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml"))
	one := pooled.one(t, "StatefulSet", componentName("minio")).typed.(*appsv1.StatefulSet)
	require.EqualValues(t, 1, *one.Spec.Replicas)
	require.Equal(t, "/data", one.Spec.Template.Spec.Containers[0].Args[1])
	require.NotContains(t, pooled.byKind("Service"), componentName("minio-headless"))

	for _, n := range []string{"2", "3", "17"} {
		_, err := renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "minio.replicas="+n))
		require.Error(t, err, "minio.replicas=%s", n)
	}
}
