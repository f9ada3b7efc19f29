package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// notesV1 is a service's first migration, in the portable subset.
const notesV1 = `-- +goose Up
CREATE TABLE notes (
    id         TEXT   NOT NULL PRIMARY KEY,
    tenant     TEXT   NOT NULL,
    title      TEXT   NOT NULL,
    created_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX notes_tenant_title ON notes (tenant, title);

-- +goose Down
DROP TABLE notes;
`

const notesV2 = `-- +goose Up
ALTER TABLE notes ADD COLUMN body BYTEA;

-- +goose Down
ALTER TABLE notes DROP COLUMN body;
`

func migrations(files ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i, f := range files {
		fsys[fmt.Sprintf("%05d_step.sql", i+1)] = &fstest.MapFile{Data: []byte(f)}
	}
	return fsys
}

func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func open(t testing.TB, dsn string, files ...string) *DB {
	t.Helper()
	db, err := Open(ctxTimeout(t), dsn, migrations(files...))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

func insertNote(ctx context.Context, db *DB, id, title string) error {
	_, err := db.Exec(ctx, `INSERT INTO notes (id, tenant, title, created_us) VALUES ($1, $2, $3, $4)`,
		id, "ahz", title, time.Now().UnixMicro())
	return err
}

func countNotes(t testing.TB, db *DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(ctxTimeout(t), `SELECT count(*) FROM notes`).Scan(&n))
	return n
}

func versions(t testing.TB, db *DB, table string) []int64 {
	t.Helper()
	rows, err := db.Query(ctxTimeout(t), `SELECT version_id FROM `+table+` WHERE version_id > 0 ORDER BY version_id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		require.NoError(t, rows.Scan(&v))
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestMigrationsApplyOnBothEngines(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, notesV1)
		require.NoError(t, insertNote(ctx, db, "n1", "first"))
		// The service's history and sqlstore's own are kept apart.
		require.Equal(t, []int64{1}, versions(t, db, "goose_db_version"))
		require.Equal(t, []int64{1}, versions(t, db, "kit_db_version"))
		require.NoError(t, db.Close())

		// A new release brings a second migration: only it runs, and the data stays.
		db2 := open(t, dsn, notesV1, notesV2)
		require.Equal(t, []int64{1, 2}, versions(t, db2, "goose_db_version"))
		require.Equal(t, []int64{1}, versions(t, db2, "kit_db_version"))
		_, err := db2.Exec(ctx, `UPDATE notes SET body = $1 WHERE id = $2`, []byte{0, 1, 2}, "n1")
		require.NoError(t, err)
		require.Equal(t, 1, countNotes(t, db2))
	})
}

func TestBrokenMigrationFailsOpenAndLeavesNothing(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		broken := "-- +goose Up\nCREATE TABLE half (id TEXT PRIMARY KEY);\nCREATE TABLE oops (;\n"
		_, err := Open(ctxTimeout(t), dsn, migrations(notesV1, broken))
		require.Error(t, err)
		// The first migration committed; the broken one rolled back as a whole.
		db := open(t, dsn, notesV1)
		require.Equal(t, []int64{1}, versions(t, db, "goose_db_version"))
		_, err = db.Exec(ctxTimeout(t), `INSERT INTO half (id) VALUES ($1)`, "x")
		require.Error(t, err, "table of the failed migration must not exist")
	})
}

func TestInTx(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, notesV1)
		errBusiness := errors.New("business rule says no")

		t.Run("commit", func(t *testing.T) {
			err := db.InTx(ctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "c1", "commit one"))
				// Reads inside see the transaction's own writes.
				var title string
				require.NoError(t, db.QueryRow(ctx, `SELECT title FROM notes WHERE id = $1`, "c1").Scan(&title))
				require.Equal(t, "commit one", title)
				return nil
			})
			require.NoError(t, err)
			var title string
			require.NoError(t, db.QueryRow(ctx, `SELECT title FROM notes WHERE id = $1`, "c1").Scan(&title))
			require.Equal(t, "commit one", title)
		})

		t.Run("rollback on error", func(t *testing.T) {
			before := countNotes(t, db)
			err := db.InTx(ctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "r1", "rolled back"))
				return errBusiness
			})
			require.ErrorIs(t, err, errBusiness)
			require.Equal(t, before, countNotes(t, db))
		})

		t.Run("rollback on panic", func(t *testing.T) {
			before := countNotes(t, db)
			require.Panics(t, func() {
				_ = db.InTx(ctx, func(ctx context.Context) error {
					require.NoError(t, insertNote(ctx, db, "p1", "panicked"))
					panic("bug")
				})
			})
			require.Equal(t, before, countNotes(t, db))
			// The writer is free again (on SQLite it is the only one).
			require.NoError(t, insertNote(ctx, db, "p2", "after panic"))
		})

		t.Run("nested runs in the outer transaction", func(t *testing.T) {
			before := countNotes(t, db)
			err := db.InTx(ctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "o1", "outer"))
				require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
					// The inner one sees the outer's uncommitted row: same transaction.
					var n int
					require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM notes WHERE id = $1`, "o1").Scan(&n))
					require.Equal(t, 1, n)
					return insertNote(ctx, db, "i1", "inner")
				}))
				return errBusiness // the outer fails: the inner's write goes too
			})
			require.ErrorIs(t, err, errBusiness)
			require.Equal(t, before, countNotes(t, db))

			require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "o2", "outer ok"))
				return db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "i2", "inner ok") })
			}))
			require.Equal(t, before+2, countNotes(t, db))
		})

		t.Run("cancelled context rolls back", func(t *testing.T) {
			before := countNotes(t, db)
			cctx, cancel := context.WithCancel(ctx)
			err := db.InTx(cctx, func(ctx context.Context) error {
				require.NoError(t, insertNote(ctx, db, "x1", "cancelled"))
				cancel()
				return nil
			})
			require.Error(t, err)
			require.Equal(t, before, countNotes(t, db))
		})
	})
}

