package idempotency_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-kit/kit/endpoint"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/idempotency"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var effectsTable = fstest.MapFS{"00001_effects.sql": &fstest.MapFile{Data: []byte(`-- +goose Up
CREATE TABLE effects (id TEXT NOT NULL PRIMARY KEY, field TEXT NOT NULL);
`)}}

var errRefused = errs.New(errs.FailedPrecondition, "TEST_REFUSED", "测试拒绝")

// service is a tiny create method whose business write is one row in effects, made
// through the same db inside the context's transaction, as a real store's would be.
type service struct {
	db     *sqlstore.DB
	calls  atomic.Int64
	writes atomic.Int64 // calls whose write went through (not necessarily committed)
	fail   atomic.Bool
	// hold, when set, runs inside the first call whose write went through, before it
	// answers (its transaction is then open).
	hold func(ctx context.Context)
	// check, when set, runs before the write, as a service's checks and calls to other
	// services do.
	check func(ctx context.Context)
}

func (s *service) create(ctx context.Context, req any) (any, error) {
	r := req.(*commonv1.FieldViolation)
	n := s.calls.Add(1)
	id := fmt.Sprintf("effect-%d", n)
	if s.check != nil {
		s.check(ctx)
	}
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, `INSERT INTO effects (id, field) VALUES ($1, $2)`, id, r.GetField())
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.writes.Add(1) == 1 && s.hold != nil {
		s.hold(ctx)
	}
	if s.fail.Load() {
		return nil, errRefused
	}
	return &commonv1.FieldViolation{Field: r.GetField(), Code: "CREATED", Description: id}, nil
}

func method(name string) kit.Method {
	return kit.Method{Service: "test", Name: name, NewResponse: func() proto.Message { return &commonv1.FieldViolation{} }}
}

type fixture struct {
	ctx context.Context
	db  *sqlstore.DB
	svc *service
	ep  endpoint.Endpoint
}

func setup(t *testing.T, dsn string, opts ...idempotency.Option) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	db, err := sqlstore.Open(ctx, dsn, effectsTable)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	svc := &service{db: db}
	return &fixture{ctx: ctx, db: db, svc: svc, ep: idempotency.Middleware(db, opts...)(method("Create"), svc.create)}
}

func withKey(ctx context.Context, key string) context.Context {
	return metadata.NewIncomingContext(ctx, metadata.Pairs(idempotency.MetadataKey, key))
}

func (f *fixture) call(ctx context.Context, field string) (*commonv1.FieldViolation, error) {
	resp, err := f.ep(ctx, &commonv1.FieldViolation{Field: field, Code: "REQUIRED"})
	if err != nil {
		return nil, err
	}
	return resp.(*commonv1.FieldViolation), nil
}

func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	require.NoError(t, f.db.QueryRow(f.ctx, `SELECT count(*) FROM `+table).Scan(&n))
	return n
}

func TestRetryReturnsFirstResult(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := setup(t, dsn)
		ctx := withKey(f.ctx, "create-note-7f3a")
		first, err := f.call(ctx, "note.title")
		require.NoError(t, err)
		require.Equal(t, "effect-1", first.GetDescription())

		for range 3 {
			again, err := f.call(ctx, "note.title")
			require.NoError(t, err)
			require.True(t, proto.Equal(first, again), "retry answered %v, first was %v", again, first)
		}
		require.EqualValues(t, 1, f.svc.calls.Load())
		require.Equal(t, 1, f.count(t, "effects"))
		require.Equal(t, 1, f.count(t, "kit_idempotency"))
	})
}

func TestKeyReusedWithDifferentBody(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := setup(t, dsn)
		ctx := withKey(f.ctx, "k-1")
		first, err := f.call(ctx, "note.title")
		require.NoError(t, err)

		_, err = f.call(ctx, "note.body")
		require.ErrorIs(t, err, idempotency.ErrKeyReused)
		e := errs.From(err)
		require.Equal(t, "IDEMPOTENCY_KEY_REUSED", e.Code)
		require.Equal(t, errs.FailedPrecondition, e.Kind)
		require.Equal(t, 1, f.count(t, "effects"), "the refused call changed nothing")

		// The original request still gets the original answer.
		again, err := f.call(ctx, "note.title")
		require.NoError(t, err)
		require.True(t, proto.Equal(first, again))
	})
}

