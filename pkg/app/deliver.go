package app

import (
	"context"

	"github.com/gaoxing-gov/gaoxing/pkg/leader"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Deliver starts delivering the outbox events of db as signed webhooks to endpoints, or
// to env.Webhooks when endpoints is nil, on the one replica that leads the election
// "<name>-outbox", until ctx ends. It returns a wake function to call after committing
// events (it cuts the delivery delay below the poll interval; it never blocks). With
// nowhere to deliver, events stay queued in the outbox and wake does nothing.
func Deliver(ctx context.Context, env Env, name string, db *sqlstore.DB, endpoints outbox.Endpoints, opts ...outbox.Option) (wake func()) {
	if endpoints == nil {
		endpoints = env.Webhooks
	}
	if endpoints == nil {
		env.Log().Info("no webhook receivers configured; events wait in the outbox", "service", name)
		return func() {}
	}
	log := env.Log().With("service", name)
	d := outbox.NewDispatcher(db, &outbox.Webhooks{Endpoints: endpoints}, append([]outbox.Option{outbox.WithLogger(log)}, opts...)...)
	go func() {
		_ = leader.Run(ctx, env.Etcd, name+"-outbox", d.Run, leader.WithLogger(log))
	}()
	return d.Wake
}
