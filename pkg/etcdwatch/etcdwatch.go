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
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// viewMetrics are the views' health, per view (its Name), for the etcd-unreachable alert
// and the ops pages: whether the view follows etcd now, how often it had to reload after
// a gap, how often a reload failed (etcd away), and the watch lag: the revision the view
// reflects (replicas of one view compare theirs; the highest is how far etcd has got) and
// when it last applied anything (time() minus it is how long the view has heard nothing).
//
// They are made from the meter provider in use when a view starts following: instruments
// made when the package loads stay bound to the first provider ever set.
type viewMetrics struct {
	view                    metric.MeasurementOption
	connected, revision     metric.Int64Gauge
	reloads, reloadFailures metric.Int64Counter
	appliedAt               metric.Float64Gauge
}

func newViewMetrics(name string) viewMetrics {
	meter := otel.Meter("github.com/gaoxing-gov/gaoxing/pkg/etcdwatch")
	m := viewMetrics{view: metric.WithAttributes(attribute.String("view", name))}
	m.connected, _ = meter.Int64Gauge("gaoxing.etcdwatch.connected",
		metric.WithDescription("1 while the view follows etcd, 0 while its watch is broken and etcd cannot be read."))
	m.reloads, _ = meter.Int64Counter("gaoxing.etcdwatch.reloads",
		metric.WithDescription("Reloads of the whole view (at start and after each watch gap)."))
	m.reloadFailures, _ = meter.Int64Counter("gaoxing.etcdwatch.reload_failures",
		metric.WithDescription("Reloads that failed (etcd unreachable or refusing)."))
	m.revision, _ = meter.Int64Gauge("gaoxing.etcdwatch.applied_revision",
		metric.WithDescription("The etcd revision the view reflects (after its last event or reload)."))
	m.appliedAt, _ = meter.Float64Gauge("gaoxing.etcdwatch.applied_time",
		metric.WithDescription("When the view last applied events or reloaded, in Unix seconds."), metric.WithUnit("s"))
	return m
}

// follows records whether the view follows etcd now.
func (m viewMetrics) follows(ctx context.Context, yes bool) {
	v := int64(0)
	if yes {
		v = 1
	}
	m.connected.Record(ctx, v, m.view)
}

// applied records that the view now reflects rev.
func (m viewMetrics) applied(ctx context.Context, rev int64) {
	m.revision.Record(ctx, rev, m.view)
	m.appliedAt.Record(ctx, float64(time.Now().UnixMilli())/1000, m.view)
}

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
	m := newViewMetrics(w.Name)
	backoff := 100 * time.Millisecond
	if rev != 0 {
		// Read by the caller: the view follows etcd from here.
		m.follows(ctx, true)
		m.applied(ctx, rev)
	}
	for {
		if rev != 0 {
			wctx, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
			for resp := range w.Client.Watch(wctx, w.Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
				if resp.Err() != nil {
					m.follows(ctx, false)
					w.Log.Warn(w.Name+" watch interrupted", "err", resp.Err())
					break
				}
				w.Apply(resp.Events)
				if n := len(resp.Events); n > 0 {
					rev = resp.Events[n-1].Kv.ModRevision
					m.applied(ctx, rev)
				}
			}
			stop()
		}
		for ctx.Err() == nil && w.Client.Ctx().Err() == nil {
			r, err := w.Reload(ctx)
			if err == nil {
				m.follows(ctx, true)
				m.reloads.Add(ctx, 1, m.view)
				m.applied(ctx, r)
				w.Log.Info(w.Name+" reloaded after a watch gap", "revision", r)
				if w.Reloaded != nil {
					w.Reloaded(r)
				}
				rev, backoff = r, 100*time.Millisecond
				break
			}
			m.follows(ctx, false)
			m.reloadFailures.Add(ctx, 1, m.view)
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
