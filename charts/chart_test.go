package charts

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestRenderGolden renders every values file and compares the whole output (objects,
// hooks, NOTES) with testdata/<file>.golden; -update rewrites them. Generated secret
// values (dev) are masked so the files are stable.
func TestRenderGolden(t *testing.T) {
	c := loadChart(t)
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			r := mustRender(t, c, s.namespace, valuesOf(t, s.file))
			var b strings.Builder
			for _, o := range r.objects {
				b.WriteString("---\n")
				if o.hook {
					b.WriteString("# hook\n")
				}
				b.WriteString(maskSecret(t, o))
			}
			b.WriteString("--- NOTES.txt\n")
			b.WriteString(r.release.Info.Notes)
			golden := filepath.Join("testdata", strings.TrimSuffix(s.file, ".yaml")+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run `go test -run TestRenderGolden -update` to create it")
			require.Equal(t, string(want), b.String(), "rendered output changed; review and rerun with -update")
		})
	}
}

// maskSecret replaces a Secret's generated values by a placeholder.
func maskSecret(t *testing.T, o object) string {
	sec, ok := o.typed.(*corev1.Secret)
	if !ok {
		return o.text
	}
	for k := range sec.Data {
		sec.Data[k] = []byte("generated")
	}
	out, err := yaml.Marshal(sec)
	require.NoError(t, err)
	return "# Source: " + o.source + " (values masked)\n" + string(out)
}

// TestPodSecurityRestricted evaluates every pod template (Deployments, StatefulSets, Jobs,
// hooks included) against Pod Security "restricted" at the latest version, and checks
// what restricted does not: read-only root filesystems, no service-account token, and
// resources on every container.
func TestPodSecurityRestricted(t *testing.T) {
	c := loadChart(t)
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	require.NoError(t, err)
	level := psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			r := mustRender(t, c, s.namespace, valuesOf(t, s.file))
			pods := podTemplates(r)
			require.NotEmpty(t, pods)
			for name, pod := range pods {
				res := policy.AggregateCheckResults(evaluator.EvaluatePod(level, &pod.ObjectMeta, &pod.Spec))
				require.True(t, res.Allowed, "%s: %s: %s", name, res.ForbiddenReason(), res.ForbiddenDetail())
				require.NotNil(t, pod.Spec.AutomountServiceAccountToken, name)
				require.False(t, *pod.Spec.AutomountServiceAccountToken, "%s mounts a service-account token", name)
				for _, ctr := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
					require.NotNil(t, ctr.SecurityContext.ReadOnlyRootFilesystem, name)
					require.True(t, *ctr.SecurityContext.ReadOnlyRootFilesystem, "%s/%s: writable root filesystem", name, ctr.Name)
					require.True(t, slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/tmp" }),
						"%s/%s: no writable /tmp", name, ctr.Name)
					require.NotEmpty(t, ctr.Resources.Requests, "%s/%s: no resource requests", name, ctr.Name)
					require.NotEmpty(t, ctr.Resources.Limits, "%s/%s: no resource limits", name, ctr.Name)
				}
			}
		})
	}
}

// TestChecksBite shows the checks above fail on what they must catch: an unknown field, a
// duplicated key, an unknown kind, and a pod the restricted profile forbids.
func TestChecksBite(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replcas: 1}\n",
		"nested unknown": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80, targetPrt: 8080}]}\n",
		"duplicate key":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nmetadata: {name: y}\n",
		"unknown kind":   "apiVersion: v1\nkind: Deploymnt\nmetadata: {name: x}\n",
		"wrong type":     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeStrict(doc, false)
			require.Error(t, err)
		})
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	require.NoError(t, err)
	pod := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}
	res := policy.AggregateCheckResults(evaluator.EvaluatePod(
		psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}, &metav1.ObjectMeta{}, &pod))
	require.False(t, res.Allowed)
}

// podTemplates are the pod templates of every workload, by "Kind/name".
func podTemplates(r rendered) map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for _, o := range r.objects {
		switch w := o.typed.(type) {
		case *appsv1.Deployment:
			out["Deployment/"+o.name] = w.Spec.Template
		case *appsv1.StatefulSet:
			out["StatefulSet/"+o.name] = w.Spec.Template
		case *batchv1.Job:
			out["Job/"+o.name] = w.Spec.Template
		case *batchv1.CronJob:
			out["CronJob/"+o.name] = w.Spec.JobTemplate.Spec.Template
		case *corev1.Pod:
			out["Pod/"+o.name] = corev1.PodTemplateSpec{ObjectMeta: w.ObjectMeta, Spec: w.Spec}
		}
	}
	return out
}

