package audit

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// Page sizes of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ListOptions selects a page of a tenant's records.
type ListOptions struct {
	PageSize  int32     // 0 means DefaultPageSize; capped at MaxPageSize
	PageToken string    // next_page_token of the previous page; "" for the first
	Resource  string    // only the records of this resource; "" for all
	Actor     string    // only the records of this actor; "" for all
	Since     time.Time // only the records at or after Since; zero for no lower bound
	Until     time.Time // only the records before Until; zero for no upper bound
}

const recordColumns = `tenant, sequence, time_us, actor, action, resource, before_digest, after_digest, trace_id, prev_hash, hash`

// List returns a page of tenant's records, newest first, and the token of the next page
// ("" after the last). It reads one tenant only: the caller decides, by the subtree rule,
// which tenants the supervisor may read. It first chains the records still waiting
// (Seal), so it shows every change committed before the call.
func List(ctx context.Context, db *sqlstore.DB, tenant tenancy.ID, opts ListOptions) ([]*commonv1.AuditRecord, string, error) {
	if !tenant.Valid() {
		return nil, "", tenancy.ErrInvalidID
	}
	size, err := page.Size(opts.PageSize, DefaultPageSize, MaxPageSize)
	if err != nil {
		return nil, "", err
	}
	if _, err := Seal(ctx, db); err != nil {
		return nil, "", err
	}
	var since, until int64 = math.MinInt64, math.MaxInt64
	if !opts.Since.IsZero() {
		since = opts.Since.UnixMicro()
	}
	if !opts.Until.IsZero() {
		until = opts.Until.UnixMicro()
	}
	queryHash := page.Hash("audit.List", string(tenant), opts.Resource, opts.Actor, strconv.FormatInt(since, 10), strconv.FormatInt(until, 10))
	after, err := page.Decode(opts.PageToken, queryHash)
	if err != nil {
		return nil, "", err
	}
	below := int64(math.MaxInt64)
	if after != "" {
		if below, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, "", page.ErrInvalidToken.WithField(page.TokenField, page.ErrInvalidToken.Code, page.ErrInvalidToken.Message)
		}
	}
	// Only the conditions asked for, so each query can use its index (tenant with
	// resource or actor, then sequence); values are always arguments.
	where, args := `tenant = $1 AND sequence < $2`, []any{string(tenant), below}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if opts.Resource != "" {
		add("resource = $%d", opts.Resource)
	}
	if opts.Actor != "" {
		add("actor = $%d", opts.Actor)
	}
	if !opts.Since.IsZero() {
		add("time_us >= $%d", since)
	}
	if !opts.Until.IsZero() {
		add("time_us < $%d", until)
	}
	args = append(args, size+1)
	rows, err := db.Query(ctx, `SELECT `+recordColumns+` FROM audit_records WHERE `+where+
		fmt.Sprintf(` ORDER BY sequence DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, "", fmt.Errorf("audit: list: %w", err)
	}
	next := ""
	if len(recs) > size {
		recs = recs[:size]
		next = page.Encode(strconv.FormatInt(recs[size-1].GetSequence(), 10), queryHash)
	}
	return recs, next, nil
}

func scanRecords(rows *sql.Rows) ([]*commonv1.AuditRecord, error) {
	return sqlstore.Collect(rows, scanRecord)
}

func scanRecord(row sqlstore.Scanner) (*commonv1.AuditRecord, error) {
	var (
		r  commonv1.AuditRecord
		us int64
	)
	if err := row.Scan(&r.Tenant, &r.Sequence, &us, &r.Actor, &r.Action, &r.Resource,
		&r.BeforeDigest, &r.AfterDigest, &r.TraceId, &r.PrevHash, &r.Hash); err != nil {
		return nil, err
	}
	r.Time = timestamppb.New(time.UnixMicro(us))
	return &r, nil
}
