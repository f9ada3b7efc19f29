package slasweep_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
)

// The gauges report what the last Set gave, three states per tenant and category, and
// nothing after Clear (a replica that stopped leading) or Close.
func TestGauges(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(t.Context()) })
	g, err := slasweep.NewGauges(mp.Meter("test"), "tickets")
	require.NoError(t, err)

	read := func() map[string]int64 {
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(t.Context(), &rm))
		out := map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				require.Equal(t, "gaoxing.sla.cases", m.Name)
				for _, p := range m.Data.(metricdata.Gauge[int64]).DataPoints {
					svc, _ := p.Attributes.Value("service")
					tenant, _ := p.Attributes.Value("tenant")
					cat, _ := p.Attributes.Value("category")
					state, _ := p.Attributes.Value("state")
					out[svc.AsString()+" "+tenant.AsString()+" "+cat.AsString()+" "+state.AsString()] = p.Value
				}
			}
		}
		return out
	}

	require.Empty(t, read(), "nothing before the first pass")
	g.Set([]slasweep.Count{
		{Tenant: "ahz.s01", Category: "noise", Open: 7, DueSoon: 2, Overdue: 1},
		{Tenant: "ahz.s02", Category: "roads", Open: 1},
	})
	require.Equal(t, map[string]int64{
		"tickets ahz.s01 noise open": 7, "tickets ahz.s01 noise due_soon": 2, "tickets ahz.s01 noise overdue": 1,
		"tickets ahz.s02 roads open": 1, "tickets ahz.s02 roads due_soon": 0, "tickets ahz.s02 roads overdue": 0,
	}, read())
	g.Clear()
	require.Empty(t, read())
	g.Set([]slasweep.Count{{Tenant: "ahz", Category: "noise", Open: 1}})
	require.NoError(t, g.Close())
	require.Empty(t, read())
}