// TestServicesComplete checks each shape's services: every enabled service has its
// Deployment, Service, PodDisruptionBudget, NetworkPolicy and an Ingress path
// /api/<svc>/ (Prefix) to its HTTP port, an HPA exactly when autoscaling is on, probes on
// the kit's health endpoints and topology spread; a disabled service has no object at all.
func TestServicesComplete(t *testing.T) {
	c := loadChart(t)
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			vals := valuesOf(t, s.file)
			merged := mergedValues(t, c, vals)
			r := mustRender(t, c, s.namespace, vals)
			enabled := enabledServices(merged)
			require.NotEmpty(t, enabled)
			ing := r.one(t, "Ingress", releaseName).typed.(*networkingv1.Ingress)
			require.Len(t, ing.Spec.Rules, 1)
			paths := map[string]networkingv1.HTTPIngressPath{}
			for _, p := range ing.Spec.Rules[0].HTTP.Paths {
				paths[p.Path] = p
			}
			require.Len(t, paths, len(enabled)+1, "one Ingress path per enabled service, and the console's")
			require.Equal(t, componentName("console"), paths["/"].Backend.Service.Name)
			hpas := r.byKind("HorizontalPodAutoscaler")
			for _, svc := range serviceNames {
				name := componentName(svc)
				if !slices.Contains(enabled, svc) {
					for _, o := range r.objects {
						require.NotEqual(t, svc, o.labels["app.kubernetes.io/component"], "disabled %s rendered %s %s", svc, o.gvk.Kind, o.name)
					}
					continue
				}
				dep := r.one(t, "Deployment", name).typed.(*appsv1.Deployment)
				r.one(t, "Service", name)
				r.one(t, "PodDisruptionBudget", name)
				r.one(t, "NetworkPolicy", name)
				p, ok := paths["/api/"+svc+"/"]
				require.True(t, ok, "no Ingress path for %s", svc)
				require.Equal(t, networkingv1.PathTypePrefix, *p.PathType)
				require.Equal(t, name, p.Backend.Service.Name)
				require.Equal(t, "http", p.Backend.Service.Port.Name)

				autoscaling := merged["services"].(map[string]any)[svc].(map[string]any)["autoscaling"].(map[string]any)
				if autoscaling["enabled"].(bool) {
					hpa, ok := hpas[name]
					require.True(t, ok, "autoscaling on but no HPA for %s", svc)
					h := hpa.typed.(*autoscalingv2.HorizontalPodAutoscaler)
					require.Equal(t, name, h.Spec.ScaleTargetRef.Name)
					require.Nil(t, dep.Spec.Replicas, "%s: replicas are the HPA's", svc)
				} else {
					require.NotContains(t, hpas, name)
					require.NotNil(t, dep.Spec.Replicas)
				}

				pod := dep.Spec.Template.Spec
				require.Len(t, pod.TopologySpreadConstraints, 2, svc)
				ctr := pod.Containers[0]
				require.Equal(t, "/healthz", ctr.StartupProbe.HTTPGet.Path)
				require.Equal(t, "/healthz", ctr.LivenessProbe.HTTPGet.Path)
				require.Equal(t, "/readyz", ctr.ReadinessProbe.HTTPGet.Path)
				require.Equal(t, "true", dep.Spec.Template.Annotations["prometheus.io/scrape"])
			}
		})
	}
}

// TestEnvMatchesServices checks that every GAOXING_* variable the chart gives a service
// is one the services read: a flag of pkg/app.Main (config.EnvName of its name) or a
// variable named in pkg/sealed or the identity service. The sources are read as text so
// this module stays out of the workspace.
func TestEnvMatchesServices(t *testing.T) {
	known := knownServiceEnv(t)
	c := loadChart(t)
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			r := mustRender(t, c, s.namespace, valuesOf(t, s.file))
			for name, dep := range r.byKind("Deployment") {
				if name == componentName("console") {
					continue // TestConsole: it reads only its listener, the issuer and the log level
				}
				env := map[string]corev1.EnvVar{}
				for _, e := range dep.typed.(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Env {
					env[e.Name] = e
					if strings.HasPrefix(e.Name, "GAOXING_") {
						require.Contains(t, known, e.Name, "%s: %s is read by no service", name, e.Name)
					}
				}
				for _, want := range []string{"GAOXING_HTTP_ADDR", "GAOXING_GRPC_ADDR", "GAOXING_ETCD_ENDPOINTS", "GAOXING_SQL_DSN",
					"GAOXING_ISSUER", "GAOXING_JWKS_URL", "GAOXING_SEALED_KEYS", "GAOXING_SEALED_INDEX_KEY"} {
					require.Contains(t, env, want, name)
				}
				require.True(t, strings.HasPrefix(env["GAOXING_ISSUER"].Value, "http"), name)
				if s.file != "values-dev.yaml" {
					require.True(t, strings.HasPrefix(env["GAOXING_ISSUER"].Value, "https://"), "%s: production issuer must be https", name)
				}
				if dsn := env["GAOXING_SQL_DSN"]; dsn.ValueFrom == nil {
					require.NotContains(t, dsn.Value, ":@", name)
					require.Regexp(t, `^postgres://[a-z_]+@[^:/]+:\d+/[a-z]+\?sslmode=`, dsn.Value, "%s: DSN without password (PGPASSWORD)", name)
					require.NotNil(t, env["PGPASSWORD"].ValueFrom.SecretKeyRef, name)
				}
			}
		})
	}
}

