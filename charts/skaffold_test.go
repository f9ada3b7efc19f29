package charts_test

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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

// TestSkaffold runs the real skaffold (and the helm it calls) on the repository's
// skaffold.yaml: `skaffold diagnose` accepts the configuration, and `skaffold render`
// produces the chart for every profile offline, without building an image (there is no
// container engine here), with every Gaoxing image one skaffold builds.
func TestSkaffold(t *testing.T) {
	if testing.Short() {
		t.Skip("runs skaffold and helm; skipped under -short")
	}
	skaffold := toolBinary(t, "skaffold")
	helm := toolBinary(t, "helm")
	root, ok := workspaceRoot()
	require.True(t, ok, "no go.work above the working directory")
	// run returns what skaffold printed, or wrote to --output when asked to render.
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		var rendered string
		if args[0] == "render" {
			rendered = filepath.Join(t.TempDir(), "rendered.yaml")
			args = append(args, "--output="+rendered)
		}
		cmd := exec.CommandContext(t.Context(), skaffold, args...)
		cmd.Dir = root
		// skaffold finds helm on PATH; its settings (no usage reporting, no update
		// check) and any state go to scratch files.
		home := t.TempDir()
		settings := filepath.Join(home, "skaffold.yaml")
		require.NoError(t, os.WriteFile(settings, []byte("global:\n  collect-metrics: false\n  update-check: false\n"), 0o600))
		cmd.Env = append(os.Environ(),
			"PATH="+filepath.Dir(helm)+string(os.PathListSeparator)+os.Getenv("PATH"),
			"HOME="+home,
			"SKAFFOLD_CONFIG="+settings,
			"SKAFFOLD_UPDATE_CHECK=false",
		)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "skaffold %s\n%s", strings.Join(args, " "), stderr.String())
		if rendered == "" {
			return stdout.String()
		}
		out, err := os.ReadFile(rendered)
		require.NoError(t, err)
		return string(out)
	}

	t.Run("diagnose", func(t *testing.T) {
		out := run(t, "diagnose")
		require.Contains(t, out, "Number of artifacts: 8")
		for _, image := range skaffoldArtifacts {
			require.Contains(t, out, "Ko artifact: "+image)
		}
	})

	profiles := []struct {
		name string
		want []string // the artifacts the profile's release deploys
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
	for _, p := range profiles {
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
