package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// ProblemKind says how a chain is broken.
type ProblemKind string

// The kinds of problem Verify reports.
const (
	// Modified: the record's fields no longer match its own hash (edited in place).
	Modified ProblemKind = "modified"
	// Missing: sequences absent from the chain (records deleted), including the newest
	// ones when the tenant's head is ahead of the last record.
	Missing ProblemKind = "missing"
	// Moved: the record no longer sits after the record its prev_hash names (records
	// reordered, e.g. their sequences swapped).
	Moved ProblemKind = "moved"
	// BrokenLink: the record is intact but its prev_hash is not the hash of the record
	// before it: that one was replaced, or rewritten with a new hash.
	BrokenLink ProblemKind = "broken_link"
	// HeadMismatch: the tenant's head disagrees with the last record.
	HeadMismatch ProblemKind = "head_mismatch"
)

// Problem is one break in a chain, at Sequence (the first one affected).
type Problem struct {
	Sequence int64
	Kind     ProblemKind
	Detail   string
}

func (p Problem) String() string {
	return fmt.Sprintf("sequence %d: %s: %s", p.Sequence, p.Kind, p.Detail)
}

// Report is what Verify found in one tenant's chain.
type Report struct {
	Tenant  tenancy.ID
	Records int64 // records read
	// HeadSequence and HeadHash are the tenant's head as stored. Publish HeadHash outside
	// the database to detect a rewrite of the whole chain later.
	HeadSequence int64
	HeadHash     string
	Problems     []Problem
	// Truncated is set when more than MaxProblems problems were found; the rest are not
	// listed.
	Truncated bool
	Duration  time.Duration
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// MaxProblems bounds the problems one Report lists.
const MaxProblems = 1000

// verifyBatch is how many records Verify reads per query.
const verifyBatch = 1000

// Verify reads tenant's whole chain in sequence order and reports every record that was
// modified, deleted or moved. Its error is for failures to read, never for a broken chain.
func Verify(ctx context.Context, db *sqlstore.DB, tenant tenancy.ID) (Report, error) {
	start := time.Now()
	if !tenant.Valid() {
		return Report{}, tenancy.ErrInvalidID
	}
	if _, err := Seal(ctx, db); err != nil { // check every record committed before the call
		return Report{}, err
	}
	v := verifier{db: db, report: Report{Tenant: tenant}, expected: 1}
	err := db.QueryRow(ctx, `SELECT sequence, hash FROM audit_heads WHERE tenant = $1`, string(tenant)).
		Scan(&v.report.HeadSequence, &v.report.HeadHash)
	if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
		return Report{}, fmt.Errorf("audit: verify: read head: %w", err)
	}
	after := int64(-1 << 63)
	for {
		rows, err := db.Query(ctx, `SELECT `+recordColumns+` FROM audit_records
			WHERE tenant = $1 AND sequence > $2 ORDER BY sequence LIMIT $3`, string(tenant), after, verifyBatch)
		if err != nil {
			return Report{}, fmt.Errorf("audit: verify: %w", err)
		}
		recs, err := scanRecords(rows)
		if err != nil {
			return Report{}, fmt.Errorf("audit: verify: %w", err)
		}
		for _, r := range recs {
			if err := v.check(ctx, r); err != nil {
				return Report{}, err
			}
		}
		if len(recs) < verifyBatch {
			break
		}
		after = recs[len(recs)-1].GetSequence()
	}
	v.checkHead()
	v.report.Duration = time.Since(start)
	return v.report, nil
}

type verifier struct {
	db       *sqlstore.DB
	report   Report
	expected int64  // the sequence the next record should have
	prevHash string // stored hash of the record read before
}

func (v *verifier) add(seq int64, kind ProblemKind, format string, args ...any) {
	if len(v.report.Problems) >= MaxProblems {
		v.report.Truncated = true
		return
	}
	v.report.Problems = append(v.report.Problems, Problem{Sequence: seq, Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

func (v *verifier) check(ctx context.Context, r *commonv1.AuditRecord) error {
	v.report.Records++
	seq := r.GetSequence()
	gap := false
	switch {
	case seq < v.expected:
		// Only sequences below 1 sort before the expected one: nothing Record writes.
		v.add(seq, Modified, "sequence %d is outside the chain", seq)
	case seq > v.expected:
		gap = true
		if seq == v.expected+1 {
			v.add(v.expected, Missing, "record %d is missing", v.expected)
		} else {
			v.add(v.expected, Missing, "records %d to %d are missing", v.expected, seq-1)
		}
	}
	if Hash(r) != r.GetHash() {
		moved, detail, err := v.whereFrom(ctx, r)
		if err != nil {
			return err
		}
		if moved {
			v.add(seq, Moved, "%s", detail)
		} else {
			v.add(seq, Modified, "the record does not match its hash")
		}
	} else if r.GetPrevHash() != v.prevHash && !gap {
		_, detail, err := v.whereFrom(ctx, r)
		if err != nil {
			return err
		}
		v.add(seq, BrokenLink, "prev_hash is not the hash of record %d; %s", seq-1, detail)
	}
	v.prevHash = r.GetHash()
	v.expected = max(seq, v.expected-1) + 1
	return nil
}

// whereFrom explains a record that does not fit where it is, from the record its
// prev_hash names: if that one sits elsewhere in the chain, the records were reordered.
func (v *verifier) whereFrom(ctx context.Context, r *commonv1.AuditRecord) (moved bool, detail string, err error) {
	pred := int64(0) // "" names no record: the first of the chain
	if r.GetPrevHash() != "" {
		err := v.db.QueryRow(ctx, `SELECT sequence FROM audit_records WHERE tenant = $1 AND hash = $2`,
			string(v.report.Tenant), r.GetPrevHash()).Scan(&pred)
		switch {
		case errors.Is(err, sqlstore.ErrNotFound):
			return false, "the record its prev_hash names is gone or was rewritten", nil
		case err != nil:
			return false, "", fmt.Errorf("audit: verify: find predecessor: %w", err)
		}
	}
	if pred == r.GetSequence()-1 {
		return false, fmt.Sprintf("prev_hash names record %d", pred), nil
	}
	detail = fmt.Sprintf("its prev_hash names the record now at sequence %d", pred)
	// Records are usually moved a short way; look for the sequence the record was
	// hashed with, to say where it came from.
	c := proto.CloneOf(r)
	for d := int64(-16); d <= 16; d++ {
		if c.Sequence = r.GetSequence() + d; d != 0 && c.Sequence > 0 && Hash(c) == r.GetHash() {
			return true, fmt.Sprintf("the record was written as sequence %d; %s", c.Sequence, detail), nil
		}
	}
	return true, detail, nil
}

func (v *verifier) checkHead() {
	last := v.expected - 1
	h := v.report.HeadSequence
	switch {
	case h > last:
		if h == last+1 {
			v.add(last+1, Missing, "record %d, the newest, is missing", h)
		} else {
			v.add(last+1, Missing, "records %d to %d, the newest, are missing", last+1, h)
		}
	case h < last:
		v.add(h+1, HeadMismatch, "the head is at sequence %d but records run to %d", h, last)
	case h > 0 && v.report.HeadHash != v.prevHash:
		v.add(h, HeadMismatch, "the head's hash differs from record %d's", h)
	}
}
