package outbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func event(payload string) outbox.Event {
	return outbox.Event{Tenant: "ahz", Topic: "legalaid.case.registered", Receiver: "court", Payload: []byte(payload)}
}

// add stores ev in a transaction of its own, as a change does.
func add(ctx context.Context, db *sqlstore.DB, ev outbox.Event) (id string, err error) {
	err = db.InTx(ctx, func(ctx context.Context) error {
		id, err = outbox.Add(ctx, db, ev)
		return err
	})
	return id, err
}

// Add refuses to store outside a transaction: an event apart from its change could
// announce a change that rolled back.
func TestAddNeedsATransaction(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t, time.Minute)
		_, err := outbox.Add(ctx, db, event(`{"case":"C-0"}`))
		require.ErrorIs(t, err, outbox.ErrNoTransaction)
		require.Equal(t, errs.Internal, errs.From(err).Kind)
		var n int
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM outbox_events`).Scan(&n))
		require.Zero(t, n)
	})
}

func TestAddIsPartOfTheTransaction(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t, time.Minute)

		var rolledBack string
		boom := errors.New("the change failed")
		err := db.InTx(ctx, func(ctx context.Context) error {
			var err error
			rolledBack, err = outbox.Add(ctx, db, event(`{"case":"C-1"}`))
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = outbox.Get(ctx, db, rolledBack)
		require.ErrorIs(t, err, sqlstore.ErrNotFound, "no change, no event")

		var id string
		require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
			id, err = outbox.Add(ctx, db, event(`{"case":"C-2"}`))
			return err
		}))
		st, err := outbox.Get(ctx, db, id)
		require.NoError(t, err)
		require.Equal(t, outbox.Pending, st.State)
		require.Equal(t, "court", st.Receiver)
		require.Zero(t, st.Attempts)
	})
}

func TestAddIsIdempotentOnKey(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t, time.Minute)
		ev := event(`{"ticket":"T-1","threshold":50}`)
		ev.Key = "sla-50%/tenants/ahz/tickets/T-1"
		first, err := add(ctx, db, ev)
		require.NoError(t, err)
		again, err := add(ctx, db, ev)
		require.NoError(t, err)
		require.Equal(t, first, again, "the second sweep's reminder is the first one")

		other := ev
		other.Receiver = "legal-aid"
		third, err := add(ctx, db, other)
		require.NoError(t, err)
		require.NotEqual(t, first, third, "keys are per receiver")

		noKey1, err := add(ctx, db, event(`{}`))
		require.NoError(t, err)
		noKey2, err := add(ctx, db, event(`{}`))
		require.NoError(t, err)
		require.NotEqual(t, noKey1, noKey2, "without a key every Add is an event")
	})
}

func TestAddRefusesBadEvents(t *testing.T) {
	db := openDB(t, testenv.SQLite(t))
	ctx := testCtx(t, time.Minute)
	for name, ev := range map[string]outbox.Event{
		"bad tenant":    {Tenant: "AHZ", Topic: "t", Receiver: "r", Payload: []byte(`{}`)},
		"no topic":      {Tenant: "ahz", Receiver: "r", Payload: []byte(`{}`)},
		"no receiver":   {Tenant: "ahz", Topic: "t", Payload: []byte(`{}`)},
		"not JSON":      {Tenant: "ahz", Topic: "t", Receiver: "r", Payload: []byte(`{"a":`)},
		"empty payload": {Tenant: "ahz", Topic: "t", Receiver: "r"},
		"too large":     {Tenant: "ahz", Topic: "t", Receiver: "r", Payload: []byte(`"` + strings.Repeat("x", outbox.MaxPayload) + `"`)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := outbox.Add(ctx, db, ev)
			require.ErrorIs(t, err, outbox.ErrInvalidEvent)
		})
	}
}

func runDispatcher(t *testing.T, d *outbox.Dispatcher) {
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		require.NoError(t, d.Run(ctx))
	}()
	t.Cleanup(func() { stop(); <-done })
}

func fastRetries(opts ...outbox.Option) []outbox.Option {
	return append([]outbox.Option{
		outbox.WithPollInterval(10 * time.Millisecond),
		outbox.WithBackoff(outbox.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}),
		outbox.WithTimeout(2 * time.Second),
	}, opts...)
}

func TestRetriesThenDeadLetterThenRequeue(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t, time.Minute)
		recv := newReceiver(t)
		var broken sync.Map // delivery id → true while the receiver refuses it
		recv.answer = func(id string, _ int) int {
			if _, ok := broken.Load(id); ok {
				return http.StatusInternalServerError
			}
			return 0
		}
		gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "endpoint retired", http.StatusGone)
		}))
		t.Cleanup(gone.Close)
		endpoints := recv.endpoint()
		endpoints["retired"] = outbox.Endpoint{URL: gone.URL, Secret: secret}

		failing, err := add(ctx, db, event(`{"case":"C-1"}`))
		require.NoError(t, err)
		broken.Store(failing, true)
		retired := event(`{"case":"C-2"}`)
		retired.Receiver = "retired"
		retiredID, err := add(ctx, db, retired)
		require.NoError(t, err)
		unknown := event(`{"case":"C-3"}`)
		unknown.Receiver = "nobody"
		unknownID, err := add(ctx, db, unknown)
		require.NoError(t, err)

		d := outbox.NewDispatcher(db, &outbox.Webhooks{Endpoints: endpoints}, fastRetries(outbox.WithMaxAttempts(3))...)
		runDispatcher(t, d)

		require.Eventually(t, func() bool {
			dead, err := outbox.ListDead(ctx, db, "", 10)
			require.NoError(t, err)
			return len(dead) == 3
		}, 30*time.Second, 10*time.Millisecond)

		st, err := outbox.Get(ctx, db, failing)
		require.NoError(t, err)
		require.Equal(t, outbox.Dead, st.State)
		require.Equal(t, 3, st.Attempts)
		require.Equal(t, "HTTP 500: try later", st.LastError)
		got := recv.seen()
		require.Len(t, got.tries[failing], 3, "three tries, all with the same delivery id")

		st, err = outbox.Get(ctx, db, retiredID)
		require.NoError(t, err)
		require.Equal(t, 1, st.Attempts, "410 Gone is not retried")
		require.Contains(t, st.LastError, "HTTP 410")

		st, err = outbox.Get(ctx, db, unknownID)
		require.NoError(t, err)
		require.Equal(t, 3, st.Attempts)
		require.Contains(t, st.LastError, "no endpoint")

		dead, err := outbox.ListDead(ctx, db, "court", 10)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		require.Equal(t, failing, dead[0].ID)

		// The receiver is fixed; an operator requeues the dead letter.
		broken.Delete(failing)
		require.NoError(t, outbox.Requeue(ctx, db, failing))
		d.Wake()
		require.Eventually(t, func() bool {
			st, err := outbox.Get(ctx, db, failing)
			require.NoError(t, err)
			return st.State == outbox.Delivered
		}, 30*time.Second, 10*time.Millisecond)
		got = recv.seen()
		require.Len(t, got.tries[failing], 4)
		require.Equal(t, 1, got.accepted[failing])
		require.ErrorIs(t, outbox.Requeue(ctx, db, failing), outbox.ErrNotDead)
		require.Zero(t, recv.badSigs)
	})
}

// TestLateAckIsResentWithTheSameID shows the window the receiver closes: a receiver that
// answers after the send timeout did get the event, but the dispatcher cannot know, so
// it sends it again with the same delivery id.
func TestLateAckIsResentWithTheSameID(t *testing.T) {
	db := openDB(t, testenv.SQLite(t))
	ctx := testCtx(t, time.Minute)
	var (
		mu        sync.Mutex
		processed = map[string]int{} // what a de-duplicating receiver would store
		tries     []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := outbox.VerifyRequest(r, time.Minute, secret)
		require.NoError(t, err)
		mu.Lock()
		tries = append(tries, got.ID)
		first := len(tries) == 1
		processed[got.ID]++
		mu.Unlock()
		if first {
			<-r.Context().Done() // too slow: the sender gives up first
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	id, err := add(ctx, db, event(`{"case":"C-9"}`))
	require.NoError(t, err)
	d := outbox.NewDispatcher(db, &outbox.Webhooks{Endpoints: outbox.StaticEndpoints{"court": {URL: srv.URL, Secret: secret}}},
		fastRetries(outbox.WithTimeout(200*time.Millisecond))...)
	runDispatcher(t, d)
	require.Eventually(t, func() bool {
		st, err := outbox.Get(ctx, db, id)
		require.NoError(t, err)
		return st.State == outbox.Delivered
	}, 30*time.Second, 10*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{id, id}, tries)
	require.Len(t, processed, 1, "de-duplicating on the delivery id, the receiver acts once")
}

func TestPurgeRemovesOnlyOldDeliveredEvents(t *testing.T) {
	db := openDB(t, testenv.SQLite(t))
	ctx := testCtx(t, time.Minute)
	recv := newReceiver(t)
	delivered, err := add(ctx, db, event(`{"n":1}`))
	require.NoError(t, err)
	runDispatcher(t, outbox.NewDispatcher(db, &outbox.Webhooks{Endpoints: recv.endpoint()}, fastRetries()...))
	require.Eventually(t, func() bool {
		st, err := outbox.Get(ctx, db, delivered)
		require.NoError(t, err)
		return st.State == outbox.Delivered
	}, 30*time.Second, 10*time.Millisecond)
	pendingEv := event(`{"n":2}`)
	pendingEv.Receiver = "later" // no endpoint: stays pending while retried
	pending, err := add(ctx, db, pendingEv)
	require.NoError(t, err)

	n, err := outbox.Purge(ctx, db, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "delivered only just now")
	n, err = outbox.Purge(ctx, db, time.Now().Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	_, err = outbox.Get(ctx, db, delivered)
	require.ErrorIs(t, err, sqlstore.ErrNotFound)
	_, err = outbox.Get(ctx, db, pending)
	require.NoError(t, err)
}