// knownServiceEnv collects the variables the services read, from their source.
func knownServiceEnv(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	flagDecl := regexp.MustCompile(`fs\.(?:String|Bool|Int|Duration|Var|StringVar|BoolVar|IntVar|DurationVar)\([^"]*"([a-z0-9-]+)"`)
	// app.Main's flags, and config.Etcd's (RegisterTLS), which it declares too.
	for _, f := range []string{"pkg/app/main.go", "pkg/config/etcd.go"} {
		src, err := os.ReadFile(filepath.Join("..", f))
		require.NoError(t, err)
		for _, m := range flagDecl.FindAllStringSubmatch(string(src), -1) {
			known["GAOXING_"+strings.ToUpper(strings.ReplaceAll(m[1], "-", "_"))] = true
		}
	}
	require.Contains(t, known, "GAOXING_ETCD_ENDPOINTS", "pkg/app/main.go flags not found")
	literal := regexp.MustCompile(`"(GAOXING_[A-Z_]+)"`)
	for _, f := range []string{"pkg/sealed/sealed.go", "services/identity/bootstrap.go"} {
		src, err := os.ReadFile(filepath.Join("..", f))
		require.NoError(t, err)
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			known[m[1]] = true
		}
	}
	return known
}

// TestTenantTree checks the tenant hook: no shipped values file renders it (an upgrade
// without the tree changes no tenant); given a tree, the pooled and district releases
// carry it in a ConfigMap (same schema `gaoxing tenant apply` reads, unknown fields
// rejected) and a post-install/post-upgrade Job running the launcher's `tenant apply`
// against the release's etcd with flags the launcher declares, with --delete only when
// tenants.delete names tenants; street and community releases apply nothing.
func TestTenantTree(t *testing.T) {
	want := readTree(t, filepath.Join("..", "pkg", "tenancy", "default_tree.yaml"))
	require.Len(t, want, 1+2+29)
	adminSrc, err := os.ReadFile(filepath.Join("..", "cmd", "gaoxing", "admin.go"))
	require.NoError(t, err)
	tenantSrc, err := os.ReadFile(filepath.Join("..", "cmd", "gaoxing", "tenant.go"))
	require.NoError(t, err)
	treeValues := func(t *testing.T, file string, set ...string) map[string]any {
		vals := valuesOf(t, file, set...)
		tree := make([]any, len(want))
		for i, w := range want {
			b, err := json.Marshal(w)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &tree[i]))
		}
		return chartutil.CoalesceTables(map[string]any{"tenants": map[string]any{"tree": tree}}, vals)
	}
	c := loadChart(t)
	jobName := componentName("tenants")
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			// Without a tree (every shipped values file): no Job, so an upgrade that does
			// not pass the tree's values file changes no tenant.
			r := mustRender(t, c, s.namespace, valuesOf(t, s.file))
			require.NotContains(t, r.byKind("ConfigMap"), jobName)
			require.NotContains(t, r.byKind("Job"), jobName)

			r = mustRender(t, c, s.namespace, treeValues(t, s.file))
			if s.tier == "street" || s.tier == "community" {
				require.NotContains(t, r.byKind("ConfigMap"), jobName)
				require.NotContains(t, r.byKind("Job"), jobName)
				return
			}
			cm := r.one(t, "ConfigMap", jobName).typed.(*corev1.ConfigMap)
			got := readTreeBytes(t, []byte(cm.Data["tenants.yaml"]))
			require.Equal(t, want, got, "the tenant ConfigMap differs from the tree given")

			o := r.one(t, "Job", jobName)
			require.True(t, o.hook)
			job := o.typed.(*batchv1.Job)
			require.Equal(t, "post-install,post-upgrade", job.Annotations["helm.sh/hook"], "a rollback runs no hook")
			args := job.Spec.Template.Spec.Containers[0].Args
			require.Equal(t, []string{"tenant", "apply", "-f", "/etc/gaoxing/tenants.yaml", "--etcd"}, args[:5])
			require.Len(t, args, 6, "no --delete unless tenants.delete names tenants")
			require.Contains(t, string(adminSrc), `fs.StringVar(&a.etcd, "etcd"`)
			require.Contains(t, string(tenantSrc), `fs.String("f"`)
			require.Contains(t, string(tenantSrc), `"delete"`)
			require.Contains(t, args[5], "2379")
			for _, ep := range strings.Split(args[5], ",") {
				require.Regexp(t, `^https?://[a-z0-9.-]+:2379$`, ep)
			}

			// Deleting is named per run and changes the Job (a new pod runs).
			del := mustRender(t, c, s.namespace, treeValues(t, s.file, "tenants.delete={ahz.s02.c14,ahz.s02.c13}"))
			djob := del.one(t, "Job", jobName).typed.(*batchv1.Job)
			require.Equal(t, []string{"--delete", "ahz.s02.c14,ahz.s02.c13"}, djob.Spec.Template.Spec.Containers[0].Args[6:])
			require.NotEqual(t, job.Spec.Template.Annotations["checksum/tenants"], djob.Spec.Template.Annotations["checksum/tenants"])
		})
	}
	_, err = renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", "tenants.delete={AHZ}"))
	require.ErrorContains(t, err, "/tenants/delete/0", "the schema checks the ids")
	// Legal aid (法律援助) is a district matter: no street or community tenant enables it.
	for _, ten := range want {
		if ten.Tier != "district" {
			require.NotContains(t, ten.Services, "legalaid", ten.ID)
		}
	}
}

