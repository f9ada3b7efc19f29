package charts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// installShape is one way operators deploy the chart: a release name, its namespace and
// the values file layered over the chart's values.yaml ("" for the pooled defaults).
type installShape struct {
	name, release, namespace, valuesFile string
	set                                  []string // --set style values on top
}

// TestInstallUpgradeRollback installs the chart into a real kube-apiserver (with etcd)
// through the Helm SDK, as `helm install`, `helm upgrade` with changed values and
// `helm rollback` would, for the pooled shape and each tier's release side by side, each in a namespace
// that enforces Pod Security "restricted". Every object must be accepted with strict
// server-side field validation and without a single API warning.
//
// No kubelet runs here, so pods are not expected to start: Helm does not wait for
// readiness, and hooks are disabled because Helm would wait for the hook Jobs to
// complete; the hook objects are still sent to the server in a strict dry run.
func TestInstallUpgradeRollback(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped under -short")
	}
	cluster := startCluster(t)
	shapes := []installShape{
		{name: "pooled", release: "gaoxing", namespace: "gaoxing", valuesFile: ""},
		// the per-tier releases side by side with the pooled one, each with its own users.
		{name: "district", release: "gaoxing", namespace: "gaoxing-district", valuesFile: "values-district.yaml"},
		{name: "street", release: "gaoxing", namespace: "gaoxing-street", valuesFile: "values-street.yaml"},
		{name: "community", release: "gaoxing", namespace: "gaoxing-community", valuesFile: "values-community.yaml"},
		// every transport-security knob on, with a tree so the tenant hook renders.
		{name: "tls", release: "gaoxing", namespace: "gaoxing-tls", set: append(append([]string{}, tlsValuesForInstall...), treeForInstall...)},
	}
	t.Run("violations are caught", cluster.requireChecksBite)
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			cluster.installUpgradeRollback(t, shape)
		})
	}
}

func (c *testCluster) installUpgradeRollback(t *testing.T, shape installShape) {
	ctx := t.Context()
	chrt, err := loader.Load("gaoxing")
	require.NoError(t, err, "load chart")
	opts := values.Options{Values: shape.set}
	if shape.valuesFile != "" {
		opts.ValueFiles = []string{filepath.Join("gaoxing", shape.valuesFile)}
	}
	vals, err := opts.MergeValues(getter.Providers{})
	require.NoError(t, err)
	c.createRestrictedNamespace(t, shape.namespace)
	cfg := new(action.Configuration)
	require.NoError(t, cfg.Init(c.restClientGetter(t, shape.namespace), shape.namespace, "secret", t.Logf))

	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = shape.release, shape.namespace
	install.DisableHooks, install.Wait, install.Timeout = true, false, time.Minute
	first, err := install.RunWithContext(ctx, chrt, vals)
	require.NoError(t, err, "helm install")
	c.requireRelease(t, first, 1, release.StatusDeployed)
	c.requireStrictlyAccepted(ctx, t, shape.namespace, first)
	c.requireLive(ctx, t, shape.namespace, first.Manifest)
	c.requireNoWarnings(t, "install")

	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = shape.namespace
	upgrade.DisableHooks, upgrade.Wait, upgrade.Timeout = true, false, time.Minute
	second, err := upgrade.RunWithContext(ctx, shape.release, chrt, moreReplicas(t, chrt, vals))
	require.NoError(t, err, "helm upgrade")
	c.requireRelease(t, second, 2, release.StatusDeployed)
	before, after := deploymentReplicas(t, first.Manifest), deploymentReplicas(t, second.Manifest)
	require.NotEmpty(t, after, "no Deployment sets replicas")
	require.NotEqual(t, before, after, "the upgrade changed no Deployment's replicas")
	c.requireStrictlyAccepted(ctx, t, shape.namespace, second)
	c.requireLive(ctx, t, shape.namespace, second.Manifest)
	c.requireReplicas(ctx, t, shape.namespace, after)
	c.requireNoWarnings(t, "upgrade")

	rollback := action.NewRollback(cfg)
	rollback.Version = first.Version
	rollback.DisableHooks, rollback.Wait, rollback.Timeout = true, false, time.Minute
	require.NoError(t, rollback.Run(shape.release), "helm rollback")
	history, err := action.NewHistory(cfg).Run(shape.release)
	require.NoError(t, err)
	var statuses []string
	for _, r := range history {
		statuses = append(statuses, fmt.Sprintf("%d:%s", r.Version, r.Info.Status))
	}
	slices.Sort(statuses)
	require.Equal(t, []string{"1:superseded", "2:superseded", "3:deployed"}, statuses, "history after rollback")
	third, err := action.NewGet(cfg).Run(shape.release)
	require.NoError(t, err)
	require.Equal(t, first.Manifest, third.Manifest, "rollback did not restore revision 1's manifest")
	c.requireLive(ctx, t, shape.namespace, third.Manifest)
	c.requireReplicas(ctx, t, shape.namespace, before)
	c.requireNoWarnings(t, "rollback")
}

