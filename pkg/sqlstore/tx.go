package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// txKey finds the transaction of one DB in a context; keyed by the DB so that a service
// with two databases never runs a statement in the other one's transaction.
type txKey struct{ db *DB }

// anyTxKey finds every transaction scope in a context, whatever its DB (HasAnyTx).
type anyTxKey struct{}

// txState is what InTx keeps in the context: the transaction and what to run once it
// has committed.
type txState struct {
	tx          *sql.Tx // nil while a lazy transaction (InLazyTx) has not opened
	afterCommit []func()
	depth       int // savepoints open, for their names
	// broken is an error after which the transaction must not commit: its lazy opening
	// failed, or a rollback to a savepoint did. Every later InTx returns it.
	broken error

	// A lazy transaction's opening (InLazyTx).
	openCtx context.Context // what BEGIN is tied to: the scope's context, not one InTx's
	first   func(ctx context.Context) error
}

func (db *DB) state(ctx context.Context) *txState {
	st, _ := ctx.Value(txKey{db}).(*txState)
	return st
}

func (db *DB) tx(ctx context.Context) *sql.Tx {
	if st := db.state(ctx); st != nil {
		return st.tx
	}
	return nil
}

// withState returns ctx carrying st as db's transaction.
func (db *DB) withState(ctx context.Context, st *txState) context.Context {
	all, _ := ctx.Value(anyTxKey{}).([]*txState)
	all = append(all[:len(all):len(all)], st)
	return context.WithValue(context.WithValue(ctx, txKey{db}, st), anyTxKey{}, all)
}

// HasTx reports whether ctx carries an open transaction of db.
func (db *DB) HasTx(ctx context.Context) bool { return db.tx(ctx) != nil }

// HasAnyTx reports whether ctx carries an open transaction of any DB. Code that calls
// over the network asks it to refuse doing so while a transaction is held (on SQLite the
// transaction holds the one writer, on PostgreSQL a pooled connection and its locks).
// A lazy transaction (InLazyTx) that has not opened yet holds nothing and does not count.
func HasAnyTx(ctx context.Context) bool {
	all, _ := ctx.Value(anyTxKey{}).([]*txState)
	for _, st := range all {
		if st.tx != nil {
			return true
		}
	}
	return false
}

// conn is what *sql.DB and *sql.Tx share.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writerOrTx is ctx's transaction of db, else the writer.
func (db *DB) writerOrTx(ctx context.Context) conn {
	if tx := db.tx(ctx); tx != nil {
		return tx
	}
	return db.writer
}

// AfterCommit runs fn once the transaction in ctx has committed, or at once when ctx
// carries no open transaction of db. It is not run after a rollback, nor when the
// savepoint (nested InTx) it was added in rolls back, even if the outer transaction
// commits: fn belongs to the work that was undone. fn runs on the committing goroutine:
// it must be quick (start work, do not do it).
func (db *DB) AfterCommit(ctx context.Context, fn func()) {
	if st := db.state(ctx); st != nil && st.tx != nil {
		st.afterCommit = append(st.afterCommit, fn)
		return
	}
	fn()
}

// InTx runs fn in a transaction and commits it if fn returns nil, or rolls it back if fn
// returns an error or panics. The context fn receives carries the transaction: every
// Exec, Query, QueryRow and NextSeq made with it runs inside. An error from fn is
// returned as it is.
//
// An InTx made with a context that already carries a transaction of db runs fn in a
// savepoint of it: released when fn returns nil (its work then commits or rolls back
// with the outer transaction), rolled back to when fn fails, so that the outer
// transaction stays usable and may go on (on PostgreSQL a failed statement otherwise
// aborts the whole transaction). So a middleware's transaction and the service's own
// writes commit together, and a batch can keep the items that succeeded.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	st := db.state(ctx)
	if st == nil {
		return db.inNewTx(ctx, fn)
	}
	if err := db.open(ctx, st); err != nil {
		return err
	}
	return db.inSavepoint(ctx, st, fn)
}

func (db *DB) inNewTx(ctx context.Context, fn func(ctx context.Context) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return mapError(fmt.Errorf("sqlstore: begin: %w", err))
	}
	st := &txState{tx: tx}
	ended := false
	defer func() {
		if !ended {
			_ = tx.Rollback() // fn panicked; the panic goes on
		}
	}()
	err = fn(db.withState(ctx, st))
	ended = true
	return db.finish(st, err)
}

// finish ends st's open transaction once fn has returned err: it commits if err is nil
// and nothing broke the transaction, and rolls back otherwise.
func (db *DB) finish(st *txState, err error) (out error) {
	committed := false
	defer func() {
		if !committed {
			_ = st.tx.Rollback()
		}
	}()
	if err != nil {
		return err
	}
	if st.broken != nil {
		return st.broken
	}
	if err := st.tx.Commit(); err != nil {
		committed = true // Commit ends the transaction whatever it reports
		return mapError(fmt.Errorf("sqlstore: commit: %w", err))
	}
	committed = true
	for _, f := range st.afterCommit {
		f()
	}
	return nil
}