// withTree is --set for a one-tenant tree, so that the tenant hook renders.
var withTree = []string{"tenants.tree[0].id=ahz", "tenants.tree[0].name=区中心", "tenants.tree[0].tier=district", "tenants.tree[0].enabled=true"}

// tenant mirrors pkg/tenancy.Tenant's YAML form; strict decoding rejects anything else,
// as `gaoxing tenant apply` does.
type tenant struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Tier     string   `json:"tier"`
	Parent   string   `json:"parent,omitempty"`
	Services []string `json:"services,omitempty"`
	Enabled  bool     `json:"enabled"`
	Windows  []struct {
		Code string `json:"code"`
		Name string `json:"name"`
		Kind string `json:"kind"`
	} `json:"windows,omitempty"`
}

func readTree(t *testing.T, path string) []tenant {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return readTreeBytes(t, b)
}

func readTreeBytes(t *testing.T, b []byte) []tenant {
	t.Helper()
	var ts []tenant
	require.NoError(t, yaml.UnmarshalStrict(b, &ts))
	return ts
}

// TestCommunityShape checks the community release: no identity, no legal aid, nothing
// bundled (it uses the district's etcd, PostgreSQL and MinIO), no tenant hook, a quota.
func TestCommunityShape(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing-community", valuesOf(t, "values-community.yaml"))
	for _, o := range r.objects {
		require.NotContains(t, strings.ToLower(o.name), "legalaid", "community stations do not run legal aid")
		require.NotContains(t, []string{"identity", "etcd", "postgresql", "minio", "postgresql-init", "tenants"},
			o.labels["app.kubernetes.io/component"], "%s %s", o.gvk.Kind, o.name)
	}
	require.Empty(t, r.byKind("StatefulSet"))
	require.Len(t, r.byKind("Deployment"), 4, "documents, matters, tickets and the console")
	q := r.one(t, "ResourceQuota", releaseName).typed.(*corev1.ResourceQuota)
	require.Contains(t, q.Spec.Hard, corev1.ResourceName("requests.cpu"))
	dep := r.one(t, "Deployment", componentName("tickets")).typed.(*appsv1.Deployment)
	env := envMap(dep.Spec.Template.Spec.Containers[0].Env)
	require.Contains(t, env["GAOXING_ETCD_ENDPOINTS"], ".gaoxing-district.svc:2379")
	require.Contains(t, env["GAOXING_SQL_DSN"], "@gaoxing-postgresql.gaoxing-district.svc:5432/tickets?")
	require.Equal(t, "http://gaoxing-identity.gaoxing-district.svc:8080/api/identity/keys", env["GAOXING_JWKS_URL"])
}

func envMap(env []corev1.EnvVar) map[string]string {
	out := map[string]string{}
	for _, e := range env {
		out[e.Name] = e.Value
	}
	return out
}

