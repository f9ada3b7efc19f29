package calendar

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RegisterMetrics reports the calendar's health on meter:
//
//   - gaoxing.calendar.provisional_years: years without a schedule that deadlines computed
//     by this process fall into (ProvisionalYears). Alert when it is above 0: admins
//     must load the year's schedule; the deadlines are recomputed when they do.
//   - gaoxing.calendar.missing_years: this year and next year without a schedule
//     (MissingYears); next year is normally missing until its notice appears in November,
//     so alert on it only in December.
//
// Unregister the returned registration when the calendar is no longer used.
func (c *Calendar) RegisterMetrics(meter metric.Meter) (metric.Registration, error) {
	provisional, err := meter.Int64ObservableGauge("gaoxing.calendar.provisional_years",
		metric.WithDescription("Years without a loaded holiday schedule that deadlines fall into (counted on weekends only)."),
		metric.WithUnit("{year}"))
	if err != nil {
		return nil, err
	}
	missing, err := meter.Int64ObservableGauge("gaoxing.calendar.missing_years",
		metric.WithDescription("This year and next year, counted if their holiday schedule is not loaded."),
		metric.WithUnit("{year}"))
	if err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(provisional, int64(len(c.ProvisionalYears())))
		o.ObserveInt64(missing, int64(len(c.MissingYears(time.Now()))))
		return nil
	}, provisional, missing)
}

// Crossings counts SLA thresholds as sweeps record them: gaoxing.sla.crossings
// (Prometheus gaoxing_sla_crossings_total) by service, tenant, clock ("response",
// "close", "step", "part", …) and threshold (50, 75, 100). Its rate per tenant at 100 is
// the overdue rate the SLA dashboard shows. The zero value counts nothing.
type Crossings struct {
	service string
	counter metric.Int64Counter
}

// NewCrossings returns the counter of service's crossings on meter.
func NewCrossings(meter metric.Meter, service string) (Crossings, error) {
	c, err := meter.Int64Counter("gaoxing.sla.crossings",
		metric.WithDescription("SLA thresholds (50/75/100 % of a deadline) crossed, recorded once each by the sweeps."),
		metric.WithUnit("{crossing}"))
	if err != nil {
		return Crossings{}, err
	}
	return Crossings{service: service, counter: c}, nil
}

// Add counts one crossing of a clock of tenant.
func (c Crossings) Add(ctx context.Context, tenant string, clock string, th Threshold) {
	if c.counter == nil {
		return
	}
	c.counter.Add(ctx, 1, metric.WithAttributes(
		attribute.String("service", c.service),
		attribute.String("tenant", tenant),
		attribute.String("clock", clock),
		attribute.Int("threshold", int(th)),
	))
}
