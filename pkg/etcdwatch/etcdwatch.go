// Package etcdwatch keeps an in-memory view of an etcd prefix current: the one loop behind
// every replica's copy of shared state (authorization policy, tenant tree, revoked tokens).
// Changes are applied one watch response at a time; when the watch ends for any reason
// (compaction, a lost leader, a cut connection, etcd restarting) the whole prefix is read
// again and following resumes from there, so a replica that missed events never serves a
// view with holes in it.
package etcdwatch

import (
	"context"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Watch describes one followed prefix.
type Watch struct {
	Client *clientv3.Client
	Prefix string
	// Name says in logs what the view is ("policy", "tenant tree").
	Name string
	Log  *slog.Logger
	// Apply applies one watch response's events, in order.
	Apply func(events []*clientv3.Event)
	// Reload reads the whole prefix into the view and returns the revision it read at.
	Reload func(ctx context.Context) (int64, error)
	// Reloaded, if set, is called after each reload that followed a gap.
	Reloaded func(rev int64)
}

// Follow watches the prefix from rev+1 and applies what it sees until ctx ends or the
// client is closed; rev 0 means nothing was read yet, so it reloads first. After a gap it
// reloads, retrying with backoff (100 ms doubling to 5 s) while etcd is away.
func (w Watch) Follow(ctx context.Context, rev int64) {
	backoff := 100 * time.Millisecond
	for {
		if rev != 0 {
			wctx, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
			for resp := range w.Client.Watch(wctx, w.Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
				if resp.Err() != nil {
					w.Log.Warn(w.Name+" watch interrupted", "err", resp.Err())
					break
				}
				w.Apply(resp.Events)
				if n := len(resp.Events); n > 0 {
					rev = resp.Events[n-1].Kv.ModRevision
				}
			}
			stop()
		}
		for ctx.Err() == nil && w.Client.Ctx().Err() == nil {
			r, err := w.Reload(ctx)
			if err == nil {
				w.Log.Info(w.Name+" reloaded after a watch gap", "revision", r)
				if w.Reloaded != nil {
					w.Reloaded(r)
				}
				rev, backoff = r, 100*time.Millisecond
				break
			}
			w.Log.Warn(w.Name+" reload failed", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
		if ctx.Err() != nil || w.Client.Ctx().Err() != nil {
			return
		}
	}
}
