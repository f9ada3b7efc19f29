package tenancy_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// TestGuard: a request reaches the method only for a tenant the tree has, that is
// enabled and that has the service enabled; the tree owner reaches every tenant that
// exists; a change to the tree is obeyed as soon as the watch brings it.
func TestGuard(t *testing.T) {
	tr := seeded(t, testenv.EtcdClient(t))
	closed := tenancy.Tenant{ID: "ahz.s02.c09", Name: "已撤并的社区服务站", Tier: tenancy.Community, Services: []string{"tickets"}}
	require.NoError(t, tr.Put(t.Context(), closed))

	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	reached := 0
	serve := func(service string) string {
		s := kit.New(service, kit.WithMiddleware(tenancy.Guard(tr)))
		list := func(w http.ResponseWriter, _ *http.Request) error {
			reached++
			_, err := io.WriteString(w, "ok")
			return err
		}
		s.Route("GET /v1/tenants/{tenant}/things", "ListThings", kit.Rule{Public: true}, list)
		s.Route("GET /v1/things", "ListAllThings", kit.Rule{Public: true}, list)
		return kittest.Serve(t, s).URL + "/api/" + service + "/v1/"
	}
	tickets, legalaid, identity := serve("tickets"), serve("legalaid"), serve(tenancy.TreeOwner)
	call := func(base, path string) (int, string) {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &body)
		return resp.StatusCode, body.Error.Code
	}

	for _, tc := range []struct {
		name   string
		base   string
		path   string
		status int
		code   string // "" when the method runs
	}{
		{"enabled community", tickets, "tenants/ahz.s01.c01/things", http.StatusOK, ""},
		{"district", tickets, "tenants/ahz/things", http.StatusOK, ""},
		{"no tenant named", tickets, "things", http.StatusOK, ""},
		{"unknown child of a community", tickets, "tenants/ahz.s01.c01.x9/things", http.StatusNotFound, "TENANT_NOT_FOUND"},
		{"unknown street", tickets, "tenants/ahz.s03/things", http.StatusNotFound, "TENANT_NOT_FOUND"},
		{"malformed", tickets, "tenants/AHZ_1/things", http.StatusBadRequest, "INVALID_TENANT"},
		{"too long", tickets, "tenants/" + strings.Repeat("a", 200) + "/things", http.StatusBadRequest, "INVALID_TENANT"},
		{"disabled", tickets, "tenants/ahz.s02.c09/things", http.StatusUnprocessableEntity, "TENANT_DISABLED"},
		{"service not enabled there", legalaid, "tenants/ahz.s01/things", http.StatusUnprocessableEntity, "SERVICE_NOT_ENABLED"},
		{"service enabled at the district", legalaid, "tenants/ahz/things", http.StatusOK, ""},
		{"the owner reaches a disabled tenant", identity, "tenants/ahz.s02.c09/things", http.StatusOK, ""},
		{"the owner reaches tenants without it", identity, "tenants/ahz.s01.c01/things", http.StatusOK, ""},
		{"the owner is refused unknown tenants", identity, "tenants/ahz.s09/things", http.StatusNotFound, "TENANT_NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := reached
			status, code := call(tc.base, tc.path)
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.code, code)
			if tc.code == "" {
				require.Equal(t, before+1, reached)
			} else {
				require.Equal(t, before, reached, "refused before the method runs")
			}
		})
	}

	// Closing a tenant takes effect with the watch, without a restart.
	c01, ok := tr.Get("ahz.s01.c01")
	require.True(t, ok)
	c01.Enabled = false
	require.NoError(t, tr.Put(t.Context(), c01))
	_, code := call(tickets, "tenants/ahz.s01.c01/things")
	require.Equal(t, "TENANT_DISABLED", code)

	// Metrics carry admitted ids only; everything else is "unchecked".
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	labels := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "gaoxing.rpc.calls" {
				for _, dp := range sum.DataPoints {
					v, _ := dp.Attributes.Value(attribute.Key("tenant"))
					labels[v.AsString()] = true
				}
			}
		}
	}
	require.Equal(t, map[string]bool{"ahz.s01.c01": true, "ahz": true, "": true, "ahz.s02.c09": true, "unchecked": true}, labels)
}
