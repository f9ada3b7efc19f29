package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Errors the engines' own errors are mapped to, the same on both. Each wraps the driver's
// error (kept for logs). Services usually turn them into their own sentinels:
//
//	if errors.Is(err, sqlstore.ErrDuplicate) { return ErrTicketExists }
var (
	// ErrDuplicate is a violated unique or primary-key constraint.
	ErrDuplicate = errs.New(errs.AlreadyExists, "DUPLICATE", "记录已存在")
	// ErrNotFound is a QueryRow that found no row; errors.Is(err, sql.ErrNoRows) also holds.
	ErrNotFound = errs.ErrNotFound
	// ErrConflict is a transaction that lost to a concurrent one (deadlock, serialization
	// failure, a lock still held after the busy timeout). Retrying the call may succeed.
	ErrConflict = errs.New(errs.Aborted, "TX_CONFLICT", "数据正被他人修改，请稍后重试")
	// ErrClosed is a call on a DB after Close (background work outliving its service).
	// It is not an errs error: a caller that meets it sees INTERNAL, its cause logged.
	ErrClosed = errors.New("sqlstore: database closed")
)

// readerHint explains SQLite's "attempt to write a readonly database" when a write
// (INSERT … RETURNING through Query or QueryRow) was sent to the read pool.
func readerHint(err error) error {
	if se := (*sqlite.Error)(nil); errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_READONLY {
		return fmt.Errorf("sqlstore: a write reached the read pool: outside InTx only Exec writes, so run INSERT … RETURNING inside InTx: %w", err)
	}
	return err
}

// PostgreSQL SQLSTATE codes.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound.Wrap(err)
	case strings.Contains(err.Error(), "sql: database is closed"): // database/sql does not export it
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) {
		switch pe.Code {
		case pgUniqueViolation:
			return ErrDuplicate.Wrap(err)
		case pgSerializationFailure, pgDeadlockDetected:
			return ErrConflict.Wrap(err)
		}
		return err
	}
	if se := (*sqlite.Error)(nil); errors.As(err, &se) {
		code := se.Code()
		switch {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return ErrDuplicate.Wrap(err)
		// Some paths report only the primary code; the message then says which constraint.
		case code == sqlite3.SQLITE_CONSTRAINT && strings.Contains(se.Error(), "UNIQUE constraint failed"):
			return ErrDuplicate.Wrap(err)
		case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
			return ErrConflict.Wrap(err)
		}
	}
	return err
}