func TestErrorsMapAlikeOnBothEngines(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, notesV1)
		require.NoError(t, insertNote(ctx, db, "d1", "title"))

		cases := []struct {
			name string
			run  func(ctx context.Context) error
		}{
			{"primary key", func(ctx context.Context) error { return insertNote(ctx, db, "d1", "other title") }},
			{"unique index", func(ctx context.Context) error { return insertNote(ctx, db, "d2", "title") }},
			{"in a transaction", func(ctx context.Context) error {
				return db.InTx(ctx, func(ctx context.Context) error { return insertNote(ctx, db, "d1", "x") })
			}},
			{"insert returning", func(ctx context.Context) error {
				var id string
				return db.InTx(ctx, func(ctx context.Context) error {
					return db.QueryRow(ctx, `INSERT INTO notes (id, tenant, title, created_us) VALUES ($1, 'ahz', 'y', 0) RETURNING id`, "d1").Scan(&id)
				})
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.run(ctx)
				require.ErrorIs(t, err, ErrDuplicate)
				require.True(t, errs.IsKind(err, errs.AlreadyExists))
				require.Equal(t, "DUPLICATE", errs.From(fmt.Errorf("create note: %w", err)).Code)
			})
		}

		t.Run("no rows", func(t *testing.T) {
			var title string
			err := db.QueryRow(ctx, `SELECT title FROM notes WHERE id = $1`, "missing").Scan(&title)
			require.ErrorIs(t, err, ErrNotFound)
			require.ErrorIs(t, err, sql.ErrNoRows)
			require.True(t, errs.IsKind(err, errs.NotFound))
		})
	})
}

