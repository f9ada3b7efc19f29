package charts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test, relative to this module.
const chartDir = "gaoxing"

// releaseName is the release every render uses; per-tier values files assume it (their
// endpoints name the district release's "gaoxing-*" Services).
const releaseName = "gaoxing"

// shape is one values file and the namespace it is meant to be installed in.
type shape struct {
	file      string // under chartDir; "values.yaml" is the chart's defaults alone
	namespace string
	tier      string
}

// shapes are every values file the chart ships, each rendered by every test.
var shapes = []shape{
	{"values.yaml", "gaoxing", "pooled"},
	{"values-district.yaml", "gaoxing-district", "district"},
	{"values-street.yaml", "gaoxing-street", "street"},
	{"values-community.yaml", "gaoxing-community", "community"},
	{"values-dev.yaml", "gaoxing-dev", "pooled"},
}

// serviceNames are the platform's services, the keys of .Values.services.
var serviceNames = []string{"documents", "identity", "legalaid", "matters", "stewardship", "tickets"}

// object is one rendered Kubernetes object: its source text, its kind and, for the kinds
// Kubernetes knows, the strictly decoded typed value.
type object struct {
	source string // the template file, from Helm's "# Source:" line
	text   string // the YAML document
	gvk    schema.GroupVersionKind
	name   string
	labels map[string]string
	typed  runtime.Object // nil for custom resources (crdKinds)
	hook   bool
}

// rendered is one release rendered client-side.
type rendered struct {
	release *release.Release
	objects []object
}

// crdKinds are custom resources the chart may render: Kubernetes' scheme does not know
// them, so they are checked by their own tests instead of by strict decoding.
var crdKinds = map[schema.GroupVersionKind]bool{
	{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}: true,
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	require.NoError(t, err)
	return c
}

// valuesOf reads a shape's values file (the defaults need none: Helm merges them) and
// applies --set style overrides on top.
func valuesOf(t *testing.T, file string, set ...string) map[string]any {
	t.Helper()
	opts := values.Options{Values: set}
	if file != "values.yaml" {
		opts.ValueFiles = []string{filepath.Join(chartDir, file)}
	}
	vals, err := opts.MergeValues(getter.Providers{})
	require.NoError(t, err)
	return vals
}

// renderChart renders like `helm install --dry-run=client`: schema validation, templates,
// hooks and NOTES, with no cluster.
func renderChart(t *testing.T, c *chart.Chart, namespace string, vals map[string]any) (*release.Release, error) {
	t.Helper()
	cfg := &action.Configuration{Log: func(string, ...any) {}}
	install := action.NewInstall(cfg)
	install.DryRun = true
	install.ClientOnly = true
	install.ReleaseName = releaseName
	install.Namespace = namespace
	install.KubeVersion = &chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	return install.RunWithContext(t.Context(), c, vals)
}

// mustRender renders and strictly decodes every object; any failure fails the test.
func mustRender(t *testing.T, c *chart.Chart, namespace string, vals map[string]any) rendered {
	t.Helper()
	rel, err := renderChart(t, c, namespace, vals)
	require.NoError(t, err)
	r := rendered{release: rel}
	r.objects = append(r.objects, splitObjects(t, rel.Manifest, false)...)
	for _, h := range rel.Hooks {
		r.objects = append(r.objects, splitObjects(t, h.Manifest, true)...)
	}
	require.NotEmpty(t, r.objects)
	return r
}

var (
	docSeparator = regexp.MustCompile(`(?m)^---\s*$`)
	sourceLine   = regexp.MustCompile(`(?m)^# Source: (.+)$`)
)

// splitObjects splits a manifest stream and decodes each document strictly into its
// Kubernetes type: an unknown or duplicated field, a wrong type or an unknown kind fails.
func splitObjects(t *testing.T, manifest string, hook bool) []object {
	t.Helper()
	var out []object
	for _, doc := range docSeparator.Split(manifest, -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		o, err := decodeStrict(doc, hook)
		require.NoError(t, err)
		out = append(out, o)
	}
	return out
}

// decodeStrict decodes one YAML document into its Kubernetes type: an unknown or
// duplicated field, a wrong type or an unknown kind is an error.
func decodeStrict(doc string, hook bool) (object, error) {
	o := object{text: strings.TrimSpace(doc) + "\n", hook: hook}
	if m := sourceLine.FindStringSubmatch(doc); m != nil {
		o.source = m[1]
	}
	js, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		return o, fmt.Errorf("%s: not strict YAML: %w", o.source, err)
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string            `json:"name"`
			Namespace string            `json:"namespace"`
			Labels    map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(js, &meta); err != nil {
		return o, fmt.Errorf("%s: %w", o.source, err)
	}
	o.gvk = schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind)
	o.name, o.labels = meta.Metadata.Name, meta.Metadata.Labels
	switch {
	case o.name == "":
		return o, fmt.Errorf("%s: object without a name", o.source)
	case meta.Metadata.Namespace != "":
		return o, fmt.Errorf("%s: the release namespace is Helm's to set", o.source)
	case crdKinds[o.gvk]:
		return o, nil
	}
	typed, err := scheme.Scheme.New(o.gvk)
	if err != nil {
		return o, fmt.Errorf("%s: %s is not a Kubernetes kind: %w", o.source, o.gvk, err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(typed); err != nil {
		return o, fmt.Errorf("%s: %s %s does not decode strictly: %w", o.source, o.gvk.Kind, o.name, err)
	}
	o.typed = typed
	return o, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// byKind returns the objects of a kind, by name.
func (r rendered) byKind(kind string) map[string]object {
	out := map[string]object{}
	for _, o := range r.objects {
		if o.gvk.Kind == kind {
			out[o.name] = o
		}
	}
	return out
}

// one returns the object of kind and name, failing if it is missing.
func (r rendered) one(t *testing.T, kind, name string) object {
	t.Helper()
	o, ok := r.byKind(kind)[name]
	require.True(t, ok, "no %s %s; have %v", kind, name, names(r.byKind(kind)))
	return o
}

func names(m map[string]object) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// mergedValues are the chart's defaults with vals on top, as templates see them.
func mergedValues(t *testing.T, c *chart.Chart, vals map[string]any) chartutil.Values {
	t.Helper()
	merged, err := chartutil.CoalesceValues(c, vals)
	require.NoError(t, err)
	return merged
}

// enabledServices reads which services merged values enable.
func enabledServices(vals chartutil.Values) []string {
	var out []string
	svcs, _ := vals["services"].(map[string]any)
	for _, name := range serviceNames {
		s, _ := svcs[name].(map[string]any)
		if on, ok := s["enabled"].(bool); !ok || on {
			out = append(out, name)
		}
	}
	return out
}

func componentName(component string) string { return fmt.Sprintf("%s-%s", releaseName, component) }
