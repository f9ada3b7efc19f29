package sqlstore

import (
	"context"
	"database/sql"
)

// Scanner is what a row-scan function reads one row from: *sql.Rows and *Row both are.
// It is an alias so that a store's existing `func(interface{ Scan(...any) error }) (T, error)`
// is already a scan function for Collect and QueryAll.
type Scanner = interface{ Scan(dest ...any) error }

// Collect reads every row of rows with scan, in order, and closes rows. It stops at the
// first scan error; otherwise the error is the one the iteration ended with.
func Collect[T any](rows *sql.Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer func() { _ = rows.Close() }()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// QueryAll runs query (as Query: in ctx's transaction, else on the read pool) and reads
// every row with scan.
func QueryAll[T any](ctx context.Context, db *DB, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return Collect(rows, scan)
}

// ScanOne reads a row of one column into a T: a scan function for single-column queries.
func ScanOne[T any](row Scanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}
