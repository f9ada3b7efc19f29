package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// txKey finds the transaction of one DB in a context; keyed by the DB so that a service
// with two databases never runs a statement in the other one's transaction.
type txKey struct{ db *DB }

// txState is what InTx keeps in the context: the transaction and what to run once it
// has committed.
type txState struct {
	tx          *sql.Tx
	afterCommit []func()
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
// carries no transaction of db. It is not run after a rollback. fn runs on the
// committing goroutine: it must be quick (start work, do not do it).
func (db *DB) AfterCommit(ctx context.Context, fn func()) {
	if st := db.state(ctx); st != nil {
		st.afterCommit = append(st.afterCommit, fn)
		return
	}
	fn()
}

// InTx runs fn in a transaction and commits it if fn returns nil, or rolls it back if fn
// returns an error or panics. The context fn receives carries the transaction: every
// Exec, Query, QueryRow and NextSeq made with it runs inside, and an InTx made with it
// joins this transaction instead of starting another (so a middleware and the service's
// store commit together). An error from fn is returned as it is.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if db.tx(ctx) != nil {
		return fn(ctx)
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return mapError(fmt.Errorf("sqlstore: begin: %w", err))
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback() // also on panic; the panic goes on
		}
	}()
	st := &txState{tx: tx}
	if err := fn(context.WithValue(ctx, txKey{db}, st)); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return mapError(fmt.Errorf("sqlstore: commit: %w", err))
	}
	for _, f := range st.afterCommit {
		f()
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