// TestBundledDependencies checks the pooled shape's bundled stores: a 3-member etcd whose
// initial cluster names the headless Service's stable names, PostgreSQL with an init Job
// creating one database per enabled service, MinIO, and the services pointed at them.
func TestBundledDependencies(t *testing.T) {
	c := loadChart(t)
	vals := valuesOf(t, "values.yaml")
	r := mustRender(t, c, "gaoxing", vals)

	etcd := r.one(t, "StatefulSet", componentName("etcd")).typed.(*appsv1.StatefulSet)
	require.EqualValues(t, 3, *etcd.Spec.Replicas)
	require.Equal(t, appsv1.ParallelPodManagement, etcd.Spec.PodManagementPolicy)
	etcdEnv := envMap(etcd.Spec.Template.Spec.Containers[0].Env)
	require.Len(t, strings.Split(etcdEnv["ETCD_INITIAL_CLUSTER"], ","), 3)
	require.Equal(t, "gaoxing-etcd-0=http://gaoxing-etcd-0.gaoxing-etcd-headless.gaoxing.svc:2380", strings.Split(etcdEnv["ETCD_INITIAL_CLUSTER"], ",")[0])
	headless := r.one(t, "Service", componentName("etcd-headless")).typed.(*corev1.Service)
	require.Equal(t, "None", headless.Spec.ClusterIP)
	require.True(t, headless.Spec.PublishNotReadyAddresses)
	r.one(t, "PodDisruptionBudget", componentName("etcd"))

	r.one(t, "StatefulSet", componentName("postgresql"))
	r.one(t, "StatefulSet", componentName("minio"))
	job := r.one(t, "Job", componentName("postgresql-init-1")).typed.(*batchv1.Job)
	dbs := strings.Fields(envMap(job.Spec.Template.Spec.Containers[0].Env)["DATABASES"])
	require.Equal(t, enabledServices(mergedValues(t, c, vals)), dbs)

	for _, svc := range serviceNames {
		dep := r.one(t, "Deployment", componentName(svc)).typed.(*appsv1.Deployment)
		env := envMap(dep.Spec.Template.Spec.Containers[0].Env)
		require.Len(t, strings.Split(env["GAOXING_ETCD_ENDPOINTS"], ","), 3, svc)
		require.Equal(t, "postgres://gaoxing@gaoxing-postgresql.gaoxing.svc:5432/"+svc+"?sslmode=disable", env["GAOXING_SQL_DSN"])
		_, minio := env["GAOXING_MINIO_ENDPOINT"]
		require.Equal(t, svc == "documents", minio, "only documents keeps bytes in MinIO")
	}

	// Switched off, nothing of theirs renders and the services use the given endpoints.
	ext := valuesOf(t, "values.yaml", append([]string{"etcd.bundled=false", "etcd.endpoints={https://etcd.example:2379}",
		"postgresql.bundled=false", "sql.existingSecret=gaoxing-dsn", "minio.bundled=false", "minio.endpoint=s3.example:443", "minio.ssl=true"}, withTree...)...)
	r = mustRender(t, c, "gaoxing", ext)
	require.Empty(t, r.byKind("StatefulSet"))
	require.Equal(t, []string{componentName("migrate-1"), componentName("minio-provision-1"), componentName("tenants")}, names(r.byKind("Job")),
		"no database Job when DSNs are given; the external object store is still provisioned")
	mig := r.one(t, "Job", componentName("migrate-1")).typed.(*batchv1.Job).Spec.Template.Spec
	require.Equal(t, &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "gaoxing-dsn"}, Key: "documents-migration"},
		envVars(mig.InitContainers[0].Env)["GAOXING_SQL_DSN"].ValueFrom.SecretKeyRef, "the migration DSN is its own key")
	dep := r.one(t, "Deployment", componentName("documents")).typed.(*appsv1.Deployment)
	env := map[string]corev1.EnvVar{}
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e
	}
	require.Equal(t, "https://etcd.example:2379", env["GAOXING_ETCD_ENDPOINTS"].Value)
	require.Equal(t, &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "gaoxing-dsn"}, Key: "documents"},
		env["GAOXING_SQL_DSN"].ValueFrom.SecretKeyRef)
	require.NotContains(t, env, "PGPASSWORD")
	require.Equal(t, "s3.example:443", env["GAOXING_MINIO_ENDPOINT"].Value)
	require.Equal(t, "true", env["GAOXING_MINIO_SSL"].Value)
	require.Equal(t, "https://s3.example:443", envMap(r.one(t, "Job", componentName("minio-provision-1")).typed.(*batchv1.Job).Spec.Template.Spec.Containers[0].Env)["ENDPOINT"])
}

func envVars(env []corev1.EnvVar) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range env {
		m[e.Name] = e
	}
	return m
}

// TestMigrations: the services never change their schema (--migrate=never, the user
// without DDL rights); the releases that own the databases run one Job per revision that
// migrates every enabled service in turn, each with its own image, as the migration user;
// per-tier releases on the district's databases run none.
func TestMigrations(t *testing.T) {
	known := knownServiceEnv(t)
	c := loadChart(t)
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			vals := valuesOf(t, s.file)
			r := mustRender(t, c, s.namespace, vals)
			enabled := enabledServices(mergedValues(t, c, vals))
			for _, svc := range enabled {
				dep := r.one(t, "Deployment", componentName(svc)).typed.(*appsv1.Deployment)
				env := envMap(dep.Spec.Template.Spec.Containers[0].Env)
				require.Equal(t, "never", env["GAOXING_MIGRATE"], svc)
				user := map[string]string{"street": "gaoxing_street", "community": "gaoxing_community"}[s.tier]
				if user == "" {
					user = "gaoxing"
				}
				require.Regexp(t, `^postgres://`+user+`@`, env["GAOXING_SQL_DSN"], "%s: each tier connects as its own user", svc)
			}
			jobs := r.byKind("Job")
			if s.tier == "street" || s.tier == "community" {
				require.NotContains(t, jobs, componentName("migrate-1"))
				return
			}
			spec := r.one(t, "Job", componentName("migrate-1")).typed.(*batchv1.Job).Spec.Template.Spec
			containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
			var order []string
			for _, ct := range containers {
				order = append(order, ct.Name)
				env := envVars(ct.Env)
				require.Equal(t, "only", env["GAOXING_MIGRATE"].Value, ct.Name)
				require.Regexp(t, `^postgres://gaoxing_migrator@[^/]+/`+ct.Name+`\?sslmode=`, env["GAOXING_SQL_DSN"].Value, ct.Name)
				require.Equal(t, "migration-password", env["PGPASSWORD"].ValueFrom.SecretKeyRef.Key, ct.Name)
				require.Contains(t, ct.Image, "gaoxing/"+ct.Name+":", "each service migrates with its own binary")
				for name := range env {
					if strings.HasPrefix(name, "GAOXING_") {
						require.Contains(t, known, name)
					}
				}
			}
			require.Equal(t, enabled, order, "one service after another")
		})
	}
}