func TestNextSeqUnderConcurrency(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, `-- +goose Up
CREATE TABLE tickets (seq BIGINT NOT NULL PRIMARY KEY, worker BIGINT NOT NULL);
`)
		const workers, each = 8, 20
		errRetry := errors.New("roll this one back")
		var wg sync.WaitGroup
		errc := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					// Every third number is first taken in a transaction that rolls back:
					// it must be handed out again, leaving no gap.
					for attempt := 0; ; attempt++ {
						err := db.InTx(ctx, func(ctx context.Context) error {
							v, err := db.NextSeq(ctx, "tickets/ahz.s01/20261125")
							if err != nil {
								return err
							}
							if _, err := db.Exec(ctx, `INSERT INTO tickets (seq, worker) VALUES ($1, $2)`, v, w); err != nil {
								return err
							}
							if i%3 == 0 && attempt == 0 {
								return errRetry
							}
							return nil
						})
						if errors.Is(err, errRetry) {
							continue
						}
						if err != nil {
							errc <- err
							return
						}
						break
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			require.NoError(t, err)
		}

		rows, err := db.Query(ctx, `SELECT seq, worker FROM tickets ORDER BY seq`)
		require.NoError(t, err)
		defer rows.Close()
		var got []int64
		for rows.Next() {
			var v, w int64
			require.NoError(t, rows.Scan(&v, &w))
			got = append(got, v)
			require.Less(t, w, int64(workers))
		}
		require.NoError(t, rows.Err())
		require.Len(t, got, workers*each, "every committed transaction kept its number")
		// got is sorted by seq and the primary key forbids duplicates: numbers are unique.
		if db.Dialect() == SQLite {
			want := make([]int64, workers*each)
			for i := range want {
				want[i] = int64(i + 1)
			}
			require.Equal(t, want, got, "SQLite: numbers 1..N, a rolled-back one handed out again")
		} else {
			// PostgreSQL reserves blocks outside the transaction: rolled-back numbers are
			// skipped, never reused.
			require.Less(t, got[len(got)-1], int64(workers*each*2), "gaps only from the rolled-back third")
		}

		// Outside a transaction it commits at once; other names count on their own.
		v, err := db.NextSeq(ctx, "tickets/ahz.s02/20261125")
		require.NoError(t, err)
		require.EqualValues(t, 1, v)
		v, err = db.NextSeq(ctx, "tickets/ahz.s01/20261125")
		require.NoError(t, err)
		require.Greater(t, v, got[len(got)-1], "later numbers are larger")

		// Another handle (a restarted process, a second replica) never hands out a number
		// again: on PostgreSQL it starts after every block already reserved.
		other, err := Open(ctx, dsn, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = other.Close() })
		w, err := other.NextSeq(ctx, "tickets/ahz.s01/20261125")
		require.NoError(t, err)
		require.Greater(t, w, v)

		_, err = db.NextSeq(ctx, "")
		require.Error(t, err)
	})
}

func TestAfterCommit(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db := open(t, dsn, notesV1)
		var ran []string
		errBoom := errors.New("boom")
		err := db.InTx(ctx, func(ctx context.Context) error {
			db.AfterCommit(ctx, func() { ran = append(ran, "rolled back") })
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		require.Empty(t, ran, "nothing runs after a rollback")

		require.NoError(t, db.InTx(ctx, func(ctx context.Context) error {
			require.NoError(t, insertNote(ctx, db, "k1", "committed"))
			db.AfterCommit(ctx, func() {
				// The change is visible to others by the time fn runs.
				var title string
				require.NoError(t, db.QueryRow(context.Background(), `SELECT title FROM notes WHERE id = $1`, "k1").Scan(&title))
				ran = append(ran, title)
			})
			return db.InTx(ctx, func(ctx context.Context) error { // a savepoint: runs after the outer commit
				db.AfterCommit(ctx, func() { ran = append(ran, "joined") })
				require.Len(t, ran, 0)
				return nil
			})
		}))
		require.Equal(t, []string{"committed", "joined"}, ran)

		db.AfterCommit(ctx, func() { ran = append(ran, "no transaction") })
		require.Equal(t, "no transaction", ran[len(ran)-1], "outside a transaction it runs at once")
	})
}

func TestReopenKeepsData(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		db, err := Open(ctx, dsn, migrations(notesV1))
		require.NoError(t, err)
		require.NoError(t, insertNote(ctx, db, "k1", "kept"))
		first, err := db.NextSeq(ctx, "keep")
		require.NoError(t, err)
		require.NoError(t, db.Close())

		db = open(t, dsn, notesV1)
		var title string
		require.NoError(t, db.QueryRow(ctx, `SELECT title FROM notes WHERE id = $1`, "k1").Scan(&title))
		require.Equal(t, "kept", title)
		v, err := db.NextSeq(ctx, "keep")
		require.NoError(t, err)
		require.Greater(t, v, first, "the sequence goes on after a restart")
	})
}

func TestPingAndDialect(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := open(t, dsn)
		require.NoError(t, db.Ping(ctxTimeout(t)))
		want := SQLite
		if db.writer == db.reader {
			want = Postgres
		}
		require.Equal(t, want, db.Dialect())
	})
}

