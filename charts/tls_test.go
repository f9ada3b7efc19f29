package charts

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// tlsValues turn on every transport security knob: a CA bundle, etcd TLS with client
// certificates and a password user, PostgreSQL and MinIO certificates.
var tlsValues = []string{
	"tls.caBundle.secret=zone-ca",
	"etcd.tls.enabled=true", "etcd.tls.serverSecret=etcd-server", "etcd.tls.clientSecret=etcd-client",
	"etcd.auth.existingSecret=etcd-auth",
	"postgresql.tls.existingSecret=postgresql-tls",
	"minio.tls.existingSecret=minio-tls",
	"ingress.tls.clusterIssuer=zone-issuer",
	"tls.services.secret=services-tls",
	"metrics.serviceMonitor.enabled=true",
}

// TestTransportSecurity: with the TLS values, every Gaoxing pod (services and the tenant
// hook) is told, through the variables config.Etcd reads, to verify etcd against the
// mounted CA bundle and to present the client certificate and the password file, and
// every file it names is mounted; the DSN verifies PostgreSQL's certificate; MinIO is
// spoken to over TLS; the bundled servers serve their certificates; the Ingress asks
// cert-manager for its certificate. Without them (the defaults), the Ingress still has TLS.
func TestTransportSecurity(t *testing.T) {
	known := knownServiceEnv(t)
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", append(tlsValues, withTree...)...))

	type pod struct {
		name string
		spec corev1.PodSpec
	}
	var pods []pod
	for name, o := range r.byKind("Deployment") {
		spec := o.typed.(*appsv1.Deployment).Spec.Template.Spec
		if name == componentName("console") {
			// The console's pages reach no etcd, database or peer: it only serves
			// TLS to the Ingress, which speaks HTTPS to every backend.
			ct := spec.Containers[0]
			env := envMap(ct.Env)
			for _, f := range []string{"GAOXING_TLS_CERT_FILE", "GAOXING_TLS_KEY_FILE"} {
				requireMounted(t, name, spec, env[f])
			}
			require.Equal(t, corev1.URISchemeHTTPS, ct.ReadinessProbe.HTTPGet.Scheme, name)
			continue
		}
		pods = append(pods, pod{name, spec})
	}
	pods = append(pods, pod{"tenants", r.one(t, "Job", componentName("tenants")).typed.(*batchv1.Job).Spec.Template.Spec})
	require.Len(t, pods, len(serviceNames)+1)
	for _, p := range pods {
		ct := p.spec.Containers[0]
		env := map[string]corev1.EnvVar{}
		for _, e := range ct.Env {
			env[e.Name] = e
			if strings.HasPrefix(e.Name, "GAOXING_") && p.name != "tenants" {
				require.Contains(t, known, e.Name, "%s: %s is read by no service", p.name, e.Name)
			}
		}
		files := map[string]string{
			"GAOXING_ETCD_CA_FILE":       "/etc/gaoxing/ca/ca.crt",
			"GAOXING_ETCD_CERT_FILE":     "/etc/gaoxing/etcd-client/tls.crt",
			"GAOXING_ETCD_KEY_FILE":      "/etc/gaoxing/etcd-client/tls.key",
			"GAOXING_ETCD_PASSWORD_FILE": "/etc/gaoxing/etcd-auth/password",
		}
		for name, path := range files {
			require.Equal(t, path, env[name].Value, "%s: %s", p.name, name)
			requireMounted(t, p.name, p.spec, path)
		}
		require.Equal(t, "/etc/gaoxing/ca", env["SSL_CERT_DIR"].Value, p.name)
		require.Equal(t, "etcd-auth", env["GAOXING_ETCD_USERNAME"].ValueFrom.SecretKeyRef.Name, p.name)
		endpoints := env["GAOXING_ETCD_ENDPOINTS"].Value
		if p.name == "tenants" {
			endpoints = ct.Args[5]
		}
		for _, ep := range strings.Split(endpoints, ",") {
			require.True(t, strings.HasPrefix(ep, "https://"), "%s: %s", p.name, ep)
		}
		if p.name == "tenants" {
			continue
		}
		require.Contains(t, env["GAOXING_SQL_DSN"].Value, "?sslmode=verify-full&sslrootcert=/etc/gaoxing/ca/ca.crt", p.name)
		// The services serve TLS and dial each other and the JWKS over it.
		for _, f := range []string{"GAOXING_TLS_CERT_FILE", "GAOXING_TLS_KEY_FILE"} {
			requireMounted(t, p.name, p.spec, env[f].Value)
		}
		for _, peer := range strings.Split(env["GAOXING_PEERS"].Value, ",") {
			_, addr, _ := strings.Cut(peer, "=")
			require.True(t, strings.HasPrefix(addr, "tls://"), "%s: %s", p.name, peer)
		}
		require.True(t, strings.HasPrefix(env["GAOXING_JWKS_URL"].Value, "https://"), p.name)
		require.Equal(t, corev1.URISchemeHTTPS, ct.ReadinessProbe.HTTPGet.Scheme, p.name)
		if p.name == componentName("documents") {
			require.Equal(t, "true", env["GAOXING_MINIO_SSL"].Value)
		}
	}

	etcd := r.one(t, "StatefulSet", componentName("etcd")).typed.(*appsv1.StatefulSet).Spec.Template.Spec
	etcdEnv := envMap(etcd.Containers[0].Env)
	require.Equal(t, "true", etcdEnv["ETCD_CLIENT_CERT_AUTH"])
	require.Equal(t, "true", etcdEnv["ETCD_PEER_CLIENT_CERT_AUTH"])
	require.True(t, strings.HasPrefix(etcdEnv["ETCD_LISTEN_CLIENT_URLS"], "https://"))
	require.Contains(t, etcdEnv["ETCD_INITIAL_CLUSTER"], "=https://")
	for _, f := range []string{"ETCD_CERT_FILE", "ETCD_KEY_FILE", "ETCD_TRUSTED_CA_FILE"} {
		requireMounted(t, "etcd", etcd, etcdEnv[f])
	}
	require.Equal(t, "probes", etcd.Containers[0].ReadinessProbe.HTTPGet.Port.StrVal, "probes need no client certificate")

	pg := r.one(t, "StatefulSet", componentName("postgresql")).typed.(*appsv1.StatefulSet).Spec.Template.Spec
	require.Contains(t, strings.Join(pg.Containers[0].Args, " "), "-c ssl=on -c ssl_cert_file=/etc/postgresql/tls/tls.crt -c ssl_key_file=/etc/postgresql/tls/tls.key")
	requireMounted(t, "postgresql", pg, "/etc/postgresql/tls/tls.key")

	minio := r.one(t, "StatefulSet", componentName("minio")).typed.(*appsv1.StatefulSet).Spec.Template.Spec
	require.Contains(t, minio.Containers[0].Args, "/etc/minio/certs")
	requireMounted(t, "minio", minio, "/etc/minio/certs/public.crt")
	require.Equal(t, corev1.URISchemeHTTPS, minio.Containers[0].ReadinessProbe.HTTPGet.Scheme)

	ing := r.one(t, "Ingress", releaseName).typed.(*networkingv1.Ingress)
	require.Equal(t, "zone-issuer", ing.Annotations["cert-manager.io/cluster-issuer"])
	require.Equal(t, "200m", ing.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"], "uploads up to the documents service's 200 MiB")
	require.Equal(t, "HTTPS", ing.Annotations["nginx.ingress.kubernetes.io/backend-protocol"], "to the services' TLS")
	require.Contains(t, r.byKind("ServiceMonitor")[componentName("tickets")].text, "scheme: https")

	// Presigned links name the public host; a second Ingress takes the bucket's path to
	// MinIO over TLS.
	docs := envMap(r.one(t, "Deployment", componentName("documents")).typed.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Env)
	require.Equal(t, "https://gaoxing.example.gov.cn", docs["GAOXING_MINIO_PUBLIC_URL"])
	objects := r.one(t, "Ingress", componentName("objects")).typed.(*networkingv1.Ingress)
	path := objects.Spec.Rules[0].HTTP.Paths[0]
	require.Equal(t, "/gaoxing-documents/", path.Path)
	require.Equal(t, componentName("minio"), path.Backend.Service.Name)
	require.Equal(t, "HTTPS", objects.Annotations["nginx.ingress.kubernetes.io/backend-protocol"])
	require.Equal(t, "1g", objects.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
	require.Equal(t, ing.Spec.TLS, objects.Spec.TLS)

	// Defaults: TLS on the Ingress with the release's Secret name; plaintext to a bundled
	// PostgreSQL without a certificate only; an external one is verified.
	r = mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml"))
	ing = r.one(t, "Ingress", releaseName).typed.(*networkingv1.Ingress)
	require.Equal(t, componentName("tls"), ing.Spec.TLS[0].SecretName)
	r = mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "postgresql.bundled=false", "postgresql.host=db.example"))
	dep := r.one(t, "Deployment", componentName("tickets")).typed.(*appsv1.Deployment)
	require.True(t, strings.HasSuffix(envMap(dep.Spec.Template.Spec.Containers[0].Env)["GAOXING_SQL_DSN"], "?sslmode=verify-full"))

	// Two CA sources, or etcd TLS without the members' certificate, are refused.
	_, err := renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "tls.caBundle.secret=a", "tls.caBundle.configMap=b"))
	require.Error(t, err)
	_, err = renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "etcd.tls.enabled=true"))
	require.ErrorContains(t, err, "etcd.tls.serverSecret")
	_, err = renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "tls.services.secret=x"))
	require.ErrorContains(t, err, "tls.caBundle")
}

// requireMounted checks that path lies in a volume mounted into the pod's first
// container.
func requireMounted(t *testing.T, pod string, spec corev1.PodSpec, path string) {
	t.Helper()
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	for _, m := range spec.Containers[0].VolumeMounts {
		if strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/") {
			require.True(t, volumes[m.Name], "%s: mount %s has no volume", pod, m.Name)
			return
		}
	}
	t.Fatalf("%s: %s is in no mounted volume", pod, path)
}