// TestSecretsOnlyInDev checks that production shapes render no Secret (every secret is an
// existingSecret reference) and that dev generates exactly the Secrets its pods reference.
func TestSecretsOnlyInDev(t *testing.T) {
	c := loadChart(t)
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			r := mustRender(t, c, s.namespace, valuesOf(t, s.file))
			secrets := r.byKind("Secret")
			refs := map[string]bool{}
			for _, pod := range podTemplates(r) {
				for _, ctr := range pod.Spec.Containers {
					for _, e := range ctr.Env {
						if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
							refs[e.ValueFrom.SecretKeyRef.Name] = true
						}
					}
				}
			}
			require.NotEmpty(t, refs)
			if s.file != "values-dev.yaml" {
				require.Empty(t, secrets, "only dev may generate Secrets")
				return
			}
			require.Len(t, secrets, 3)
			for name := range refs {
				require.Contains(t, secrets, name, "a pod references a Secret dev does not generate")
			}
			keys := secrets[componentName("dev-sealing")].typed.(*corev1.Secret).Data
			require.Regexp(t, `^k1=[A-Za-z0-9+/]{43}=$`, string(keys["keys"]), "a 32-byte sealing key, base64")
		})
	}
}

// TestSecretsRequired checks that outside dev a missing secret reference fails the render
// (rather than a pod referencing a Secret with no name), and that dev ignores them.
func TestSecretsRequired(t *testing.T) {
	c := loadChart(t)
	for _, set := range []string{"secrets.sealing.existingSecret=", "postgresql.existingSecret=", "minio.existingSecret="} {
		t.Run(set, func(t *testing.T) {
			_, err := renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", set))
			require.ErrorContains(t, err, "must be given as an existingSecret")
			mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", set, "dev=true"))
		})
	}
}

// TestNetworkPolicies checks the default deny and the services' allowances: ingress
// controller and peers in, DNS, etcd and SQL out; MinIO only for documents; the OTLP
// collector only when an endpoint is set.
func TestNetworkPolicies(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", append([]string{"otel.endpoint=http://collector.observability:4317",
		"otel.collector.namespaceSelector.matchLabels.name=observability"}, withTree...)...))
	deny := r.one(t, "NetworkPolicy", componentName("default-deny")).typed.(*networkingv1.NetworkPolicy)
	require.Empty(t, deny.Spec.PodSelector.MatchLabels)
	require.Empty(t, deny.Spec.Ingress)
	require.Empty(t, deny.Spec.Egress)
	require.ElementsMatch(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}, deny.Spec.PolicyTypes)
	for _, svc := range serviceNames {
		np := r.one(t, "NetworkPolicy", componentName(svc)).typed.(*networkingv1.NetworkPolicy)
		ports := map[int32]bool{}
		for _, e := range np.Spec.Egress {
			for _, p := range e.Ports {
				ports[p.Port.IntVal] = true
			}
		}
		for _, p := range []int32{53, 2379, 5432, 8080, 9090, 4317} {
			require.True(t, ports[p], "%s: no egress to port %d", svc, p)
		}
		require.Equal(t, svc == "documents", ports[9000], "%s: MinIO egress", svc)
		require.Equal(t, "ingress-nginx", np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
		require.Len(t, np.Spec.Ingress, 3, "%s: ingress controller, peers, Prometheus", svc)
		require.Equal(t, "monitoring", np.Spec.Ingress[2].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
	}
	for _, dep := range []string{"etcd", "postgresql", "minio", "tenants", "postgresql-init"} {
		r.one(t, "NetworkPolicy", componentName(dep))
	}
}

// TestConsole checks the staff console: at / behind the same ingress, its issuer the
// services' issuer, reachable only from the ingress controller and calling nothing (the
// browser calls the APIs), and absent when switched off.
func TestConsole(t *testing.T) {
	c := loadChart(t)
	known := knownServiceEnv(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml"))
	name := componentName("console")
	dep := r.one(t, "Deployment", name).typed.(*appsv1.Deployment)
	ctr := dep.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range ctr.Env {
		require.Contains(t, known, e.Name)
		env[e.Name] = e.Value
	}
	identity := r.one(t, "Deployment", componentName("identity")).typed.(*appsv1.Deployment)
	for _, e := range identity.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "GAOXING_ISSUER" {
			require.Equal(t, e.Value, env["GAOXING_ISSUER"])
		}
	}
	require.NotContains(t, env, "GAOXING_SQL_DSN")
	require.Equal(t, "/readyz", ctr.ReadinessProbe.HTTPGet.Path)
	r.one(t, "Service", name)
	r.one(t, "PodDisruptionBudget", name)
	np := r.one(t, "NetworkPolicy", name).typed.(*networkingv1.NetworkPolicy)
	require.Len(t, np.Spec.Ingress, 1, "the ingress controller only")
	for _, e := range np.Spec.Egress {
		for _, p := range e.Ports {
			require.Equal(t, int32(53), p.Port.IntVal, "DNS only")
		}
	}

	off := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "console.enabled=false"))
	for _, o := range off.objects {
		require.NotEqual(t, "console", o.labels["app.kubernetes.io/component"], "%s %s", o.gvk.Kind, o.name)
	}
	ing := off.one(t, "Ingress", releaseName).typed.(*networkingv1.Ingress)
	for _, p := range ing.Spec.Rules[0].HTTP.Paths {
		require.NotEqual(t, "/", p.Path)
	}
}

