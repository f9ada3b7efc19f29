package sqlstore

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func hasNote(t testing.TB, db *DB, id string) bool {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(ctxTimeout(t), `SELECT count(*) FROM notes WHERE id = $1`, id).Scan(&n))
	return n == 1
}

// A nested InTx is a savepoint: its failure undoes its own work only, and the outer
// transaction goes on, even after a failed statement (which aborts a whole PostgreSQL
// transaction without one).
func TestSavepoints(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, notesV1)
		require.NoError(t, insertNote(ctx, db, "taken", "taken title"))
		errBusiness := errors.New("business rule says no")

		t.Run("inner error rolls back the inner work only", func(t *testing.T) {
			var ran []string
			require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "s1", "outer before"))
				err := db.InTx(ctx, func(ctx context.Context) error {
					require.NoError(t, insertNote(ctx, db, "s2", "inner"))
					db.AfterCommit(ctx, func() { ran = append(ran, "rolled-back savepoint") })
					return insertNote(ctx, db, "s3", "taken title") // a failed statement
				})
				require.ErrorIs(t, err, ErrDuplicate)
				// The transaction is usable: read and write on.
				var n int
				require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM notes WHERE id IN ('s1', 's2')`).Scan(&n))
				require.Equal(t, 1, n)
				require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
					db.AfterCommit(ctx, func() { ran = append(ran, "released savepoint") })
					return insertNote(ctx, db, "s4", "second inner")
				}))
				return insertNote(ctx, db, "s5", "outer after")
			}))
			require.True(t, hasNote(t, db, "s1"))
			require.False(t, hasNote(t, db, "s2"))
			require.True(t, hasNote(t, db, "s4"))
			require.True(t, hasNote(t, db, "s5"))
			require.Equal(t, []string{"released savepoint"}, ran, "hooks of a rolled-back savepoint never run")
		})

		t.Run("outer error rolls back released inner work", func(t *testing.T) {
			ran := false
			err := db.InTx(ctx, func(ctx context.Context) error {
				require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
					db.AfterCommit(ctx, func() { ran = true })
					return insertNote(ctx, db, "o1", "inner of failed outer")
				}))
				return errBusiness
			})
			require.ErrorIs(t, err, errBusiness)
			require.False(t, hasNote(t, db, "o1"))
			require.False(t, ran)
		})

		t.Run("savepoints nest", func(t *testing.T) {
			require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					require.NoError(t, insertNote(ctx, db, "n1", "depth one"))
					err := db.InTx(ctx, func(ctx context.Context) error {
						require.NoError(t, insertNote(ctx, db, "n2", "depth two"))
						return db.InTx(ctx, func(ctx context.Context) error {
							require.NoError(t, insertNote(ctx, db, "n3", "depth three"))
							return errBusiness
						})
					})
					require.ErrorIs(t, err, errBusiness)
					return db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "n4", "depth two again") })
				})
			}))
			require.True(t, hasNote(t, db, "n1"))
			require.False(t, hasNote(t, db, "n2"))
			require.False(t, hasNote(t, db, "n3"))
			require.True(t, hasNote(t, db, "n4"))
		})

		t.Run("inner panic unwinds the whole transaction", func(t *testing.T) {
			require.Panics(t, func() {
				_ = db.InTx(ctx, func(ctx context.Context) error {
					require.NoError(t, insertNote(ctx, db, "p1", "outer of a panic"))
					return db.InTx(ctx, func(ctx context.Context) error { panic("bug") })
				})
			})
			require.False(t, hasNote(t, db, "p1"))
			require.NoError(t, insertNote(ctx, db, "p2", "writer free again"))
		})
	})
}

// InLazyTx holds no transaction until fn's first InTx; then first runs, and everything
// after commits together.
func TestInLazyTx(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, notesV1)
		require.NoError(t, insertNote(ctx, db, "taken", "taken title"))
		errRefused := errors.New("first refuses")

		t.Run("opens at the first InTx and commits at the end", func(t *testing.T) {
			firstRan := 0
			first := func(ctx context.Context) error {
				firstRan++
				require.True(t, db.HasTx(ctx))
				return insertNote(ctx, db, "l0", "first")
			}
			var ran []string
			require.NoError(t, db.InLazyTx(ctx, first, func(ctx context.Context) error {
				require.False(t, HasAnyTx(ctx))
				require.False(t, db.HasTx(ctx))
				// Nothing holds the writer: another writer goes through at once.
				require.NoError(t, insertNote(context.Background(), db, "l-free", "written beside"))
				db.AfterCommit(ctx, func() { ran = append(ran, "before opening") })
				require.Equal(t, []string{"before opening"}, ran, "no transaction yet: runs at once")

				require.NoError(t, db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "l1", "one") }))
				require.True(t, HasAnyTx(ctx), "open from the first InTx on")
				db.AfterCommit(ctx, func() { ran = append(ran, "committed") })
				// A failed item does not spoil the rest.
				require.ErrorIs(t, db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "l2", "taken title") }), ErrDuplicate)
				require.NoError(t, db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "l3", "three") }))
				require.False(t, hasNote(t, db, "l1"), "not committed yet")
				return nil
			}))
			require.Equal(t, 1, firstRan)
			require.Equal(t, []string{"before opening", "committed"}, ran)
			for id, want := range map[string]bool{"l0": true, "l1": true, "l2": false, "l3": true, "l-free": true} {
				require.Equal(t, want, hasNote(t, db, id), id)
			}
		})

		t.Run("first refuses: every InTx and InLazyTx report it", func(t *testing.T) {
			err := db.InLazyTx(ctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "r0", "first before refusing"))
				return errRefused
			}, func(ctx context.Context) error {
				require.ErrorIs(t, db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "r1", "never") }), errRefused)
				require.ErrorIs(t, db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "r2", "never") }), errRefused)
				return nil // a batch swallowing per-item errors
			})
			require.ErrorIs(t, err, errRefused)
			for _, id := range []string{"r0", "r1", "r2"} {
				require.False(t, hasNote(t, db, id), id)
			}
		})

		t.Run("fn error rolls back", func(t *testing.T) {
			errFn := errors.New("fn fails")
			err := db.InLazyTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "f0", "first of failed") },
				func(ctx context.Context) error {
					require.NoError(t, db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "f1", "of failed") }))
					return errFn
				})
			require.ErrorIs(t, err, errFn)
			require.False(t, hasNote(t, db, "f0"))
			require.False(t, hasNote(t, db, "f1"))
		})

		t.Run("without InTx nothing opens", func(t *testing.T) {
			require.NoError(t, db.InLazyTx(ctx, func(context.Context) error {
				t.Fatal("first must not run")
				return nil
			}, func(context.Context) error { return nil }))
		})

		t.Run("inside a transaction it is a savepoint", func(t *testing.T) {
			require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
				err := db.InLazyTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "i0", "first inside") },
					func(ctx context.Context) error { return errRefused })
				require.ErrorIs(t, err, errRefused)
				return insertNote(ctx, db, "i1", "outer goes on")
			}))
			require.False(t, hasNote(t, db, "i0"))
			require.True(t, hasNote(t, db, "i1"))
		})
	})
}
