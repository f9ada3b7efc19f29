package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Delivery is one try of one event, as a Sender gets it.
type Delivery struct {
	ID       string // delivery id: the same on every try of the event
	Tenant   tenancy.ID
	Topic    string
	Receiver string
	Payload  []byte
	Attempt  int // 1 for the first try
	Created  time.Time
}

// Sender delivers one event. nil means the receiver acknowledged it; an error made by
// Permanent sets the event aside as dead; any other error is retried. Send must return
// by the ctx deadline.
type Sender interface {
	Send(ctx context.Context, d Delivery) error
}

// Backoff is the delay before try n+1 after n failed tries: Initial·2^(n-1), at most Max,
// then drawn uniformly from its upper half so that events that failed together do not
// come back together.
type Backoff struct {
	Initial, Max time.Duration
}

// Delay is the pause after failed try n (n ≥ 1).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Initial
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Dispatcher delivers pending events. Run it under leader election (leader.Run) so one
// replica delivers; it stays correct, only busier, if two run at once.
type Dispatcher struct {
	db          *sqlstore.DB
	sender      Sender
	maxAttempts int
	backoff     Backoff
	workers     int
	poll        time.Duration
	timeout     time.Duration
	claimTTL    time.Duration
	log         *slog.Logger
	wake        chan struct{}
	outcomes    outcomes
}

// Option configures a Dispatcher.
type Option func(*Dispatcher)

// WithMaxAttempts sets how many tries an event gets before it is dead (default 12: with
// the default backoff, some 15 to 20 hours of trying).
func WithMaxAttempts(n int) Option { return func(d *Dispatcher) { d.maxAttempts = max(n, 1) } }

// WithBackoff sets the retry delays (default 1 min doubling to 6 h).
func WithBackoff(b Backoff) Option { return func(d *Dispatcher) { d.backoff = b } }

// WithWorkers sets how many sends run at once (default 4).
func WithWorkers(n int) Option { return func(d *Dispatcher) { d.workers = max(n, 1) } }

// WithPollInterval sets how often the dispatcher looks for due events when idle
// (default 1 s); Wake cuts the wait short.
func WithPollInterval(p time.Duration) Option { return func(d *Dispatcher) { d.poll = p } }

// WithTimeout bounds one send (default 10 s). The claim on an event lasts at least
// twice this, so a send ends, and is marked, before another dispatcher may take the
// event.
func WithTimeout(t time.Duration) Option { return func(d *Dispatcher) { d.timeout = t } }

// WithClaimTTL sets how long a claim keeps other dispatchers off an event (default
// 1 min); it is how long an event waits after its dispatcher died mid-send. It is raised
// to at least twice the send timeout.
func WithClaimTTL(t time.Duration) Option { return func(d *Dispatcher) { d.claimTTL = t } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *Dispatcher) { d.log = l } }

// NewDispatcher makes a dispatcher of the events in db through sender.
func NewDispatcher(db *sqlstore.DB, sender Sender, opts ...Option) *Dispatcher {
	d := &Dispatcher{
		db:          db,
		sender:      sender,
		maxAttempts: 12,
		backoff:     Backoff{Initial: time.Minute, Max: 6 * time.Hour},
		workers:     4,
		poll:        time.Second,
		timeout:     10 * time.Second,
		claimTTL:    time.Minute,
		log:         slog.Default(),
		wake:        make(chan struct{}, 1),
		outcomes:    newOutcomes(),
	}
	for _, o := range opts {
		o(d)
	}
	d.claimTTL = max(d.claimTTL, 2*d.timeout)
	return d
}

// Wake tells a running dispatcher to look for due events now (call it after committing
// an Add to cut the delivery delay below the poll interval). It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers due events until ctx ends. It then claims nothing more, lets the sends
// in progress finish (each within the send timeout) and marks them, and returns nil.
func (d *Dispatcher) Run(ctx context.Context) error {
	var (
		wg   sync.WaitGroup
		free = make(chan struct{}, d.workers) // a token per idle worker
		done = make(chan struct{}, d.workers) // a worker finished: maybe more to claim
	)
	for range d.workers {
		free <- struct{}{}
	}
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-d.wake:
		case <-done:
		}
		n := len(free)
		if n == 0 {
			continue // every worker busy; a done will come
		}
		claimed, err := d.claim(ctx, n)
		if err != nil {
			d.log.WarnContext(ctx, "outbox: claim failed", "err", err)
		}
		for _, ev := range claimed {
			<-free
			wg.Go(func() {
				defer func() {
					free <- struct{}{}
					select {
					case done <- struct{}{}:
					default:
					}
				}()
				d.deliver(ctx, ev)
			})
		}
		// A full batch means more may be due: look again as soon as a worker frees up.
		// Otherwise wait for the poll interval.
		if len(claimed) < n {
			timer.Reset(d.poll)
		} else {
			timer.Reset(0)
		}
	}
}

type claimedEvent struct {
	Delivery
	token string
}

