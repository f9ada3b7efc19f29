package sqlstore

import (
	"context"
	"fmt"
)

// Upsert-and-return: the row lock taken by the update serialises concurrent callers on
// PostgreSQL, the one writer serialises them on SQLite. The increment belongs to the
// caller's transaction, so a rolled-back transaction gives its number back: no gaps.
const nextSeqSQL = `INSERT INTO kit_sequences (name, value) VALUES ($1, 1)
ON CONFLICT (name) DO UPDATE SET value = kit_sequences.value + 1
RETURNING value`

// NextSeq returns the next value (1, 2, 3, …) of the sequence called name, creating it on
// first use. Inside InTx the increment commits or rolls back with the transaction, so the
// numbers a service hands out have neither gaps nor duplicates; outside, it commits at once.
// Name a sequence per tenant and day for human-readable numbers (办件编号, 工单号), e.g.
// "tickets/ahz.s01/20261125", and format the number yourself.
func (db *DB) NextSeq(ctx context.Context, name string) (int64, error) {
	if name == "" || len(name) > 200 {
		return 0, fmt.Errorf("sqlstore: sequence name must be 1-200 bytes, got %d", len(name))
	}
	var v int64
	var err error
	if tx := db.tx(ctx); tx != nil {
		err = tx.QueryRowContext(ctx, nextSeqSQL, name).Scan(&v)
	} else {
		err = db.writer.QueryRowContext(ctx, nextSeqSQL, name).Scan(&v)
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: next %q: %w", name, mapError(err))
	}
	return v, nil
}