// createRestrictedNamespace creates ns enforcing (and warning about) Pod Security
// "restricted" at the latest version: pods that break it are rejected, and workloads
// whose pod templates break it draw a warning, which requireNoWarnings turns into a
// failure.
func (c *testCluster) createRestrictedNamespace(t *testing.T, ns string) {
	t.Helper()
	labels := map[string]string{}
	for _, mode := range []string{"enforce", "warn", "audit"} {
		labels["pod-security.kubernetes.io/"+mode] = "restricted"
		labels["pod-security.kubernetes.io/"+mode+"-version"] = "latest"
	}
	obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}}
	_, err := c.clients.CoreV1().Namespaces().Create(t.Context(), obj, metav1.CreateOptions{})
	require.NoError(t, err, "create namespace %s", ns)
}

func (c *testCluster) requireRelease(t *testing.T, r *release.Release, version int, status release.Status) {
	t.Helper()
	require.Equal(t, fmt.Sprintf("%d:%s", version, status), fmt.Sprintf("%d:%s", r.Version, r.Info.Status), "release %s", r.Name)
}

// requireStrictlyAccepted sends every object of the release, hooks included, to the API
// server as a server-side apply with dry run and strict field validation: an unknown or
// duplicate field, a failed admission (Pod Security among them) or an invalid value is
// an error.
func (c *testCluster) requireStrictlyAccepted(ctx context.Context, t *testing.T, ns string, r *release.Release) {
	t.Helper()
	objects := manifestObjects(t, r.Manifest)
	for _, h := range r.Hooks {
		objects = append(objects, manifestObjects(t, h.Manifest)...)
	}
	require.NotEmpty(t, objects, "the release has no objects")
	var rejected []string // every object is tried, so one run lists every rejection
	for _, obj := range objects {
		if err := c.strictDryRun(ctx, t, ns, obj); err != nil {
			rejected = append(rejected, fmt.Sprintf("%s %s: %v", obj.GetKind(), obj.GetName(), err))
		}
	}
	require.Empty(t, rejected, "objects the API server rejected")
}

// strictDryRun applies obj server-side without persisting it, with strict field validation.
func (c *testCluster) strictDryRun(ctx context.Context, t *testing.T, ns string, obj *unstructured.Unstructured) error {
	t.Helper()
	res, namespace := c.resourceFor(t, obj, ns)
	body, err := json.Marshal(obj.Object)
	require.NoError(t, err)
	force := true
	_, err = res.Namespace(namespace).Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		Force:           &force,
		FieldManager:    "gaoxing-chart-test",
		FieldValidation: metav1.FieldValidationStrict,
	})
	return err
}