// TestImages checks image references: the registry prefix, the appVersion tag by default,
// and a per-service digest.
func TestImages(t *testing.T) {
	c := loadChart(t)
	digest := "sha256:" + strings.Repeat("ab", 32)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", append([]string{"image.registry=mirror.example/gov",
		"services.tickets.image.digest=" + digest, "services.matters.image.tag=v9"}, withTree...)...))
	image := func(kind, name string) string {
		return podTemplates(r)[kind+"/"+name].Spec.Containers[0].Image
	}
	require.Equal(t, "mirror.example/gov/gaoxing/identity:"+c.Metadata.AppVersion, image("Deployment", componentName("identity")))
	require.Equal(t, "mirror.example/gov/gaoxing/tickets:"+c.Metadata.AppVersion+"@"+digest, image("Deployment", componentName("tickets")))
	require.Equal(t, "mirror.example/gov/gaoxing/matters:v9", image("Deployment", componentName("matters")))
	require.Equal(t, "mirror.example/gov/gaoxing/console:"+c.Metadata.AppVersion, image("Deployment", componentName("console")))
	require.Equal(t, "mirror.example/gov/coreos/etcd:v3.6.16", image("StatefulSet", componentName("etcd")))
	require.Equal(t, "mirror.example/gov/gaoxing/gaoxing:"+c.Metadata.AppVersion, image("Job", componentName("tenants")))
}

// TestSchemaRejectsTypos checks values.schema.json: a misspelt key anywhere fails the
// render with the key named; global is declared, so a parent chart's globals pass.
func TestSchemaRejectsTypos(t *testing.T) {
	c := loadChart(t)
	for _, tc := range []struct{ set, named string }{
		{"services.tickets.replcas=3", "replcas"},
		{"services.ticket.enabled=true", "ticket"},
		{"ingres.host=x", "ingres"},
		{"etcd.endpoint={http://x:2379}", "endpoint"},
		{"tenants.tree[0].servics={a}", "servics"},
		{"networkPolicy.ingressController.namespaceSelector.matchLabel.a=b", "matchLabel"},
		{"services.identity.autoscaling.targetCPU=170", "targetCPU"},
		{"services.tickets.extraEnv[0].nme=X", "nme"},
		{"tolerations[0].efect=NoSchedule", "efect"},
	} {
		t.Run(tc.set, func(t *testing.T) {
			_, err := renderChart(t, c, "gaoxing", valuesOf(t, "values.yaml", tc.set))
			require.Error(t, err)
			require.Contains(t, err.Error(), "values don't meet the specifications of the schema")
			require.Contains(t, err.Error(), tc.named)
		})
	}
	mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "global.imageRegistry=x", "global.anything.nested=1"))
}

// TestServiceMonitorToggle checks the Prometheus Operator toggle: off by default, one
// ServiceMonitor per enabled service when on (custom resources skip strict decoding).
func TestServiceMonitorToggle(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml"))
	require.Empty(t, r.byKind("ServiceMonitor"))
	r = mustRender(t, c, "gaoxing", valuesOf(t, "values-street.yaml", "metrics.serviceMonitor.enabled=true"))
	sms := r.byKind("ServiceMonitor")
	require.Len(t, sms, 3)
	for _, sm := range sms {
		var obj struct {
			Spec struct {
				Endpoints []struct {
					Port, Path string
				}
			}
		}
		require.NoError(t, yaml.Unmarshal([]byte(sm.text), &obj))
		require.Equal(t, "http", obj.Spec.Endpoints[0].Port)
		require.Equal(t, "/metrics", obj.Spec.Endpoints[0].Path)
	}
}

