package calendar

import (
	"context"
	"time"

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