// claim takes up to n due events that no live claim holds. One UPDATE does it, so two
// dispatchers can never hold the same event: on PostgreSQL the second waits for the
// first's row lock and then re-checks the claim condition on the row it committed; on
// SQLite writes are serialised. It is not cut short by ctx: events it claimed are sent
// (and marked), not left claimed by nobody until the claim expires.
func (d *Dispatcher) claim(ctx context.Context, n int) ([]claimedEvent, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.timeout)
	defer cancel()
	now := time.Now()
	token := randomToken()
	var out []claimedEvent
	// In a transaction because it writes: outside one, sqlstore sends queries to SQLite's
	// read-only connections.
	err := d.db.InTx(ctx, func(ctx context.Context) error {
		out = out[:0]
		rows, err := d.db.Query(ctx, `UPDATE outbox_events SET claim_token = $1, claim_until_us = $2
			WHERE id IN (SELECT id FROM outbox_events
				WHERE status = 'pending' AND next_attempt_us <= $3 AND claim_until_us <= $3
				ORDER BY next_attempt_us, id LIMIT $4)
			AND status = 'pending' AND claim_until_us <= $3
			RETURNING id, tenant, topic, receiver, payload, attempts, created_us`,
			token, now.Add(d.claimTTL).UnixMicro(), now.UnixMicro(), n)
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var (
				ev      = claimedEvent{token: token}
				tenant  string
				created int64
			)
			if err := rows.Scan(&ev.ID, &tenant, &ev.Topic, &ev.Receiver, &ev.Payload, &ev.Attempt, &created); err != nil {
				return err
			}
			ev.Tenant, ev.Created = tenancy.ID(tenant), time.UnixMicro(created)
			ev.Attempt++
			out = append(out, ev)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return out, nil
}

// deliver sends one claimed event and records the outcome. Neither the send nor the
// marking is cut short by ctx: a dispatcher that stops leading finishes what it started,
// so its successor, which skips claimed events, has nothing to send twice.
func (d *Dispatcher) deliver(ctx context.Context, ev claimedEvent) {
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.timeout)
	err := d.sender.Send(sendCtx, ev.Delivery)
	cancel()
	log := d.log.With("delivery", ev.ID, "topic", ev.Topic, "receiver", ev.Receiver, "tenant", string(ev.Tenant), "attempt", ev.Attempt)
	if err != nil {
		log.WarnContext(ctx, "outbox: send failed", "err", err)
	}
	// Marking must land before the claim expires, or the event may be sent again;
	// retry briefly if the database hiccups.
	markCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), time.Now().Add(d.claimTTL-d.timeout))
	defer cancel()
	for try := 0; ; try++ {
		merr := d.mark(markCtx, ev, err)
		if merr == nil {
			return
		}
		if markCtx.Err() != nil || errors.Is(merr, errClaimLost) {
			log.ErrorContext(ctx, "outbox: could not record the outcome; the event may be sent again", "err", merr)
			return
		}
		select {
		case <-markCtx.Done():
		case <-time.After(time.Duration(50<<min(try, 6)) * time.Millisecond):
		}
	}
}

// outcomes count deliveries per receiver and topic: the dead-letter alert watches dead,
// the ops pages show both. Made with the dispatcher, from the meter provider then in use
// (made when the package loads, they would stay bound to the first provider ever set).
type outcomes struct{ delivered, dead metric.Int64Counter }

func newOutcomes() outcomes {
	meter := otel.Meter("github.com/gaoxing-gov/gaoxing/pkg/outbox")
	var o outcomes
	o.delivered, _ = meter.Int64Counter("gaoxing.outbox.delivered",
		metric.WithDescription("Events delivered to their receiver."))
	o.dead, _ = meter.Int64Counter("gaoxing.outbox.dead",
		metric.WithDescription("Events set aside as dead (attempts exhausted or refused for good)."))
	return o
}

var errClaimLost = errors.New("outbox: claim lost before the outcome was recorded")

func (d *Dispatcher) mark(ctx context.Context, ev claimedEvent, sendErr error) error {
	now := time.Now()
	if sendErr == nil {
		// Delivered whoever holds the claim now: it did reach the receiver.
		_, err := d.db.Exec(ctx, `UPDATE outbox_events
			SET status = 'delivered', attempts = $2, delivered_us = $3, last_error = '', claim_token = '', claim_until_us = 0
			WHERE id = $1 AND status = 'pending'`, ev.ID, ev.Attempt, now.UnixMicro())
		if err == nil {
			d.outcomes.delivered.Add(ctx, 1, metric.WithAttributes(attribute.String("receiver", ev.Receiver), attribute.String("topic", ev.Topic)))
		}
		return err
	}
	msg := sendErr.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	state, next := Pending, now.Add(d.backoff.Delay(ev.Attempt))
	if ev.Attempt >= d.maxAttempts || IsPermanent(sendErr) {
		state, next = Dead, now
	}
	res, err := d.db.Exec(ctx, `UPDATE outbox_events
		SET status = $3, attempts = $4, next_attempt_us = $5, last_error = $6, claim_token = '', claim_until_us = 0
		WHERE id = $1 AND claim_token = $2 AND status = 'pending'`,
		ev.ID, ev.token, string(state), ev.Attempt, next.UnixMicro(), msg)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errClaimLost
	}
	if state == Dead {
		d.outcomes.dead.Add(ctx, 1, metric.WithAttributes(attribute.String("receiver", ev.Receiver), attribute.String("topic", ev.Topic)))
		d.log.ErrorContext(ctx, "outbox: event is dead", "delivery", ev.ID, "attempts", ev.Attempt, "err", msg)
	}
	return nil
}
