package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// The outbox's gauges: pending events and the age of the oldest per receiver, dead
// letters, read at the scrape. Both engines.
func TestMetrics(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := context.Background()
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		t.Cleanup(func() { _ = mp.Shutdown(ctx) })
		reg, err := outbox.RegisterMetrics(mp.Meter("test"), db, "legalaid")
		require.NoError(t, err)
		t.Cleanup(func() { _ = reg.Unregister() })

		read := func() map[string]float64 {
			var rm metricdata.ResourceMetrics
			require.NoError(t, reader.Collect(ctx, &rm))
			out := map[string]float64{}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					switch d := m.Data.(type) {
					case metricdata.Gauge[int64]:
						for _, p := range d.DataPoints {
							r, _ := p.Attributes.Value("receiver")
							s, _ := p.Attributes.Value("service")
							out[m.Name+" "+s.AsString()+" "+r.AsString()] = float64(p.Value)
						}
					case metricdata.Gauge[float64]:
						for _, p := range d.DataPoints {
							r, _ := p.Attributes.Value("receiver")
							s, _ := p.Attributes.Value("service")
							out[m.Name+" "+s.AsString()+" "+r.AsString()] = p.Value
						}
					}
				}
			}
			return out
		}
		require.Empty(t, read(), "an empty outbox reports nothing")

		began := time.Now()
		for _, payload := range []string{`{"case":"C-1"}`, `{"case":"C-2"}`} {
			_, err := add(ctx, db, event(payload))
			require.NoError(t, err)
		}
		id, err := add(ctx, db, event(`{"case":"C-3"}`))
		require.NoError(t, err)
		_, err = db.Exec(ctx, `UPDATE outbox_events SET status = 'dead' WHERE id = $1`, id)
		require.NoError(t, err)

		got := read()
		require.Equal(t, 2.0, got["gaoxing.outbox.pending legalaid court"])
		require.Equal(t, 1.0, got["gaoxing.outbox.dead_letters legalaid court"])
		lag := got["gaoxing.outbox.lag legalaid court"]
		require.GreaterOrEqual(t, lag, 0.0)
		require.LessOrEqual(t, lag, time.Since(began).Seconds()+1)
	})
}
