package charts_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// skaffoldArtifacts are the images skaffold.yaml builds with ko: every service, the
// console and the launcher the tenant hook Job runs.
var skaffoldArtifacts = []string{
	"gaoxing/console", "gaoxing/documents", "gaoxing/gaoxing", "gaoxing/identity", "gaoxing/legalaid", "gaoxing/matters",
	"gaoxing/stewardship", "gaoxing/tickets",
}

// withoutLauncher are the artifacts but the launcher's, whose image only the tenant
// hook runs.
var withoutLauncher = slices.DeleteFunc(slices.Clone(skaffoldArtifacts), func(a string) bool { return a == "gaoxing/gaoxing" })

// skaffoldProfiles are skaffold.yaml's profiles and the artifacts each one's release deploys.
var skaffoldProfiles = []struct {
	name string
	want []string
}{
	// The launcher image runs only the tenant hook, which renders only when a tree is
	// given (development takes identity's seeded default tree).
	{"pooled", withoutLauncher},
	{"district", withoutLauncher},
	// Street and community releases use the district's identity, tenant tree and legal aid;
	// each has its console at its own host.
	{"street", []string{"gaoxing/console", "gaoxing/documents", "gaoxing/matters", "gaoxing/tickets"}},
	{"community", []string{"gaoxing/console", "gaoxing/documents", "gaoxing/matters", "gaoxing/tickets"}},
}

// TestSkaffold runs the real skaffold (and the helm it calls) on the repository's
// skaffold.yaml: `skaffold diagnose` accepts the configuration, and `skaffold render`
// produces the chart for every profile offline, without building an image (there is no
// container engine here), with every Gaoxing image one skaffold builds.
func TestSkaffold(t *testing.T) {
	if testing.Short() {
		t.Skip("runs skaffold and helm; skipped under -short")
	}
	run := func(t *testing.T, args ...string) string { return runSkaffold(t, nil, args...) }

	t.Run("diagnose", func(t *testing.T) {
		out := run(t, "diagnose")
		require.Contains(t, out, "Number of artifacts: 8")
		for _, image := range skaffoldArtifacts {
			require.Contains(t, out, "Ko artifact: "+image)
		}
	})

	for _, p := range skaffoldProfiles {
		t.Run("render/"+p.name, func(t *testing.T) {
			// Nothing built: the chart's own image names, tagged with its appVersion.
			out := run(t, "render", "--offline=true", "--digest-source=none", "--profile="+p.name)
			require.Equal(t, p.want, gaoxingImages(t, out, ""))

			// Tags as skaffold computes them, under a default repository: every Gaoxing
			// image of the release carries them, so every artifact is wired to its value.
			out = run(t, "render", "--offline=true", "--digest-source=tag", "--tag=dev",
				"--default-repo=images.invalid/dev", "--profile="+p.name)
			images := gaoxingImages(t, out, "images.invalid/dev/")
			require.Len(t, images, len(p.want))
			for _, image := range images {
				require.True(t, strings.HasSuffix(image, ":dev"), "%s is not skaffold's tag", image)
			}
		})
	}
}