func TestFailedCallIsNotRecorded(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := setup(t, dsn)
		ctx := withKey(f.ctx, "k-fail")
		f.svc.fail.Store(true)
		_, err := f.call(ctx, "note.title")
		require.ErrorIs(t, err, errRefused)
		// The business write rolled back with the claim on the key.
		require.Equal(t, 0, f.count(t, "effects"))
		require.Equal(t, 0, f.count(t, "kit_idempotency"))

		f.svc.fail.Store(false)
		resp, err := f.call(ctx, "note.title")
		require.NoError(t, err)
		require.Equal(t, "effect-2", resp.GetDescription(), "the retry ran the method again")
		require.Equal(t, 1, f.count(t, "effects"))
	})
}

func TestConcurrentCallsWithOneKeyHaveOneEffect(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := setup(t, dsn)
		const callers = 8
		var entered atomic.Int64
		allIn := make(chan struct{})
		// The call that claims the key holds its transaction open until every caller has
		// started and, on PostgreSQL, the other seven wait on its claim, so they truly overlap.
		var holdErr error
		f.svc.hold = func(context.Context) {
			select {
			case <-allIn:
			case <-f.ctx.Done():
				holdErr = f.ctx.Err()
				return
			}
			if f.db.Dialect() != sqlstore.Postgres {
				return // SQLite: the others queue for the one writer connection
			}
			holdErr = waitFor(f.ctx, func() (bool, error) {
				var waiting int
				err := f.db.QueryRow(f.ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
				return waiting == callers-1, err
			})
		}

		ctx := withKey(f.ctx, "k-race")
		resps := make([]*commonv1.FieldViolation, callers)
		errsSeen := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				if entered.Add(1) == callers {
					close(allIn)
				}
				resps[i], errsSeen[i] = f.call(ctx, "note.title")
			})
		}
		wg.Wait()
		require.NoError(t, holdErr)
		for i := range callers {
			require.NoError(t, errsSeen[i])
			require.True(t, proto.Equal(resps[0], resps[i]), "caller %d got %v, caller 0 got %v", i, resps[i], resps[0])
		}
		// The others may have run the method's checks (no transaction holds the writer
		// then), but none of its writes: they stopped at the claim and answered from the
		// first call's record.
		require.EqualValues(t, 1, f.svc.writes.Load(), "the method wrote once")
		require.Equal(t, 1, f.count(t, "effects"))
		require.Equal(t, 1, f.count(t, "kit_idempotency"))
	})
}

func TestCallsWithoutKeyPassThrough(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := setup(t, dsn)
		for range 2 {
			_, err := f.call(f.ctx, "note.title")
			require.NoError(t, err)
		}
		require.Equal(t, 2, f.count(t, "effects"))
		require.Equal(t, 0, f.count(t, "kit_idempotency"))
	})
}

func TestInvalidKeysAreRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, testenv.SQLite(t))
	cases := map[string]metadata.MD{
		"empty":        metadata.Pairs(idempotency.MetadataKey, ""),
		"too long":     metadata.Pairs(idempotency.MetadataKey, strings.Repeat("k", idempotency.MaxKeyLen+1)),
		"not ascii":    metadata.Pairs(idempotency.MetadataKey, "办件-001"),
		"control char": metadata.Pairs(idempotency.MetadataKey, "a\tb"),
		"two keys":     metadata.Pairs(idempotency.MetadataKey, "a", idempotency.MetadataKey, "b"),
	}
	for name, md := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.call(metadata.NewIncomingContext(f.ctx, md), "note.title")
			require.ErrorIs(t, err, idempotency.ErrInvalidKey)
			e := errs.From(err)
			require.Equal(t, errs.InvalidArgument, e.Kind)
			require.Equal(t, "IDEMPOTENCY_KEY_INVALID", e.Code)
		})
	}
	require.Equal(t, 0, f.count(t, "effects"))

	// The longest valid key, every printable character.
	_, err := f.call(withKey(f.ctx, strings.Repeat("~", idempotency.MaxKeyLen)), "x")
	require.NoError(t, err)
	_, err = f.call(withKey(f.ctx, " !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"), "x")
	require.NoError(t, err)
}

