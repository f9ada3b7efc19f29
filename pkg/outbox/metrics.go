package outbox

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// scrapeTimeout bounds the outbox's query at a scrape.
const scrapeTimeout = 2 * time.Second

// RegisterMetrics reports service's outbox in db at each scrape, per receiver, from one
// query over the status index:
//
//   - gaoxing.outbox.pending: events waiting for delivery (or for a receiver to be
//     configured: without one they wait);
//   - gaoxing.outbox.lag: the age in seconds of the oldest of them (no series with none), the
//     delivery lag the operations team watches;
//   - gaoxing.outbox.dead_letters: events set aside as dead and not yet purged.
//
// Every replica reads the same database, so dashboards take the max over instances.
// Unregister the returned registration when the database closes.
func RegisterMetrics(meter metric.Meter, db *sqlstore.DB, service string) (metric.Registration, error) {
	pending, err := meter.Int64ObservableGauge("gaoxing.outbox.pending",
		metric.WithDescription("Events waiting in the outbox for delivery."), metric.WithUnit("{event}"))
	if err != nil {
		return nil, err
	}
	lag, err := meter.Float64ObservableGauge("gaoxing.outbox.lag",
		metric.WithDescription("Age of the oldest undelivered event in the outbox."), metric.WithUnit("s"))
	if err != nil {
		return nil, err
	}
	deadLetters, err := meter.Int64ObservableGauge("gaoxing.outbox.dead_letters",
		metric.WithDescription("Events set aside as dead in the outbox."), metric.WithUnit("{event}"))
	if err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, scrapeTimeout)
		defer cancel()
		rows, err := sqlstore.QueryAll(ctx, db, scanStatusRow, `SELECT status, receiver, COUNT(*), MIN(created_us)
			FROM outbox_events WHERE status IN ('pending', 'dead') GROUP BY status, receiver`)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, r := range rows {
			attrs := metric.WithAttributes(attribute.String("service", service), attribute.String("receiver", r.receiver))
			if r.status == string(Dead) {
				o.ObserveInt64(deadLetters, r.count, attrs)
				continue
			}
			o.ObserveInt64(pending, r.count, attrs)
			o.ObserveFloat64(lag, max(0, now.Sub(time.UnixMicro(r.oldest)).Seconds()), attrs)
		}
		return nil
	}, pending, lag, deadLetters)
}

type statusRow struct {
	status, receiver string
	count, oldest    int64
}

func scanStatusRow(row sqlstore.Scanner) (statusRow, error) {
	var r statusRow
	err := row.Scan(&r.status, &r.receiver, &r.count, &r.oldest)
	return r, err
}