// inSavepoint runs fn inside st's open transaction, in a savepoint named after its depth
// (the savepoints of one transaction nest, so a depth names one uniquely while it is open).
func (db *DB) inSavepoint(ctx context.Context, st *txState, fn func(ctx context.Context) error) error {
	if st.broken != nil {
		return st.broken
	}
	st.depth++
	defer func() { st.depth-- }()
	name := "kit_sp_" + strconv.Itoa(st.depth)
	if _, err := st.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return mapError(fmt.Errorf("sqlstore: savepoint: %w", err))
	}
	hooks := len(st.afterCommit)
	done := false
	defer func() {
		if done {
			return
		}
		// fn failed or panicked: undo its work and its hooks, keep the transaction usable.
		st.afterCommit = st.afterCommit[:hooks]
		rctx := context.WithoutCancel(ctx)
		_, err := st.tx.ExecContext(rctx, "ROLLBACK TO SAVEPOINT "+name)
		if err == nil {
			_, err = st.tx.ExecContext(rctx, "RELEASE SAVEPOINT "+name)
		}
		if err != nil && st.broken == nil {
			st.broken = mapError(fmt.Errorf("sqlstore: rollback to savepoint: %w", err))
		}
	}()
	if err := fn(ctx); err != nil {
		return err
	}
	if _, err := st.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return mapError(fmt.Errorf("sqlstore: release savepoint: %w", err))
	}
	done = true
	return nil
}

// InLazyTx runs fn with a transaction that opens only at fn's first InTx, not before:
// what fn does until then (checking input, calling other services) holds no
// transaction, and on SQLite not the one writer. When the transaction opens, first runs
// in it before anything else; then that InTx and every later one run as savepoints of it
// (Exec, Query and QueryRow with fn's context run in it too, once open). The transaction
// commits when fn returns nil, and rolls back when fn returns an error or panics.
//
// If opening fails (BEGIN, or first returns an error), that InTx and every later one of
// fn returns the error, and so does InLazyTx whatever fn returns: a caller whose first
// refuses (an idempotency key already claimed) learns it even when fn swallowed the error
// of its InTx (a batch reporting per-item errors). If fn never calls InTx, nothing opens.
//
// With a context that already carries a transaction of db, first and fn run in a
// savepoint of it.
func (db *DB) InLazyTx(ctx context.Context, first, fn func(ctx context.Context) error) error {
	if db.state(ctx) != nil {
		return db.InTx(ctx, func(ctx context.Context) error {
			if first == nil {
				return fn(ctx)
			}
			if err := first(ctx); err != nil {
				return err
			}
			return fn(ctx)
		})
	}
	st := &txState{openCtx: ctx, first: first}
	ended := false
	defer func() {
		if !ended && st.tx != nil {
			_ = st.tx.Rollback() // fn panicked; the panic goes on
		}
	}()
	err := fn(db.withState(ctx, st))
	ended = true
	if st.tx == nil {
		if st.broken != nil {
			return st.broken
		}
		return err
	}
	return db.finish(st, err)
}

// open opens st's lazy transaction if it has not opened yet.
func (db *DB) open(ctx context.Context, st *txState) error {
	if st.tx != nil {
		return nil
	}
	if st.broken != nil {
		return st.broken
	}
	if st.openCtx == nil {
		return errors.New("sqlstore: transaction state without a transaction") // not reachable
	}
	tx, err := db.writer.BeginTx(st.openCtx, nil)
	if err != nil {
		st.broken = mapError(fmt.Errorf("sqlstore: begin: %w", err))
		return st.broken
	}
	st.tx = tx
	if st.first == nil {
		return nil
	}
	if err := st.first(ctx); err != nil {
		_ = tx.Rollback()
		st.tx, st.afterCommit, st.broken = nil, nil, err
		return err
	}
	return nil
}

// Exec runs a statement that returns no rows: in ctx's transaction, else on the writer.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.writerOrTx(ctx).ExecContext(ctx, query, args...)
	return res, mapError(err)
}

// Query runs a query: in ctx's transaction, else on the read pool. Close the rows.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if tx := db.tx(ctx); tx != nil {
		rows, err = tx.QueryContext(ctx, query, args...)
	} else {
		rows, err = db.reader.QueryContext(ctx, query, args...)
		err = readerHint(err)
	}
	return rows, mapError(err)
}

// QueryRow runs a query expected to return at most one row: in ctx's transaction, else on
// the read pool. Scan reports no row as ErrNotFound.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	if tx := db.tx(ctx); tx != nil {
		return &Row{row: tx.QueryRowContext(ctx, query, args...)}
	}
	return &Row{row: db.reader.QueryRowContext(ctx, query, args...), onReader: true}
}

// Row is the result of QueryRow.
type Row struct {
	row      *sql.Row
	onReader bool
}

// Scan copies the row's columns into dest. No row is ErrNotFound (errors.Is also matches
// sql.ErrNoRows); a unique violation (INSERT … RETURNING) is ErrDuplicate.
func (r *Row) Scan(dest ...any) error { return mapError(r.hint(r.row.Scan(dest...))) }

// Err is the error of the query, if any, without scanning.
func (r *Row) Err() error { return mapError(r.hint(r.row.Err())) }

func (r *Row) hint(err error) error {
	if r.onReader {
		return readerHint(err)
	}
	return err
}
