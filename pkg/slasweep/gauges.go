package slasweep

import (
	"context"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// DueSoon is how far ahead a deadline counts as due soon on the SLA gauges.
const DueSoon = 24 * time.Hour

// Count is one tenant's open cases of one category (a ticket category, a matter code)
// and how many of them are due soon (deadline within DueSoon) or overdue (deadline past).
type Count struct {
	Tenant, Category       string
	Open, DueSoon, Overdue int64
}

// The states a case is counted in on the gauge.
const (
	StateOpen    = "open"
	StateDueSoon = "due_soon"
	StateOverdue = "overdue"
)

// Gauges publish the open, due-soon and overdue cases of a service per tenant and
// category as gaoxing.sla.cases (Prometheus gaoxing_sla_cases{service, tenant, category,
// state}). The counts come from one indexed query the service runs after each sweep
// pass (Set), so a scrape costs nothing and only the leader, which sweeps, reports:
// replicas never double a tenant's numbers. The series are bounded by tenants ×
// categories with open cases.
type Gauges struct {
	service string
	reg     metric.Registration
	mu      sync.Mutex
	counts  []Count
}

// NewGauges registers the gauges of service on meter; Close unregisters them.
func NewGauges(meter metric.Meter, service string) (*Gauges, error) {
	g := &Gauges{service: service}
	cases, err := meter.Int64ObservableGauge("gaoxing.sla.cases",
		metric.WithDescription("Open cases per tenant and category, and those due within a day or overdue (set after each SLA sweep, by the leader)."),
		metric.WithUnit("{case}"))
	if err != nil {
		return nil, err
	}
	g.reg, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, c := range g.counts {
			for state, n := range map[string]int64{StateOpen: c.Open, StateDueSoon: c.DueSoon, StateOverdue: c.Overdue} {
				o.ObserveInt64(cases, n, metric.WithAttributes(attribute.String("service", g.service),
					attribute.String("tenant", c.Tenant), attribute.String("category", c.Category), attribute.String("state", state)))
			}
		}
		return nil
	}, cases)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Set replaces the counts (a tenant and category without open cases is left out).
func (g *Gauges) Set(counts []Count) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.counts = slices.Clone(counts)
}

// Clear drops every count: a replica that stops leading stops reporting.
func (g *Gauges) Clear() { g.Set(nil) }

// Close unregisters the gauges.
func (g *Gauges) Close() error {
	if g == nil || g.reg == nil {
		return nil
	}
	return g.reg.Unregister()
}

// ScanCount reads one row of a service's count query: tenant, category, open, due soon,
// overdue (the form both services' queries share, for sqlstore.QueryAll).
func ScanCount(row interface{ Scan(...any) error }) (Count, error) {
	var c Count
	err := row.Scan(&c.Tenant, &c.Category, &c.Open, &c.DueSoon, &c.Overdue)
	return c, err
}
