package app

import (
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Deliver is the loop that delivers the outbox events of db as signed webhooks to
// endpoints, or to env.Webhooks when endpoints is nil, on the one replica that leads the
// election "<name>-outbox", and its wake function, to call after committing events (it
// cuts the delivery delay below the poll interval; it never blocks). With nowhere to
// deliver, events stay queued in the outbox, the loop is empty (Deps.Go skips it) and
// wake does nothing. Services declare it with Deps.Deliver.
func Deliver(env Env, name string, db *sqlstore.DB, endpoints outbox.Endpoints, opts ...outbox.Option) (Loop, func()) {
	if endpoints == nil {
		endpoints = env.Webhooks
	}
	if endpoints == nil {
		env.Log().Info("no webhook receivers configured; events wait in the outbox", "service", name)
		return Loop{}, func() {}
	}
	log := env.Log().With("service", name)
	d := outbox.NewDispatcher(db, &outbox.Webhooks{Endpoints: endpoints}, append([]outbox.Option{outbox.WithLogger(log)}, opts...)...)
	return Loop{Name: name + "-outbox", Leader: true, Run: d.Run}, d.Wake
}