// requireChecksBite shows that the checks above would catch a broken chart: strict
// validation rejects an unknown field, the default validation warns about it, and a
// restricted namespace warns about a pod template that breaks Pod Security "restricted".
func (c *testCluster) requireChecksBite(t *testing.T) {
	ctx := t.Context()
	const ns = "checks"
	c.createRestrictedNamespace(t, ns)

	typo := testDeployment("typo", false)
	require.NoError(t, unstructured.SetNestedField(typo.Object, int64(1), "spec", "replicaz"))
	require.ErrorContains(t, c.strictDryRun(ctx, t, ns, typo), ".spec.replicaz: field not declared in schema")
	// Helm creates objects without asking for strict validation; the server's default
	// then is to warn, and requireNoWarnings fails on any warning.
	deployments := c.dynamic.Resource(appsv1.SchemeGroupVersion.WithResource("deployments")).Namespace(ns)
	_, err := deployments.Create(ctx, typo, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	require.NoError(t, err)
	require.Equal(t, []string{`unknown field "spec.replicaz"`}, c.warnings.take())
	// The same through the Helm SDK: its clients report to the same log.
	manifest, err := yaml.Marshal(typo.Object)
	require.NoError(t, err)
	cfg := new(action.Configuration)
	require.NoError(t, cfg.Init(c.restClientGetter(t, ns), ns, "secret", t.Logf))
	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = "typo", ns
	_, err = install.RunWithContext(ctx, &chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "typo", Version: "0.1.0"},
		Templates: []*chart.File{{Name: "templates/deployment.yaml", Data: manifest}},
	}, nil)
	require.NoError(t, err)
	require.Equal(t, []string{`unknown field "spec.replicaz"`}, c.warnings.take())

	require.NoError(t, c.strictDryRun(ctx, t, ns, testDeployment("root", true)))
	warnings := c.warnings.take()
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0], `would violate PodSecurity "restricted:latest": runAsNonRoot != true`)
}

// testDeployment is a minimal Deployment whose pod meets "restricted", unless mayRunAsRoot.
func testDeployment(name string, mayRunAsRoot bool) *unstructured.Unstructured {
	labels := map[string]any{"app": name}
	security := map[string]any{
		"allowPrivilegeEscalation": false,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
		"runAsNonRoot":             true,
		"seccompProfile":           map[string]any{"type": "RuntimeDefault"},
	}
	if mayRunAsRoot {
		delete(security, "runAsNonRoot")
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"containers": []any{map[string]any{
						"name":            "app",
						"image":           "app:1",
						"securityContext": security,
					}},
				},
			},
		},
	}}
}

// requireLive checks that every object of a manifest exists in the cluster.
func (c *testCluster) requireLive(ctx context.Context, t *testing.T, ns, manifest string) {
	t.Helper()
	for _, obj := range manifestObjects(t, manifest) {
		res, namespace := c.resourceFor(t, obj, ns)
		_, err := res.Namespace(namespace).Get(ctx, obj.GetName(), metav1.GetOptions{})
		require.NoError(t, err, "%s %s/%s", obj.GetKind(), namespace, obj.GetName())
	}
}

// requireReplicas compares live Deployments' spec.replicas with want (name → replicas).
func (c *testCluster) requireReplicas(ctx context.Context, t *testing.T, ns string, want map[string]int32) {
	t.Helper()
	for name, replicas := range want {
		d, err := c.clients.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err, "Deployment %s", name)
		require.NotNil(t, d.Spec.Replicas, "Deployment %s", name)
		require.Equal(t, replicas, *d.Spec.Replicas, "Deployment %s", name)
	}
}

func (c *testCluster) requireNoWarnings(t *testing.T, step string) {
	t.Helper()
	require.Empty(t, c.warnings.take(), "%s: the API server warned", step)
}

