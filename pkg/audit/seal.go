package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// sealBatch is how many waiting records one Seal transaction chains; insertChunk how many
// rows one INSERT or DELETE statement carries.
const (
	sealBatch   = 1000
	insertChunk = 100
)

// Seal chains every record waiting in db (see Record) and returns how many it chained.
// Each tenant's records get the next sequences of its chain, in the order of their times,
// each hash covering the one before; the tenant's head moves to the last. Sealers in
// several processes may run at once: they lock the waiting rows they take (PostgreSQL) or
// run under the one writer (SQLite), and take the heads in tenant order, so the chain
// never forks.
func Seal(ctx context.Context, db *sqlstore.DB) (int, error) {
	total := 0
	for {
		n, err := sealOnce(ctx, db)
		total += n
		if err != nil || n < sealBatch {
			return total, err
		}
	}
}

func sealOnce(ctx context.Context, db *sqlstore.DB) (int, error) {
	n := 0
	err := db.InTx(ctx, func(ctx context.Context) error {
		waiting, err := takeWaiting(ctx, db)
		if err != nil {
			return err
		}
		n = len(waiting)
		byTenant := map[string][]*commonv1.AuditRecord{}
		for _, w := range waiting {
			byTenant[w.rec.GetTenant()] = append(byTenant[w.rec.GetTenant()], w.rec)
		}
		tenants := make([]string, 0, len(byTenant))
		for t := range byTenant {
			tenants = append(tenants, t)
		}
		slices.Sort(tenants) // heads in one order, so concurrent sealers cannot deadlock
		for _, t := range tenants {
			if err := chain(ctx, db, t, byTenant[t]); err != nil {
				return err
			}
		}
		ids := make([]any, len(waiting))
		for i, w := range waiting {
			ids[i] = w.id
		}
		for chunk := range slices.Chunk(ids, insertChunk) {
			if _, err := db.Exec(ctx, `DELETE FROM audit_pending WHERE id IN (`+placeholders(len(chunk), 1, 1)+`)`, chunk...); err != nil {
				return fmt.Errorf("audit: seal: delete waiting: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

type waitingRecord struct {
	id  string
	rec *commonv1.AuditRecord
}

// takeWaiting reads and, on PostgreSQL, locks the oldest waiting records. A concurrent
// sealer holding some of them makes this one wait; rows it then deleted are skipped.
func takeWaiting(ctx context.Context, db *sqlstore.DB) ([]waitingRecord, error) {
	lock := ""
	if db.Dialect() == sqlstore.Postgres {
		lock = " FOR UPDATE"
	}
	rows, err := db.Query(ctx, `SELECT id, tenant, time_us, actor, action, resource, before_digest, after_digest, trace_id
		FROM audit_pending ORDER BY time_us, id LIMIT $1`+lock, sealBatch)
	if err != nil {
		return nil, fmt.Errorf("audit: seal: read waiting: %w", err)
	}
	defer rows.Close()
	var out []waitingRecord
	for rows.Next() {
		var (
			w  waitingRecord
			r  commonv1.AuditRecord
			us int64
		)
		if err := rows.Scan(&w.id, &r.Tenant, &us, &r.Actor, &r.Action, &r.Resource, &r.BeforeDigest, &r.AfterDigest, &r.TraceId); err != nil {
			return nil, fmt.Errorf("audit: seal: read waiting: %w", err)
		}
		r.Time = timestamppb.New(time.UnixMicro(us))
		w.rec = &r
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: seal: read waiting: %w", err)
	}
	return out, nil
}

// chain appends recs to tenant's chain: it advances the head by len(recs), which locks
// the head row until the sealing transaction ends, links and hashes them, and writes them.
func chain(ctx context.Context, db *sqlstore.DB, tenant string, recs []*commonv1.AuditRecord) error {
	last, prev, err := advanceHead(ctx, db, tenant, int64(len(recs)))
	if err != nil {
		return err
	}
	for i, r := range recs {
		r.Sequence = last - int64(len(recs)) + 1 + int64(i)
		r.PrevHash = prev
		r.Hash = Hash(r)
		prev = r.Hash
	}
	const cols = 11
	for chunk := range slices.Chunk(recs, insertChunk) {
		args := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			args = append(args, r.GetTenant(), r.GetSequence(), r.GetTime().AsTime().UnixMicro(), r.GetActor(), r.GetAction(),
				r.GetResource(), r.GetBeforeDigest(), r.GetAfterDigest(), r.GetTraceId(), r.GetPrevHash(), r.GetHash())
		}
		if _, err := db.Exec(ctx, `INSERT INTO audit_records (`+recordColumns+`) VALUES `+placeholders(len(chunk), cols, 1), args...); err != nil {
			return fmt.Errorf("audit: seal: insert records: %w", err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE audit_heads SET hash = $2 WHERE tenant = $1`, tenant, prev); err != nil {
		return fmt.Errorf("audit: seal: update head: %w", err)
	}
	return nil
}

// advanceHead moves tenant's head on by n and returns its new sequence and the hash the
// head had (that of the record before the n new ones). The UPDATE locks the head row
// (PostgreSQL) or runs under the one writer (SQLite).
func advanceHead(ctx context.Context, db *sqlstore.DB, tenant string, n int64) (last int64, prev string, err error) {
	const advance = `UPDATE audit_heads SET sequence = sequence + $2 WHERE tenant = $1 RETURNING sequence, hash`
	err = db.QueryRow(ctx, advance, tenant, n).Scan(&last, &prev)
	if errors.Is(err, sqlstore.ErrNotFound) {
		// First record of the tenant. ON CONFLICT: a concurrent sealer may have made the
		// row meanwhile; then the UPDATE below queues behind it.
		if _, err := db.Exec(ctx, `INSERT INTO audit_heads (tenant, sequence, hash) VALUES ($1, 0, '')
			ON CONFLICT (tenant) DO NOTHING`, tenant); err != nil {
			return 0, "", fmt.Errorf("audit: create head: %w", err)
		}
		err = db.QueryRow(ctx, advance, tenant, n).Scan(&last, &prev)
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit: advance head: %w", err)
	}
	return last, prev, nil
}

// placeholders is "($s, $s+1, …), (…)" for rows of cols parameters each, numbered from s.
func placeholders(rows, cols, s int) string {
	var b strings.Builder
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		if cols > 1 {
			b.WriteByte('(')
		}
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(s + r*cols + c))
		}
		if cols > 1 {
			b.WriteByte(')')
		}
	}
	return b.String()
}

// sealDelay is how long a Sealer lets commits gather before a round: under load one
// sealing transaction then chains dozens of records instead of one or two, which halves
// what chaining costs the database. Reads seal at once (List, Verify).
const sealDelay = 20 * time.Millisecond

// Sealer chains one database's records in the background, soon after they commit. It
// belongs to the service that owns the database: the service records through it
// (Sealer.Record) and runs Run beside its other work, so no sealing outlives the service
// or touches its database after it closed.
type Sealer struct {
	db  *sqlstore.DB
	log *slog.Logger
	due chan struct{} // a record committed since the last round began
}

// NewSealer returns the sealer of db; log may be nil (slog.Default()). Until Run runs,
// records it writes wait, durable, and are chained by the next Seal (List and Verify
// seal before reading).
func NewSealer(db *sqlstore.DB, log *slog.Logger) *Sealer {
	if log == nil {
		log = slog.Default()
	}
	return &Sealer{db: db, log: log, due: make(chan struct{}, 1)}
}

// DB is the database the sealer chains.
func (s *Sealer) DB() *sqlstore.DB { return s.db }

// Record is Record(ctx, s.DB(), e), and once the transaction in ctx commits it tells Run
// there is something to chain.
func (s *Sealer) Record(ctx context.Context, e Entry) (*commonv1.AuditRecord, error) {
	rec, err := Record(ctx, s.db, e)
	if err != nil {
		return nil, err
	}
	s.db.AfterCommit(ctx, s.soon)
	return rec, nil
}

// soon asks for a round; it never blocks. Commits arriving while a round seals are
// chained together in the next one.
func (s *Sealer) soon() {
	select {
	case s.due <- struct{}{}:
	default:
	}
}

// Run chains records as they commit until ctx ends, then chains what is due once more
// and returns nil. A failed round is logged: the records wait, durable, for the next.
func (s *Sealer) Run(ctx context.Context) error {
	delay := time.NewTimer(0)
	<-delay.C
	defer delay.Stop()
	for {
		select {
		case <-ctx.Done():
			s.last()
			return nil
		case <-s.due:
		}
		delay.Reset(sealDelay)
		select {
		case <-ctx.Done():
			s.last()
			return nil
		case <-delay.C:
		}
		s.round(ctx)
	}
}

func (s *Sealer) round(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := Seal(ctx, s.db); err != nil && ctx.Err() == nil {
		s.log.Warn("audit: chaining records failed; they wait for the next try", "err", err)
	}
}

// last chains what was committed just before the service stopped, briefly: what it
// cannot chain waits for the next start.
func (s *Sealer) last() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = Seal(ctx, s.db)
}