type principalKey struct{}

func TestScopeKeepsCallersAndMethodsApart(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := setup(t, dsn, idempotency.WithScope(func(ctx context.Context) string {
			p, _ := ctx.Value(principalKey{}).(string)
			return p
		}))
		alice := withKey(context.WithValue(f.ctx, principalKey{}, "users/alice"), "same-key")
		bob := withKey(context.WithValue(f.ctx, principalKey{}, "users/bob"), "same-key")
		a, err := f.call(alice, "note.title")
		require.NoError(t, err)
		b, err := f.call(bob, "note.title")
		require.NoError(t, err)
		require.NotEqual(t, a.GetDescription(), b.GetDescription(), "bob must not get alice's answer")

		// Another method of the same service with the same key and caller is another scope.
		other := idempotency.Middleware(f.db)(method("CreateOther"), f.svc.create)
		_, err = other(alice, &commonv1.FieldViolation{Field: "note.title", Code: "REQUIRED"})
		require.NoError(t, err)
		require.Equal(t, 3, f.count(t, "effects"))
	})
}

func TestExpiredRecordsStopAnsweringAndArePurged(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		var now atomic.Int64
		start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		now.Store(start.UnixMicro())
		clock := func() time.Time { return time.UnixMicro(now.Load()) }
		f := setup(t, dsn, idempotency.WithTTL(time.Hour), idempotency.WithClock(clock))

		ctx := withKey(f.ctx, "k-ttl")
		first, err := f.call(ctx, "note.title")
		require.NoError(t, err)
		now.Store(start.Add(59 * time.Minute).UnixMicro())
		again, err := f.call(ctx, "note.title")
		require.NoError(t, err)
		require.True(t, proto.Equal(first, again), "still within the TTL")

		now.Store(start.Add(61 * time.Minute).UnixMicro())
		fresh, err := f.call(ctx, "note.body") // even another body: the old record is gone
		require.NoError(t, err)
		require.Equal(t, "effect-2", fresh.GetDescription())

		_, err = f.call(withKey(f.ctx, "k-other"), "x")
		require.NoError(t, err)
		require.Equal(t, 2, f.count(t, "kit_idempotency"))
		// Both expire at start+61m+1h; nothing is purged before that, both after.
		n, err := idempotency.Purge(f.ctx, f.db, start.Add(2*time.Hour))
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = idempotency.Purge(f.ctx, f.db, start.Add(3*time.Hour))
		require.NoError(t, err)
		require.EqualValues(t, 2, n)
		require.Equal(t, 0, f.count(t, "kit_idempotency"))
	})
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("condition not met: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// The call's transaction opens at the method's first write, not before: the method's
// checks and calls to other services hold no transaction (on SQLite, not the one writer).
// A call that fails its checks leaves no record.
func TestTransactionOpensAtTheFirstWrite(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := setup(t, dsn)
		var inTx []bool
		f.svc.check = func(ctx context.Context) {
			inTx = append(inTx, sqlstore.HasAnyTx(ctx))
			// Another writer is not kept waiting meanwhile.
			_, err := f.db.Exec(context.Background(), `INSERT INTO effects (id, field) VALUES ($1, $2)`,
				fmt.Sprintf("beside-%d", len(inTx)), "x")
			require.NoError(t, err)
		}
		first, err := f.call(withKey(f.ctx, "k-lazy"), "note.title")
		require.NoError(t, err)
		again, err := f.call(withKey(f.ctx, "k-lazy"), "note.title")
		require.NoError(t, err)
		require.True(t, proto.Equal(first, again))
		require.Equal(t, []bool{false}, inTx, "checked once, outside any transaction; the retry ran nothing")
		require.Equal(t, 2, f.count(t, "effects"))
		require.Equal(t, 1, f.count(t, "kit_idempotency"))
	})
}