// resourceFor maps an object to its API resource and the namespace it lives in ("" for
// cluster-scoped kinds; ns when the chart leaves it unset, as Helm does).
func (c *testCluster) resourceFor(t *testing.T, obj *unstructured.Unstructured, ns string) (dynamic.NamespaceableResourceInterface, string) {
	t.Helper()
	gvk := obj.GroupVersionKind()
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	require.NoError(t, err, "%s %s: the API server does not serve this kind", gvk, obj.GetName())
	if mapping.Scope.Name() != meta.RESTScopeNameNamespace {
		return c.dynamic.Resource(mapping.Resource), ""
	}
	if obj.GetNamespace() != "" {
		ns = obj.GetNamespace()
	}
	return c.dynamic.Resource(mapping.Resource), ns
}

// manifestObjects decodes a rendered multi-document manifest, in Helm's install order
// of files (comments and empty documents are dropped).
func manifestObjects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	docs := releaseutil.SplitManifests(manifest)
	keys := slices.Sorted(maps.Keys(docs))
	var objects []*unstructured.Unstructured
	for _, k := range keys {
		obj := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal([]byte(docs[k]), &obj.Object), "decode manifest document\n%s", docs[k])
		if len(obj.Object) == 0 {
			continue
		}
		objects = append(objects, obj)
	}
	return objects
}

// deploymentReplicas maps every Deployment of a manifest that sets spec.replicas to it.
func deploymentReplicas(t *testing.T, manifest string) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	for _, obj := range manifestObjects(t, manifest) {
		if obj.GetKind() != "Deployment" {
			continue
		}
		v, found, err := unstructured.NestedFieldNoCopy(obj.Object, "spec", "replicas")
		if err != nil || !found {
			continue
		}
		// YAML numbers decode as float64 (JSON rules) or int64.
		switch n := v.(type) {
		case float64:
			out[obj.GetName()] = int32(n)
		case int64:
			out[obj.GetName()] = int32(n)
		default:
			t.Fatalf("Deployment %s: spec.replicas is %T", obj.GetName(), v)
		}
	}
	return out
}

// moreReplicas returns vals with one more replica for every enabled service, the kind
// of change an operator upgrades with.
func moreReplicas(t *testing.T, chrt *chart.Chart, vals map[string]any) map[string]any {
	t.Helper()
	merged, err := chartutil.CoalesceValues(chrt, vals)
	require.NoError(t, err)
	services, err := merged.Table("services")
	require.NoError(t, err, "values have no services")
	bump := map[string]any{}
	for name, v := range services {
		svc, ok := v.(map[string]any)
		if !ok || svc["enabled"] != true {
			continue
		}
		replicas, ok := svc["replicas"].(float64)
		if !ok {
			if i, isInt := svc["replicas"].(int64); isInt {
				replicas, ok = float64(i), true
			}
		}
		if !ok {
			t.Fatalf("services.%s.replicas is %T, want a number", name, svc["replicas"])
		}
		bump[name] = map[string]any{"replicas": int64(replicas) + 1}
	}
	upgraded := map[string]any{}
	for k, v := range vals {
		upgraded[k] = v
	}
	return chartutil.CoalesceTables(map[string]any{"services": bump}, upgraded)
}

// The TLS shape's values (this file is package charts_test; chart_test.go's are internal).
var (
	tlsValuesForInstall = []string{
		"tls.caBundle.secret=zone-ca",
		"etcd.tls.enabled=true", "etcd.tls.serverSecret=etcd-server", "etcd.tls.clientSecret=etcd-client",
		"etcd.auth.existingSecret=etcd-auth",
		"postgresql.tls.existingSecret=postgresql-tls",
		"minio.tls.existingSecret=minio-tls",
		"ingress.tls.clusterIssuer=zone-issuer",
		"tls.services.secret=services-tls",
	}
	treeForInstall = []string{"tenants.tree[0].id=ahz", "tenants.tree[0].name=区中心", "tenants.tree[0].tier=district", "tenants.tree[0].enabled=true"}
)
