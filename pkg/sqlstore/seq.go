package sqlstore

import (
	"context"
	"fmt"
	"sync"
)

// SeqBlock is how many numbers NextSeq reserves at once on PostgreSQL.
const SeqBlock = 32

// Upsert-and-return: the row lock taken by the update serialises concurrent callers on
// PostgreSQL, the one writer serialises them on SQLite.
const nextSeqSQL = `INSERT INTO kit_sequences (name, value) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET value = kit_sequences.value + $2
RETURNING value`

// seqBlock is a run of numbers [next, last] this process reserved and has not handed out.
type seqBlock struct {
	mu         sync.Mutex
	next, last int64
}

// NextSeq returns the next number of the sequence called name (1, 2, 3, …), creating it
// on first use. Numbers are never handed out twice, and one process hands them out in
// increasing order. Name a sequence per tenant and day for human-readable numbers (办件编号,
// 工单号), e.g. "tickets/ahz.s01/20261125", and format the number yourself.
//
// On SQLite the increment joins the transaction in ctx (the one writer serialises it), so
// a rolled-back transaction gives its number back. On PostgreSQL the row of a busy
// sequence would be locked from the increment until the caller commits, queueing every
// writer of a tenant behind one another's commit; so NextSeq reserves SeqBlock numbers at
// a time in a transaction of its own and hands them out from memory. Numbers may then
// skip: one taken by a transaction that rolls back, the rest of a block when the process
// stops, and replicas hand out numbers from their own blocks.
func (db *DB) NextSeq(ctx context.Context, name string) (int64, error) {
	if name == "" || len(name) > 200 {
		return 0, fmt.Errorf("sqlstore: sequence name must be 1-200 bytes, got %d", len(name))
	}
	if db.dialect == SQLite {
		var v int64
		err := db.writerOrTx(ctx).QueryRowContext(ctx, nextSeqSQL, name, 1).Scan(&v)
		if err != nil {
			return 0, fmt.Errorf("sqlstore: next %q: %w", name, mapError(err))
		}
		return v, nil
	}
	b, _ := db.blocks.LoadOrStore(name, &seqBlock{})
	block := b.(*seqBlock)
	block.mu.Lock()
	defer block.mu.Unlock()
	if block.next == 0 || block.next > block.last {
		var last int64
		// On the pool, never in ctx's transaction: the reservation commits at once.
		if err := db.writer.QueryRowContext(ctx, nextSeqSQL, name, SeqBlock).Scan(&last); err != nil {
			return 0, fmt.Errorf("sqlstore: next %q: %w", name, mapError(err))
		}
		block.next, block.last = last-SeqBlock+1, last
	}
	v := block.next
	block.next++
	return v, nil
}
