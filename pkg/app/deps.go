package app

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Settings follows the service's dynamic settings in etcd (config.Watch under the
// service's name, defaults until an operator sets them) until the service stops.
func Settings[T config.Validator](ctx context.Context, d *Deps, defaults T) (*config.Settings[T], error) {
	s, err := config.Watch(ctx, d.Env.Etcd, d.Name, defaults, config.WithLogger(d.Log))
	if err != nil {
		return nil, fmt.Errorf("%s: settings: %w", d.Name, err)
	}
	d.Defer(s.Close)
	return s, nil
}

// Calendar follows the official working-day calendar in etcd while ctx lasts.
func (d *Deps) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	cal, err := calendar.Watch(ctx, d.Env.Etcd, calendar.WithLogger(d.Log))
	if err != nil {
		return nil, fmt.Errorf("%s: calendar: %w", d.Name, err)
	}
	// Years without a loaded schedule, which the SLA dashboard shows.
	if reg, err := cal.RegisterMetrics(otel.Meter("github.com/gaoxing-gov/gaoxing/pkg/calendar")); err != nil {
		d.Log.Warn("calendar metrics not reported", "err", err)
	} else {
		d.Defer(func() { _ = reg.Unregister() })
	}
	return cal, nil
}

// Sealing is ring when the service was given one (tests), else the environment's
// (SealingKeys).
func (d *Deps) Sealing(ring *sealed.Ring) (*sealed.Ring, error) {
	if ring != nil {
		return ring, nil
	}
	r, err := SealingKeys(d.Env, d.Log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	return r, nil
}

// SettingsAPI serves s through the service's contract (GetSettings, UpdateSettings),
// each change written to etcd inside the service's transaction with its audit record.
func SettingsAPI[T config.Validator](d *Deps, s *config.Settings[T]) config.SettingsAPI[T] {
	api := config.SettingsAPI[T]{Settings: s}
	if d.Audit != nil {
		api.Audit = func(ctx context.Context, tenant tenancy.ID, resource string, before, after any, change func(context.Context) error) error {
			return d.DB.InTx(ctx, func(ctx context.Context) error {
				if _, err := d.Audit.Record(ctx, audit.Entry{Tenant: tenant, Action: d.Name + ".UpdateSettings",
					Resource: resource, Before: before, After: after}); err != nil {
					return err
				}
				return change(ctx)
			})
		}
	}
	return api
}
