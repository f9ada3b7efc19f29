package charts_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestSecretsScript runs scripts/k8s-secrets.sh as the README has an operator run it —
// bash and kubectl against a real kube-apiserver — for a pooled release, a district and
// its two tiers, and checks what it leaves behind:
//   - every Secret key a pod of each shape's release (installed after it, hooks included)
//     refers to exists in that release's namespace;
//   - a second run changes nothing (the sealing keys seal data already stored);
//   - a tier's Secrets hold its own database password and object-store key — the same
//     the district's Secrets gained under the tier's user names, for the district's Jobs
//     to create those users — and the district's sealing keys; never the district's own
//     passwords, the migration password or the object store's root keys;
//   - a tier whose district has no Secrets yet is refused and nothing is created.
func TestSecretsScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver; skipped under -short")
	}
	cluster := startCluster(t)
	root, ok := workspaceRoot()
	require.True(t, ok, "no go.work above the chart's tests")
	script := filepath.Join(root, "scripts", "k8s-secrets.sh")
	kubectl := toolBinary(t, "kubectl")
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(t.Context(), "bash", append([]string{script}, args...)...)
		cmd.Env = append(os.Environ(),
			"KUBECONFIG="+cluster.kubeconfig,
			"PATH="+filepath.Dir(kubectl)+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	ctx := t.Context()
	secrets := func(ns string) map[string]map[string]string {
		list, err := cluster.clients.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		out := map[string]map[string]string{}
		for _, s := range list.Items {
			out[s.Name] = map[string]string{}
			for k, v := range s.Data {
				out[s.Name][k] = string(v)
			}
		}
		return out
	}
	tiers := []struct{ ns, dbUser, objectUser string }{
		{"gaoxing-street", "gaoxing_street", "gaoxing-street"},
		{"gaoxing-community", "gaoxing_community", "gaoxing-community"},
	}

	out, err := run(tiers[0].ns, "--tier-of", "gaoxing-district", tiers[0].dbUser, tiers[0].objectUser)
	require.Error(t, err, out)
	require.Contains(t, out, "create the district's Secrets first")
	_, err = cluster.clients.CoreV1().Namespaces().Get(ctx, tiers[0].ns, metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "a refused run created the tier's namespace: %v", err)

	for _, ns := range []string{"gaoxing", "gaoxing-district"} {
		out, err := run(ns)
		require.NoError(t, err, out)
	}
	district := secrets("gaoxing-district")
	for _, tier := range tiers {
		out, err := run(tier.ns, "--tier-of", "gaoxing-district", tier.dbUser, tier.objectUser)
		require.NoError(t, err, out)
	}

	t.Run("a second run changes nothing", func(t *testing.T) {
		before := map[string]map[string]map[string]string{}
		for _, ns := range []string{"gaoxing", "gaoxing-district", tiers[0].ns, tiers[1].ns} {
			before[ns] = secrets(ns)
		}
		for _, args := range [][]string{{"gaoxing"}, {"gaoxing-district"},
			{tiers[0].ns, "--tier-of", "gaoxing-district", tiers[0].dbUser, tiers[0].objectUser}} {
			out, err := run(args...)
			require.NoError(t, err, out)
			require.Contains(t, out, "kept")
		}
		for ns, want := range before {
			require.Equal(t, want, secrets(ns), ns)
		}
	})

	t.Run("a tier holds its own credentials and the district's sealing keys", func(t *testing.T) {
		district := secrets("gaoxing-district")
		require.NotEqual(t, secrets("gaoxing")["gaoxing-sealing-keys"], district["gaoxing-sealing-keys"],
			"two pooled or district releases share no key")
		seen := map[string]bool{district["gaoxing-db-credentials"]["password"]: true}
		for _, tier := range tiers {
			got := secrets(tier.ns)
			require.Equal(t, district["gaoxing-sealing-keys"], got["gaoxing-sealing-keys"], tier.ns)
			require.Equal(t, map[string]string{"password": district["gaoxing-db-credentials"][tier.dbUser+"-password"]},
				got["gaoxing-db-credentials"], "%s: only its own database password", tier.ns)
			require.Equal(t, map[string]string{"service-secret-key": district["gaoxing-minio-credentials"][tier.objectUser+"-secret-key"]},
				got["gaoxing-minio-credentials"], "%s: only its own object-store key", tier.ns)
			password := got["gaoxing-db-credentials"]["password"]
			require.NotEmpty(t, password)
			require.False(t, seen[password], "%s: a password shared with another release", tier.ns)
			seen[password] = true
		}
	})
	// The district's own run makes no tier's password: each tier's run adds its own.
	require.NotContains(t, district["gaoxing-db-credentials"], tiers[0].dbUser+"-password")

	t.Run("every key a release refers to exists", func(t *testing.T) {
		chrt, err := loader.Load("gaoxing")
		require.NoError(t, err)
		for _, shape := range []struct{ ns, file string }{
			{"gaoxing", ""},
			{"gaoxing-district", "values-district.yaml"},
			{tiers[0].ns, "values-street.yaml"},
			{tiers[1].ns, "values-community.yaml"},
		} {
			// Installed as the README has it, after the script; no kubelet runs, so what
			// a pod would read is checked against the namespace's Secrets instead.
			opts := values.Options{}
			if shape.file != "" {
				opts.ValueFiles = []string{filepath.Join("gaoxing", shape.file)}
			}
			vals, err := opts.MergeValues(getter.Providers{})
			require.NoError(t, err)
			cfg := new(action.Configuration)
			require.NoError(t, cfg.Init(cluster.restClientGetter(t, shape.ns), shape.ns, "secret", t.Logf))
			install := action.NewInstall(cfg)
			install.ReleaseName, install.Namespace, install.DisableHooks = "gaoxing", shape.ns, true
			rel, err := install.RunWithContext(ctx, chrt, vals)
			require.NoError(t, err, "helm install into %s", shape.ns)
			manifests := []string{rel.Manifest}
			for _, h := range rel.Hooks {
				manifests = append(manifests, h.Manifest)
			}

			have := secrets(shape.ns)
			refs := 0
			for _, m := range manifests {
				for _, obj := range manifestObjects(t, m) {
					spec, ok := podSpec(t, obj)
					if !ok {
						continue
					}
					where := obj.GetKind() + "/" + obj.GetName()
					for _, ref := range secretRefs(spec) {
						refs++
						keys, ok := have[ref.secret]
						require.True(t, ok, "%s: %s refers to Secret %s, which the script did not create", shape.ns, where, ref.secret)
						if ref.key != "" {
							require.Contains(t, keys, ref.key, "%s: %s refers to key %s of Secret %s", shape.ns, where, ref.key, ref.secret)
						}
					}
				}
			}
			require.Positive(t, refs, "%s refers to no Secret: the check read nothing", shape.ns)
		}
	})
}