func TestSQLiteHasOneWriterAndReadOnlyReaders(t *testing.T) {
	ctx := ctxTimeout(t)
	db := open(t, testenv.SQLite(t), notesV1)
	require.Equal(t, 1, db.writer.Stats().MaxOpenConnections)
	require.NotSame(t, db.writer, db.reader)

	pragma := func(pool *sql.DB, name string) string {
		var v string
		require.NoError(t, pool.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v))
		return v
	}
	for _, pool := range []*sql.DB{db.writer, db.reader} {
		require.Equal(t, "wal", pragma(pool, "journal_mode"))
		require.Equal(t, "1", pragma(pool, "foreign_keys"))
		require.Equal(t, "1", pragma(pool, "synchronous")) // NORMAL
		require.Equal(t, "5000", pragma(pool, "busy_timeout"))
	}
	require.Equal(t, "1", pragma(db.reader, "query_only"))

	// A write sent to the read pool fails loudly instead of becoming a second writer.
	rows, err := db.Query(ctx, `INSERT INTO notes (id, tenant, title, created_us) VALUES ('w', 'ahz', 'w', 0) RETURNING id`)
	if err == nil {
		rows.Next()
		err = rows.Err()
		rows.Close()
	}
	require.ErrorContains(t, err, "inside InTx")

	// Readers run while the writer holds an open transaction (WAL), seeing the last commit.
	require.NoError(t, insertNote(ctx, db, "a", "committed"))
	require.NoError(t, db.InTx(ctx, func(txCtx context.Context) error {
		require.NoError(t, insertNote(txCtx, db, "b", "pending"))
		var n int
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&n)) // outside the tx
		require.Equal(t, 1, n)
		return nil
	}))
	require.Equal(t, 2, countNotes(t, db))
}

func TestOpenRefusesBadDSNs(t *testing.T) {
	ctx := ctxTimeout(t)
	for _, dsn := range []string{"", "mysql://x", "sqlite:", "sqlite::memory:", "sqlite:file:x.db?mode=memory", "sqlite:a.db?_pragma=x"} {
		t.Run(dsn, func(t *testing.T) {
			_, err := Open(ctx, dsn, nil)
			require.ErrorIs(t, err, ErrBadDSN)
		})
	}
	require.Equal(t, "postgres://u:xxxxx@h/db", redact("postgres://u:secret@h/db"))
}

func TestSequencesAreNotMixedUpWithServiceTables(t *testing.T) {
	// A service whose own first migration is version 1 too: both histories apply.
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := open(t, dsn, notesV1)
		got := slices.Concat(versions(t, db, "kit_db_version"), versions(t, db, "goose_db_version"))
		require.Equal(t, []int64{1, 1}, got)
	})
}

func TestOpenMakesTheSQLiteDirectory(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "data", "matters", "matters.db")
	db := open(t, dsn, notesV1)
	require.NoError(t, insertNote(ctxTimeout(t), db, "m1", "made"))
}

func TestClosedDB(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db, err := Open(ctxTimeout(t), dsn, nil)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		_, err = db.Exec(t.Context(), `SELECT 1`)
		require.ErrorIs(t, err, ErrClosed)
		err = db.InTx(t.Context(), func(context.Context) error { return nil })
		require.ErrorIs(t, err, ErrClosed)
	})
}

// TestWithoutMigrating: a process whose role may not change the schema opens the
// database only once every migration is applied, and applies none itself.
func TestWithoutMigrating(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := ctxTimeout(t)
		_, err := Open(ctx, dsn, migrations(notesV1), WithoutMigrating())
		require.ErrorIs(t, err, ErrSchemaBehind, "nothing applied yet")

		db := open(t, dsn, notesV1)
		require.True(t, db.MigratesSchema())
		ro, err := Open(ctx, dsn, migrations(notesV1), WithoutMigrating())
		require.NoError(t, err, "every migration applied")
		require.False(t, ro.MigratesSchema())
		require.NoError(t, ro.Close())

		_, err = Open(ctx, dsn, migrations(notesV1, "-- +goose Up\nCREATE TABLE later (id INTEGER);\n"), WithoutMigrating())
		require.ErrorIs(t, err, ErrSchemaBehind, "a newer binary waits for its migration")
		var n int
		require.Error(t, db.QueryRow(ctx, "SELECT count(*) FROM later").Scan(&n), "and applied none")
	})
}
