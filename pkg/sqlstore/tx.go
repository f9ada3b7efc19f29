package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// txKey finds the transaction of one DB in a context; keyed by the DB so that a service
// with two databases never runs a statement in the other one's transaction.
type txKey struct{ db *DB }

func (db *DB) tx(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(txKey{db}).(*sql.Tx)
	return tx
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
	if err := fn(context.WithValue(ctx, txKey{db}, tx)); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return mapError(fmt.Errorf("sqlstore: commit: %w", err))
	}
	return nil
}

// Exec runs a statement that returns no rows: in ctx's transaction, else on the writer.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var (
		res sql.Result
		err error
	)
	if tx := db.tx(ctx); tx != nil {
		res, err = tx.ExecContext(ctx, query, args...)
	} else {
		res, err = db.writer.ExecContext(ctx, query, args...)
	}
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
