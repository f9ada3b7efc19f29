package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func openDB(t *testing.T, dsn string) *sqlstore.DB {
	t.Helper()
	ctx := testCtx(t)
	db, err := sqlstore.Open(ctx, dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	require.NoError(t, audit.Migrate(ctx, db))
	require.NoError(t, audit.Migrate(ctx, db), "migrating twice is a no-op")
	return db
}

// record writes e in a transaction of its own, as a change does.
func record(ctx context.Context, db *sqlstore.DB, e audit.Entry) (rec *commonv1.AuditRecord, err error) {
	err = db.InTx(ctx, func(ctx context.Context) error {
		rec, err = audit.Record(ctx, db, e)
		return err
	})
	return rec, err
}

// Record refuses to write outside a transaction: a record apart from its change could
// outlive a rolled-back change.
func TestRecordNeedsATransaction(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t)
		_, err := audit.Record(ctx, db, audit.Entry{Tenant: "ahz", Actor: "clerk-1", Action: "ticket.create", Resource: "tenants/ahz/tickets/T-1"})
		require.ErrorIs(t, err, audit.ErrNoTransaction)
		require.Equal(t, errs.Internal, errs.From(err).Kind)
		var n int
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM audit_pending`).Scan(&n))
		require.Zero(t, n)
	})
}

type ticket struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Holder string `json:"holder"`
}

// fill records n changes of one ticket in tenant, each in its own transaction.
func fill(t *testing.T, db *sqlstore.DB, tenant tenancy.ID, n int) {
	t.Helper()
	ctx := testCtx(t)
	for i := 1; i <= n; i++ {
		require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
			_, err := audit.Record(ctx, db, audit.Entry{
				Tenant:   tenant,
				Actor:    "clerk-1",
				Action:   "ticket.update",
				Resource: "tenants/" + string(tenant) + "/tickets/T-1",
				Before:   ticket{ID: "T-1", State: fmt.Sprint(i - 1)},
				After:    ticket{ID: "T-1", State: fmt.Sprint(i)},
			})
			return err
		}))
	}
}

func TestRecordFillsTheRecordAndChainsIt(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t)
		traceID := trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
		ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: trace.SpanID{1}}))
		ctx = authn.NewContext(ctx, authn.Principal{Subject: "clerk-7", Tenant: "ahz.s01.c07", Kind: authn.Staff})
		at := time.Date(2026, 11, 25, 9, 30, 0, 123456789, time.UTC)

		after := ticket{ID: "T-9", State: "accepted", Holder: "clerk-7"}
		var first, second *commonv1.AuditRecord
		require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
			var err error
			first, err = audit.Record(ctx, db, audit.Entry{Tenant: "ahz.s01.c07", Action: "ticket.create",
				Resource: "tenants/ahz.s01.c07/tickets/T-9", After: after, Time: at})
			if err != nil {
				return err
			}
			second, err = audit.Record(ctx, db, audit.Entry{Tenant: "ahz.s01.c07", Actor: "system:sla-sweeper",
				Action: "ticket.escalate", Resource: "tenants/ahz.s01.c07/tickets/T-9", Before: after, After: []byte(`{"raw":1}`)})
			return err
		}))

		wantAfter, err := audit.Digest(after)
		require.NoError(t, err)
		require.Equal(t, "clerk-7", first.GetActor(), "actor defaults to the principal in ctx")
		require.Equal(t, traceID.String(), first.GetTraceId(), "trace id defaults to the span in ctx")
		require.Equal(t, at.Truncate(time.Microsecond), first.GetTime().AsTime())
		require.Empty(t, first.GetBeforeDigest(), "nothing before a create")
		require.Equal(t, wantAfter, first.GetAfterDigest())
		require.Zero(t, first.GetSequence(), "Record returns the record before it is chained")
		require.Equal(t, "system:sla-sweeper", second.GetActor())
		require.Equal(t, wantAfter, second.GetBeforeDigest())

		// List chains what waits, then shows it newest first.
		got, next, err := audit.List(ctx, db, "ahz.s01.c07", audit.ListOptions{})
		require.NoError(t, err)
		require.Empty(t, next)
		require.Len(t, got, 2)
		chained1, chained2 := got[1], got[0]
		require.Equal(t, int64(1), chained1.GetSequence())
		require.Empty(t, chained1.GetPrevHash())
		require.Equal(t, audit.Hash(chained1), chained1.GetHash())
		require.Equal(t, int64(2), chained2.GetSequence())
		require.Equal(t, chained1.GetHash(), chained2.GetPrevHash())
		require.Equal(t, audit.Hash(chained2), chained2.GetHash())
		for i, want := range []*commonv1.AuditRecord{first, second} {
			c := proto.CloneOf(want)
			c.Sequence, c.PrevHash, c.Hash = got[1-i].GetSequence(), got[1-i].GetPrevHash(), got[1-i].GetHash()
			requireSameRecord(t, c, got[1-i])
		}

		rep, err := audit.Verify(ctx, db, "ahz.s01.c07")
		require.NoError(t, err)
		require.True(t, rep.OK(), "%v", rep.Problems)
		require.Equal(t, int64(2), rep.Records)
		require.Equal(t, chained2.GetHash(), rep.HeadHash)
	})
}

// Writers of several tenants in two processes (two handles on one database), each
// sealing in the background, and a reader sealing too: every record lands exactly once,
// in one unforked chain per tenant.
func TestConcurrentWritersAndSealers(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		a := openDB(t, dsn)
		b := openDB(t, dsn)
		ctx := testCtx(t)
		tenants := []tenancy.ID{"ahz", "ahz.s01", "ahz.s01.c01"}
		const writers, each = 6, 25
		sealers := []*audit.Sealer{audit.NewSealer(a, nil), audit.NewSealer(b, nil)}
		sealCtx, stopSealing := context.WithCancel(ctx)
		var running sync.WaitGroup
		for _, s := range sealers {
			running.Go(func() { _ = s.Run(sealCtx) })
		}
		var wg sync.WaitGroup
		errc := make(chan error, writers+1)
		for w := range writers {
			sealer := sealers[w%2]
			wg.Go(func() {
				for i := range each {
					tenant := tenants[(w+i)%len(tenants)]
					err := sealer.DB().InTx(ctx, func(ctx context.Context) error {
						_, err := sealer.Record(ctx, audit.Entry{Tenant: tenant, Actor: fmt.Sprintf("clerk-%d", w),
							Action: "ticket.update", Resource: fmt.Sprintf("tenants/%s/tickets/T-%d-%d", tenant, w, i)})
						return err
					})
					if err != nil {
						errc <- err
						return
					}
				}
			})
		}
		wg.Go(func() {
			for range 10 {
				if _, err := audit.Seal(ctx, a); err != nil {
					errc <- err
					return
				}
			}
		})
		wg.Wait()
		stopSealing()
		running.Wait()
		close(errc)
		for err := range errc {
			require.NoError(t, err)
		}
		total := int64(0)
		for _, tenant := range tenants {
			rep, err := audit.Verify(ctx, b, tenant)
			require.NoError(t, err)
			require.True(t, rep.OK(), "%s: %v", tenant, rep.Problems)
			total += rep.Records
		}
		require.Equal(t, int64(writers*each), total)
	})
}

// A record committed by a process that stops before chaining it waits in the database;
// the next process's read chains it.
func TestWaitingRecordsSurviveARestart(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := testCtx(t)
		first, err := sqlstore.Open(ctx, dsn, nil)
		require.NoError(t, err)
		require.NoError(t, audit.Migrate(ctx, first))
		for i := range 20 {
			_, err := record(ctx, first, audit.Entry{Tenant: "ahz", Actor: "clerk-1", Action: "ticket.create",
				Resource: fmt.Sprintf("tenants/ahz/tickets/T-%d", i)})
			require.NoError(t, err)
		}
		require.NoError(t, first.Close()) // no sealer ran: the records wait

		again := openDB(t, dsn)
		recs, _, err := audit.List(ctx, again, "ahz", audit.ListOptions{PageSize: 100})
		require.NoError(t, err)
		require.Len(t, recs, 20)
		rep, err := audit.Verify(ctx, again, "ahz")
		require.NoError(t, err)
		require.True(t, rep.OK(), "%v", rep.Problems)
	})
}

func requireSameRecord(t *testing.T, want, got *commonv1.AuditRecord) {
	t.Helper()
	require.Equal(t, want.String(), got.String())
}

func TestRecordRollsBackWithTheChange(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t)
		fill(t, db, "ahz", 2)
		boom := errors.New("the change failed")
		err := db.InTx(ctx, func(ctx context.Context) error {
			if _, err := audit.Record(ctx, db, audit.Entry{Tenant: "ahz", Actor: "clerk-1", Action: "ticket.close", Resource: "tenants/ahz/tickets/T-1"}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		fill(t, db, "ahz", 1)

		recs, _, err := audit.List(ctx, db, "ahz", audit.ListOptions{})
		require.NoError(t, err)
		require.Len(t, recs, 3)
		require.Equal(t, int64(3), recs[0].GetSequence(), "the rolled-back record left no gap")
		rep, err := audit.Verify(ctx, db, "ahz")
		require.NoError(t, err)
		require.True(t, rep.OK(), "%v", rep.Problems)
	})
}

func TestRecordRefusesIncompleteEntries(t *testing.T) {
	db := openDB(t, testenv.SQLite(t))
	ctx := testCtx(t)
	good := audit.Entry{Tenant: "ahz", Actor: "a", Action: "x.y", Resource: "tenants/ahz/x/1"}
	for name, mutate := range map[string]func(e *audit.Entry){
		"bad tenant":  func(e *audit.Entry) { e.Tenant = "ahz_s01" },
		"no actor":    func(e *audit.Entry) { e.Actor = "" },
		"no action":   func(e *audit.Entry) { e.Action = "" },
		"no resource": func(e *audit.Entry) { e.Resource = "" },
		"bad after":   func(e *audit.Entry) { e.After = make(chan int) },
	} {
		t.Run(name, func(t *testing.T) {
			e := good
			mutate(&e)
			_, err := record(ctx, db, e)
			require.Error(t, err)
		})
	}
	rep, err := audit.Verify(ctx, db, "ahz")
	require.NoError(t, err)
	require.Zero(t, rep.Records, "nothing was written")
}

// dropGuard removes the triggers that keep audit_records append-only, as only a database
// administrator can.
func dropGuard(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	drops := []string{`DROP TRIGGER IF EXISTS audit_records_no_update`, `DROP TRIGGER IF EXISTS audit_records_no_delete`}
	if db.Dialect() == sqlstore.Postgres {
		drops = []string{`DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records`}
	}
	for _, q := range drops {
		_, err := db.Exec(testCtx(t), q)
		require.NoError(t, err)
	}
}

// TestRecordsAreAppendOnly: the database refuses to change or delete a record, whoever
// asks, and migrating again (a second replica starting) keeps the guard.
func TestRecordsAreAppendOnly(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t)
		fill(t, db, "ahz", 3)
		_, _, err := audit.List(ctx, db, "ahz", audit.ListOptions{}) // chains them
		require.NoError(t, err)
		require.NoError(t, audit.Migrate(ctx, db))
		tamper := []string{
			`UPDATE audit_records SET actor = 'someone-else' WHERE sequence = 2`,
			`DELETE FROM audit_records WHERE sequence = 3`,
			`DELETE FROM audit_records`,
		}
		if db.Dialect() == sqlstore.Postgres {
			tamper = append(tamper, `TRUNCATE audit_records`)
		}
		for _, q := range tamper {
			_, err := db.Exec(ctx, q)
			require.ErrorContains(t, err, "append-only", q)
		}
		rep, err := audit.Verify(ctx, db, "ahz")
		require.NoError(t, err)
		require.True(t, rep.OK(), "%v", rep.Problems)
		require.Equal(t, int64(3), rep.Records)
	})
}

// TestVerifyDetectsTampering changes the log behind Gaoxing's back, by raw SQL, as a
// database administrator could, and expects Verify to point at the first sequence hurt.
func TestVerifyDetectsTampering(t *testing.T) {
	const tenant = tenancy.ID("ahz.s01")
	cases := []struct {
		name   string
		tamper func(ctx context.Context, db *sqlstore.DB) error
		want   []audit.Problem // Sequence and Kind; Detail checked for a word when set
	}{
		{
			name: "modified in place",
			tamper: func(ctx context.Context, db *sqlstore.DB) error {
				_, err := db.Exec(ctx, `UPDATE audit_records SET actor = 'someone-else' WHERE tenant = $1 AND sequence = 3`, string(tenant))
				return err
			},
			want: []audit.Problem{{Sequence: 3, Kind: audit.Modified}},
		},
		{
			name: "modified and rehashed",
			tamper: func(ctx context.Context, db *sqlstore.DB) error {
				recs, _, err := audit.List(ctx, db, tenant, audit.ListOptions{})
				if err != nil {
					return err
				}
				r := recs[len(recs)-3] // sequence 3
				r.Actor = "someone-else"
				_, err = db.Exec(ctx, `UPDATE audit_records SET actor = $1, hash = $2 WHERE tenant = $3 AND sequence = 3`,
					r.GetActor(), audit.Hash(r), string(tenant))
				return err
			},
			// Record 3 is self-consistent now, but record 4 still names the original.
			want: []audit.Problem{{Sequence: 4, Kind: audit.BrokenLink, Detail: "gone or was rewritten"}},
		},
		{
			name: "middle record deleted",
			tamper: func(ctx context.Context, db *sqlstore.DB) error {
				_, err := db.Exec(ctx, `DELETE FROM audit_records WHERE tenant = $1 AND sequence = 3`, string(tenant))
				return err
			},
			want: []audit.Problem{{Sequence: 3, Kind: audit.Missing}},
		},
		{
			name: "newest record deleted",
			tamper: func(ctx context.Context, db *sqlstore.DB) error {
				_, err := db.Exec(ctx, `DELETE FROM audit_records WHERE tenant = $1 AND sequence = 5`, string(tenant))
				return err
			},
			want: []audit.Problem{{Sequence: 5, Kind: audit.Missing, Detail: "newest"}},
		},
		{
			name: "newest record and head rolled back together",
			tamper: func(ctx context.Context, db *sqlstore.DB) error {
				if _, err := db.Exec(ctx, `DELETE FROM audit_records WHERE tenant = $1 AND sequence = 5`, string(tenant)); err != nil {
					return err
				}
				_, err := db.Exec(ctx, `UPDATE audit_heads SET sequence = 4 WHERE tenant = $1`, string(tenant))
				return err
			},
			want: []audit.Problem{{Sequence: 4, Kind: audit.HeadMismatch}},
		},
		{
			name: "two records swapped",
			tamper: func(ctx context.Context, db *sqlstore.DB) error {
				for _, q := range []string{
					`UPDATE audit_records SET sequence = -3 WHERE tenant = $1 AND sequence = 3`,
					`UPDATE audit_records SET sequence = 3 WHERE tenant = $1 AND sequence = 2`,
					`UPDATE audit_records SET sequence = 2 WHERE tenant = $1 AND sequence = -3`,
				} {
					if _, err := db.Exec(ctx, q, string(tenant)); err != nil {
						return err
					}
				}
				return nil
			},
			want: []audit.Problem{
				{Sequence: 2, Kind: audit.Moved, Detail: "now at sequence 3"},
				{Sequence: 3, Kind: audit.Moved, Detail: "written as sequence 2"},
				{Sequence: 4, Kind: audit.BrokenLink, Detail: "now at sequence 2"},
			},
		},
	}
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				db := openDB(t, dsn)
				ctx := testCtx(t)
				dropGuard(t, db) // an administrator who can also drop the append-only triggers
				// Each case starts from a clean log: its own tables, emptied first.
				for _, q := range []string{`DELETE FROM audit_records`, `DELETE FROM audit_heads`} {
					_, err := db.Exec(ctx, q)
					require.NoError(t, err)
				}
				fill(t, db, tenant, 5)
				fill(t, db, "ahz.s02", 3)
				rep, err := audit.Verify(ctx, db, tenant)
				require.NoError(t, err)
				require.True(t, rep.OK(), "%v", rep.Problems)

				require.NoError(t, tc.tamper(ctx, db))

				rep, err = audit.Verify(ctx, db, tenant)
				require.NoError(t, err)
				require.False(t, rep.OK())
				require.Len(t, rep.Problems, len(tc.want), "%v", rep.Problems)
				for i, want := range tc.want {
					got := rep.Problems[i]
					require.Equal(t, want.Sequence, got.Sequence, "%v", got)
					require.Equal(t, want.Kind, got.Kind, "%v", got)
					require.Contains(t, got.Detail, want.Detail)
				}
				other, err := audit.Verify(ctx, db, "ahz.s02")
				require.NoError(t, err)
				require.True(t, other.OK(), "another tenant's chain is unaffected: %v", other.Problems)
			})
		}
	})
}

func TestConcurrentWritersKeepOneChain(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t)
		const writers, each = 8, 15
		var wg sync.WaitGroup
		errc := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errc <- db.InTx(ctx, func(ctx context.Context) error {
						// Some work in the transaction before the record, as a service does.
						if _, err := db.NextSeq(ctx, "tickets/ahz"); err != nil {
							return err
						}
						_, err := audit.Record(ctx, db, audit.Entry{Tenant: "ahz", Actor: fmt.Sprintf("clerk-%d", w),
							Action: "ticket.create", Resource: fmt.Sprintf("tenants/ahz/tickets/%d-%d", w, i)})
						return err
					})
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			require.NoError(t, err)
		}
		rep, err := audit.Verify(ctx, db, "ahz")
		require.NoError(t, err)
		require.True(t, rep.OK(), "%v", rep.Problems)
		require.Equal(t, int64(writers*each), rep.Records)
		require.Equal(t, int64(writers*each), rep.HeadSequence)
	})
}

func TestListPagesNewestFirst(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t)
		fill(t, db, "ahz", 7)
		require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
			_, err := audit.Record(ctx, db, audit.Entry{Tenant: "ahz", Actor: "clerk-2", Action: "ticket.create", Resource: "tenants/ahz/tickets/T-2"})
			return err
		}))

		var seqs []int64
		token := ""
		pages := 0
		for {
			recs, next, err := audit.List(ctx, db, "ahz", audit.ListOptions{PageSize: 3, PageToken: token})
			require.NoError(t, err)
			pages++
			for _, r := range recs {
				seqs = append(seqs, r.GetSequence())
			}
			if next == "" {
				break
			}
			token = next
		}
		require.Equal(t, 3, pages)
		require.Equal(t, []int64{8, 7, 6, 5, 4, 3, 2, 1}, seqs)

		one, next, err := audit.List(ctx, db, "ahz", audit.ListOptions{Resource: "tenants/ahz/tickets/T-2"})
		require.NoError(t, err)
		require.Empty(t, next)
		require.Len(t, one, 1)
		require.Equal(t, int64(8), one[0].GetSequence())

		_, _, err = audit.List(ctx, db, "ahz", audit.ListOptions{PageSize: 3, PageToken: token, Resource: "tenants/ahz/tickets/T-2"})
		require.Error(t, err, "a token from another query is refused")
		_, _, err = audit.List(ctx, db, "ahz", audit.ListOptions{PageSize: -1})
		require.Error(t, err)
	})
}

// TestHashEncodingIsFrozen pins the hash of one record: chains already written must
// verify after any release, so the encoding may never change silently. The expected value
// was computed independently from the encoding documented on Hash.
func TestHashEncodingIsFrozen(t *testing.T) {
	rec := &commonv1.AuditRecord{
		Tenant: "ahz.s01.c07", Sequence: 42, Actor: "clerk-7", Action: "ticket.claim",
		Resource: "tenants/ahz.s01.c07/tickets/T-20261125-000123", BeforeDigest: "aa", AfterDigest: "bb",
		TraceId: "0102030405060708090a0b0c0d0e0f10", PrevHash: "cc",
	}
	rec.Time = timestamppb.New(time.UnixMicro(1764032400123456))
	require.Equal(t, "40914fb3889f5df0bea4aa2802ed7764efed06e71067d3898ff69c43f235d88c", audit.Hash(rec))
	rec.Hash = "ignored"
	require.Equal(t, "40914fb3889f5df0bea4aa2802ed7764efed06e71067d3898ff69c43f235d88c", audit.Hash(rec), "the hash field itself is not covered")
}

func TestDigestForms(t *testing.T) {
	raw, err := audit.Digest([]byte(`{"id":"T-1"}`))
	require.NoError(t, err)
	fromStruct, err := audit.Digest(struct {
		ID string `json:"id"`
	}{"T-1"})
	require.NoError(t, err)
	fromMap, err := audit.Digest(map[string]string{"id": "T-1"})
	require.NoError(t, err)
	require.Equal(t, raw, fromStruct)
	require.Equal(t, raw, fromMap)
	sum := sha256.Sum256([]byte(`{"id":"T-1"}`))
	require.Equal(t, hex.EncodeToString(sum[:]), raw)
	none, err := audit.Digest(nil)
	require.NoError(t, err)
	require.Empty(t, none)
	p1, err := audit.Digest(&commonv1.PageToken{After: "x", QueryHash: 7})
	require.NoError(t, err)
	p2, err := audit.Digest(&commonv1.PageToken{QueryHash: 7, After: "x"})
	require.NoError(t, err)
	require.Equal(t, p1, p2)
	require.Len(t, p1, 64)
}

// A Sealer chains what is recorded through it soon after the commit, without a read, and
// what it had not chained when it is stopped before it returns; records rolled back never
// reach the chain.
func TestSealerChainsInTheBackground(t *testing.T) {
	db := openDB(t, testenv.SQLite(t))
	ctx := testCtx(t)
	s := audit.NewSealer(db, nil)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	chained := func() int64 {
		var n int64
		require.NoError(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_records`).Scan(&n))
		return n
	}
	record := func(i int) error {
		return db.InTx(ctx, func(ctx context.Context) error {
			_, err := s.Record(ctx, audit.Entry{Tenant: "ahz", Actor: "clerk-1", Action: "ticket.create",
				Resource: fmt.Sprintf("tenants/ahz/tickets/T-%d", i)})
			return err
		})
	}
	require.NoError(t, record(1))
	require.Eventually(t, func() bool { return chained() == 1 }, 10*time.Second, 5*time.Millisecond)
	require.Error(t, db.InTx(ctx, func(ctx context.Context) error {
		_, err := s.Record(ctx, audit.Entry{Tenant: "ahz", Actor: "clerk-1", Action: "ticket.create", Resource: "tenants/ahz/tickets/T-x"})
		require.NoError(t, err)
		return errors.New("rolled back")
	}))
	require.NoError(t, record(2))
	stop()
	require.NoError(t, <-done)
	require.Equal(t, int64(2), chained(), "stopping chains what was due")
	rep, err := audit.Verify(ctx, db, "ahz")
	require.NoError(t, err)
	require.True(t, rep.OK(), rep.Problems)
	require.Equal(t, int64(2), rep.Records)
}

// TestMigrateWithoutDDL: a service whose role may not change the schema finds the audit
// tables and their append-only guard made by the migration role, and refuses to start
// before they are.
func TestMigrateWithoutDDL(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		owner, err := sqlstore.Open(ctx, dsn, nil) // sqlstore's own tables, not audit's
		require.NoError(t, err)
		t.Cleanup(func() { _ = owner.Close() })
		ro, err := sqlstore.Open(ctx, dsn, nil, sqlstore.WithoutMigrating())
		require.NoError(t, err)
		t.Cleanup(func() { _ = ro.Close() })
		require.ErrorIs(t, audit.Migrate(ctx, ro), sqlstore.ErrSchemaBehind)

		require.NoError(t, audit.Migrate(ctx, owner))
		require.NoError(t, audit.Migrate(ctx, ro), "tables and guard in place")
	})
}