// TestSkaffoldDeploy runs `skaffold deploy` for every profile into a real kube-apiserver,
// one after another into one cluster, with the images a build would have given (there is
// no container engine here to build them): Helm installs each release in its profile's
// namespace, side by side, and every Deployment of a release runs the image skaffold
// built for its artifact, by digest. No kubelet runs, so no pod starts and nothing waits
// for one (--status-check=false).
func TestSkaffoldDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs skaffold, helm, etcd and kube-apiserver; skipped under -short")
	}
	cluster := startCluster(t)
	type build struct {
		ImageName string `json:"imageName"`
		Tag       string `json:"tag"`
	}
	var builds []build
	built := map[string]string{} // artifact → the image reference skaffold deploys
	for i, a := range skaffoldArtifacts {
		ref := fmt.Sprintf("images.invalid/%s:dev@sha256:%064x", a, i+1)
		builds = append(builds, build{a, ref})
		built[a] = ref
	}
	b, err := json.Marshal(map[string]any{"builds": builds})
	require.NoError(t, err)
	artifacts := filepath.Join(t.TempDir(), "artifacts.json")
	require.NoError(t, os.WriteFile(artifacts, b, 0o600))

	for _, p := range skaffoldProfiles {
		t.Run(p.name, func(t *testing.T) {
			runSkaffold(t, nil, "deploy", "--profile="+p.name, "--build-artifacts="+artifacts,
				"--kubeconfig="+cluster.kubeconfig, "--kube-context=test", "--status-check=false")
			ns := "gaoxing"
			if p.name != "pooled" {
				ns += "-" + p.name
			}
			deps, err := cluster.clients.AppsV1().Deployments(ns).List(t.Context(), metav1.ListOptions{})
			require.NoError(t, err)
			var got, want []string
			for _, d := range deps.Items {
				for _, c := range d.Spec.Template.Spec.Containers {
					got = append(got, c.Image)
				}
			}
			for _, a := range p.want {
				want = append(want, built[a])
			}
			slices.Sort(got)
			require.Equal(t, want, slices.Compact(got), "%s: the release runs what skaffold built", ns)
		})
	}
}

// runSkaffold runs the real skaffold from the repository root with helm on its PATH and
// scratch settings (no usage reporting, no update check), and returns what it printed, or
// what it wrote to --output when asked to render.
func runSkaffold(t *testing.T, env []string, args ...string) string {
	t.Helper()
	skaffold := toolBinary(t, "skaffold")
	helm := toolBinary(t, "helm")
	root, ok := workspaceRoot()
	require.True(t, ok, "no go.work above the working directory")
	var rendered string
	if args[0] == "render" {
		rendered = filepath.Join(t.TempDir(), "rendered.yaml")
		args = append(args, "--output="+rendered)
	}
	cmd := exec.CommandContext(t.Context(), skaffold, args...)
	cmd.Dir = root
	home := t.TempDir()
	settings := filepath.Join(home, "skaffold.yaml")
	require.NoError(t, os.WriteFile(settings, []byte("global:\n  collect-metrics: false\n  update-check: false\n"), 0o600))
	cmd.Env = append(append(os.Environ(),
		"PATH="+filepath.Dir(helm)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home,
		"SKAFFOLD_CONFIG="+settings,
		"SKAFFOLD_UPDATE_CHECK=false",
	), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "skaffold %s\n%s\n%s", strings.Join(args, " "), stdout.String(), stderr.String())
	if rendered == "" {
		return stdout.String()
	}
	out, err := os.ReadFile(rendered)
	require.NoError(t, err)
	return string(out)
}

// gaoxingImages returns, sorted, every image of the rendered objects under prefix that
// is not a bundled dependency (etcd, PostgreSQL, MinIO); with no prefix, the repository
// part of Gaoxing's own images.
func gaoxingImages(t *testing.T, rendered, prefix string) []string {
	t.Helper()
	objects := manifestObjects(t, rendered)
	require.NotEmpty(t, objects, "skaffold rendered nothing")
	set := map[string]bool{}
	for _, obj := range objects {
		for _, image := range imagesOf(obj.Object) {
			switch {
			case prefix != "" && strings.HasPrefix(image, prefix):
				set[image] = true
			case prefix == "" && strings.HasPrefix(image, "gaoxing/"):
				repo, _, _ := strings.Cut(image, ":")
				set[repo] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// imagesOf collects every "image" string in an object (containers, init containers,
// job templates alike).
func imagesOf(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "image" {
				out = append(out, s)
				continue
			}
			out = append(out, imagesOf(child)...)
		}
	case []any:
		for _, child := range v {
			out = append(out, imagesOf(child)...)
		}
	}
	return out
}