// podSpec is the pod template of a workload object (Deployment, StatefulSet, Job, CronJob).
func podSpec(t *testing.T, obj *unstructured.Unstructured) (corev1.PodSpec, bool) {
	t.Helper()
	path := []string{"spec", "template", "spec"}
	switch obj.GetKind() {
	case "Deployment", "StatefulSet", "Job":
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	default:
		return corev1.PodSpec{}, false
	}
	raw, found, err := unstructured.NestedMap(obj.Object, path...)
	require.NoError(t, err)
	require.True(t, found, "%s/%s has no pod template", obj.GetKind(), obj.GetName())
	var spec corev1.PodSpec
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &spec))
	return spec, true
}

// secretRef is a Secret a pod needs, and the key it reads ("" for the whole Secret).
type secretRef struct{ secret, key string }

// secretRefs lists the Secrets and keys a pod cannot start without: environment values
// and whole-Secret environments, Secret volumes and projected Secret sources (optional
// references left out).
func secretRefs(spec corev1.PodSpec) []secretRef {
	var out []secretRef
	for _, ctr := range slices.Concat(spec.InitContainers, spec.Containers) {
		for _, e := range ctr.Env {
			if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && !isTrue(r.SecretKeyRef.Optional) {
				out = append(out, secretRef{r.SecretKeyRef.Name, r.SecretKeyRef.Key})
			}
		}
		for _, e := range ctr.EnvFrom {
			if e.SecretRef != nil && !isTrue(e.SecretRef.Optional) {
				out = append(out, secretRef{e.SecretRef.Name, ""})
			}
		}
	}
	fromItems := func(name string, items []corev1.KeyToPath) {
		if len(items) == 0 {
			out = append(out, secretRef{name, ""})
		}
		for _, it := range items {
			out = append(out, secretRef{name, it.Key})
		}
	}
	for _, v := range spec.Volumes {
		if s := v.Secret; s != nil && !isTrue(s.Optional) {
			fromItems(s.SecretName, s.Items)
		}
		if p := v.Projected; p != nil {
			for _, src := range p.Sources {
				if s := src.Secret; s != nil && !isTrue(s.Optional) {
					fromItems(s.Name, s.Items)
				}
			}
		}
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }
