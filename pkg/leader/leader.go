package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// DefaultPrefix is the etcd key prefix under which elections are held; an election's
// candidates are keys under DefaultPrefix + name + "/".
const DefaultPrefix = "/gaoxing/leader/"

// Defaults for the options.
const (
	DefaultTTL        = 10 * time.Second
	DefaultRetryDelay = time.Second
)

// Leader is one replica's candidacy in the election called name.
type Leader struct {
	client     *clientv3.Client
	name       string
	loop       metric.MeasurementOption // the loop label of its metrics: name
	prefix     string
	key        string
	identity   string
	ttl        time.Duration
	retryDelay time.Duration
	log        *slog.Logger
	// term is the context of the term in progress, nil between terms: leadership ends
	// when it is cancelled, even while fn is still winding down.
	term atomic.Pointer[context.Context]
}

// heldCounter is 1 on the replica that leads a loop and 0 on the other candidates: the
// sum per loop is the number of leaders, and 0 for a while means the loop's work is not
// done. Made when a candidate starts, from the meter provider then in use (made when the
// package loads, it would stay bound to the first provider ever set).
func heldCounter() metric.Int64UpDownCounter {
	held, _ := otel.Meter("github.com/gaoxing-gov/gaoxing/pkg/leader").Int64UpDownCounter("gaoxing.leader.held",
		metric.WithDescription("1 while this replica leads the loop, else 0."))
	return held
}

// Option configures a Leader.
type Option func(*Leader)

// WithTTL sets the session lease TTL (rounded up to whole seconds, at least 1 s; etcd may
// raise very short TTLs to its minimum). A lost leader is replaced within about this long.
func WithTTL(d time.Duration) Option { return func(l *Leader) { l.ttl = d } }

// WithIdentity sets the value this candidate writes into the election (shown by Observe
// tools); the default is hostname/pid/random.
func WithIdentity(id string) Option { return func(l *Leader) { l.identity = id } }

// WithRetryDelay sets the pause before campaigning again after an error.
func WithRetryDelay(d time.Duration) Option { return func(l *Leader) { l.retryDelay = d } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(log *slog.Logger) Option { return func(l *Leader) { l.log = log } }

// WithPrefix sets the etcd key prefix (default DefaultPrefix).
func WithPrefix(prefix string) Option { return func(l *Leader) { l.prefix = prefix } }

// New makes a candidate for the election name (for example "tickets/sla-sweeper").
func New(client *clientv3.Client, name string, opts ...Option) *Leader {
	l := &Leader{
		client:     client,
		name:       strings.Trim(name, "/"),
		prefix:     DefaultPrefix,
		identity:   defaultIdentity(),
		ttl:        DefaultTTL,
		retryDelay: DefaultRetryDelay,
		log:        slog.Default(),
	}
	for _, o := range opts {
		o(l)
	}
	l.loop = metric.WithAttributes(attribute.String("loop", l.name))
	l.key = strings.TrimSuffix(l.prefix, "/") + "/" + l.name
	l.log = l.log.With("election", name)
	return l
}

func defaultIdentity() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Run calls New(client, name, opts...).Run(ctx, fn).
func Run(ctx context.Context, client *clientv3.Client, name string, fn func(ctx context.Context) error, opts ...Option) error {
	return New(client, name, opts...).Run(ctx, fn)
}

// IsLeader reports whether this candidate leads right now: it won, and has not lost or
// given up leadership since (fn may still be returning after a loss).
func (l *Leader) IsLeader() bool {
	ctx := l.term.Load()
	return ctx != nil && (*ctx).Err() == nil
}

// Run campaigns until ctx ends. Each time this candidate wins it calls fn with a context
// that is cancelled when leadership is lost, waits for fn to return, resigns, and after
// the retry delay campaigns again. fn should run until its context ends; an error or an
// early return ends that term only. Run returns nil when ctx ends.
func (l *Leader) Run(ctx context.Context, fn func(ctx context.Context) error) error {
	if l.client == nil || fn == nil || l.name == "" {
		return errors.New("leader: nil client, nil fn or empty name")
	}
	held := heldCounter()
	held.Add(ctx, 0, l.loop) // the series exists while a candidate runs, held or not
	for ctx.Err() == nil {
		if err := l.serve(ctx, held, fn); err != nil && ctx.Err() == nil {
			l.log.WarnContext(ctx, "leader: term ended", "err", err)
		}
		// Pause before the next campaign so a failing fn or an unreachable etcd does
		// not spin.
		sleep(ctx, l.retryDelay)
	}
	return nil
}

// serve is one session: campaign, lead while the lease holds, resign.
func (l *Leader) serve(ctx context.Context, held metric.Int64UpDownCounter, fn func(ctx context.Context) error) error {
	ttl := max(int((l.ttl+time.Second-1)/time.Second), 1)
	session, err := concurrency.NewSession(l.client, concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("leader: session: %w", err)
	}
	// Revoke the lease on the way out so nothing of ours lingers for the TTL. Session.Close
	// would revoke with the session's (by then cancelled) context, so revoke here with a
	// context that outlives ctx, bounded by the TTL.
	defer func() {
		session.Orphan()
		revokeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.ttl)
		defer cancel()
		_, _ = l.client.Revoke(revokeCtx, session.Lease())
	}()

	// Campaign does not notice its own key expiring while it waits for earlier
	// candidates, so tie its context to the session.
	campaignCtx, stopCampaign := context.WithCancel(ctx)
	defer stopCampaign()
	go func() {
		select {
		case <-session.Done():
			stopCampaign()
		case <-campaignCtx.Done():
		}
	}()
	election := concurrency.NewElection(session, l.key)
	if err := election.Campaign(campaignCtx, l.identity); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("leader: campaign: %w", err)
	}
	rev, err := l.stillHeld(ctx, session, election)
	if err != nil {
		return err
	}

	leadCtx, lose := context.WithCancelCause(ctx)
	defer lose(nil)
	go l.watchLoss(leadCtx, lose, session, election, rev)

	l.term.Store(&leadCtx)
	l.log.InfoContext(ctx, "leader: elected", "identity", l.identity)
	held.Add(ctx, 1, l.loop)
	err = fn(leadCtx)
	held.Add(ctx, -1, l.loop)
	cause := context.Cause(leadCtx)
	lose(nil)
	l.term.Store(nil)

	// Step down explicitly so a successor starts at once rather than after the TTL.
	resignCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.ttl)
	_ = election.Resign(resignCtx)
	cancel()

	switch {
	case ctx.Err() != nil:
		l.log.InfoContext(resignCtx, "leader: stepped down", "reason", "shutdown")
		return nil
	case cause != nil && !errors.Is(cause, context.Canceled):
		return nil // lost; watchLoss logged it when it happened
	case err != nil:
		return fmt.Errorf("leader: work failed: %w", err)
	}
	return nil
}

var (
	errLeaseLost  = errors.New("leader: session lease lost")
	errKeyDeleted = errors.New("leader: election key deleted")
)

// stillHeld checks that the key Campaign won with still exists with our lease: the lease
// may have expired in the instant between winning and this check.
// It returns the revision it checked at, from which watchLoss watches.
func (l *Leader) stillHeld(ctx context.Context, session *concurrency.Session, election *concurrency.Election) (int64, error) {
	resp, err := l.client.Get(ctx, election.Key())
	if err != nil {
		return 0, fmt.Errorf("leader: check key: %w", err)
	}
	if len(resp.Kvs) == 0 || clientv3.LeaseID(resp.Kvs[0].Lease) != session.Lease() {
		return 0, errKeyDeleted
	}
	return resp.Header.Revision, nil
}

// watchLoss cancels the leader's context when the session's lease stops being renewed or
// someone deletes the election key (an operator forcing a new election).
func (l *Leader) watchLoss(ctx context.Context, lose context.CancelCauseFunc, session *concurrency.Session, election *concurrency.Election, rev int64) {
	watch := l.client.Watch(clientv3.WithRequireLeader(ctx), election.Key(), clientv3.WithFilterPut(), clientv3.WithRev(rev+1))
	for {
		select {
		case <-ctx.Done():
			return
		case <-session.Done():
			l.log.WarnContext(ctx, "leader: leadership lost", "cause", errLeaseLost)
			lose(errLeaseLost)
			return
		case resp, ok := <-watch:
			if !ok {
				// The watch ended (client closed or ctx done); the session tells which.
				watch = nil
				continue
			}
			for _, ev := range resp.Events {
				if ev.Type == clientv3.EventTypeDelete {
					l.log.WarnContext(ctx, "leader: leadership lost", "cause", errKeyDeleted)
					lose(errKeyDeleted)
					return
				}
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