// TestDashboards checks the Grafana ConfigMap: labelled for the sidecar, valid JSON, and
// every query built only from metric names the code exports (pkg/kit's endpoint chain and
// pkg/calendar, in their Prometheus form).
// TestDashboards checks the dashboards render into their ConfigMap and, with the
// alerting rules, query only series the services export: testdata/metrics.txt, which
// the e2e/observe test keeps equal to what a scrape of the running services shows.
func TestDashboards(t *testing.T) {
	list, err := os.ReadFile(filepath.Join("testdata", "metrics.txt"))
	require.NoError(t, err)
	exported := map[string]bool{}
	for _, n := range strings.Fields(string(list)) {
		exported[n] = true
	}
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml"))
	cm := r.one(t, "ConfigMap", componentName("dashboards")).typed.(*corev1.ConfigMap)
	require.Equal(t, "1", cm.Labels["grafana_dashboard"])
	require.ElementsMatch(t, []string{"ops.json", "red.json", "sla-tenant.json"}, keys(cm.Data))
	metricName := regexp.MustCompile(`\bgaoxing_[a-z_]+`)
	used := func(where, expr string) {
		for _, m := range metricName.FindAllString(expr, -1) {
			require.True(t, exported[m], "%s: %s is not exported (testdata/metrics.txt)", where, m)
		}
	}
	for file, body := range cm.Data {
		var dash struct {
			UID        string `json:"uid"`
			Templating struct {
				List []struct {
					Definition string `json:"definition"`
				} `json:"list"`
			} `json:"templating"`
			Panels []struct {
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &dash), file)
		require.NotEmpty(t, dash.UID)
		require.NotEmpty(t, dash.Panels)
		for _, v := range dash.Templating.List {
			used(file, v.Definition)
		}
		for _, p := range dash.Panels {
			require.NotEmpty(t, p.Targets)
			for _, tg := range p.Targets {
				used(file, tg.Expr)
			}
		}
	}
	rules, err := os.ReadFile(filepath.Join(chartDir, "alerts", "gaoxing.rules.yaml"))
	require.NoError(t, err)
	var groups struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(rules, &groups))
	n := 0
	for _, g := range groups.Groups {
		for _, rule := range g.Rules {
			used("rule "+rule.Alert, rule.Expr)
			n++
		}
	}
	require.Positive(t, n)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestLint runs `helm lint --strict` through the SDK for every values file.
func TestLint(t *testing.T) {
	for _, s := range shapes {
		t.Run(s.file, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = s.namespace
			res := lint.Run([]string{chartDir}, valuesOf(t, s.file))
			require.Empty(t, res.Errors)
			for _, m := range res.Messages {
				require.Less(t, m.Severity, support.WarningSev, "%s", m)
			}
		})
	}
}

// TestNotes checks NOTES.txt tells the operator what was installed, the tenant tree, the
// URLs and how to sign in the first time.
func TestNotes(t *testing.T) {
	c := loadChart(t)
	r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml"))
	notes := r.release.Info.Notes
	for _, want := range []string{"identity: 2 replicas", "etcd:       bundled, 3 members", "No tree given: no tenant changes",
		"https://gaoxing.example.gov.cn/api/tickets/", "first_login"} {
		require.Contains(t, notes, want)
	}
	r = mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "tenants.tree[0].id=ahz", "tenants.tree[0].name=区中心",
		"tenants.tree[0].tier=district", "tenants.tree[0].enabled=true", "tenants.delete={ahz.s03}"))
	require.Contains(t, r.release.Info.Notes, "1 tenants given")
	require.Contains(t, r.release.Info.Notes, "Deleted in this run (tenants.delete): ahz.s03")
	r = mustRender(t, c, "gaoxing-street", valuesOf(t, "values-street.yaml"))
	require.Contains(t, r.release.Info.Notes, "tenants.apply: false")
	require.Contains(t, r.release.Info.Notes, "Identity is not part of this release")
}

// TestWebhooks: the receivers' Secret is mounted, and GAOXING_WEBHOOKS_DIR set, exactly in
// the services that deliver events (webhooks: true), and nowhere without a Secret.
func TestWebhooks(t *testing.T) {
	c := loadChart(t)
	for _, secret := range []string{"", "gaoxing-webhooks"} {
		r := mustRender(t, c, "gaoxing", valuesOf(t, "values.yaml", "secrets.webhooks.existingSecret="+secret))
		for _, svc := range []string{"identity", "documents", "matters", "tickets", "legalaid", "stewardship"} {
			pod := podTemplates(r)["Deployment/"+componentName(svc)].Spec
			want := secret != "" && (svc == "tickets" || svc == "matters" || svc == "legalaid")
			dir, set := envMap(pod.Containers[0].Env)["GAOXING_WEBHOOKS_DIR"]
			require.Equal(t, want, set, "%s env (secret %q)", svc, secret)
			mounted := false
			for _, m := range pod.Containers[0].VolumeMounts {
				if m.Name == "webhooks" {
					mounted = m.MountPath == dir && m.ReadOnly
				}
			}
			require.Equal(t, want, mounted, "%s mount (secret %q)", svc, secret)
			https := false
			np := r.one(t, "NetworkPolicy", componentName(svc)).typed.(*networkingv1.NetworkPolicy)
			for _, e := range np.Spec.Egress {
				for _, to := range e.To {
					if to.IPBlock != nil && to.IPBlock.CIDR == "0.0.0.0/0" {
						https = true
					}
				}
			}
			require.Equal(t, want, https, "%s may reach webhook receivers (secret %q)", svc, secret)
		}
	}
}
