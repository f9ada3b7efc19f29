package audit

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// API serves a service's audit trail through its contract: every service's contract has
// ListAuditRecords and VerifyAuditChain (rule audit.records read at the parent tenant, so
// the discipline commission and supervisors reach their subtree only), because every
// service keeps its own chains in its own database. A service embeds API in the type it
// registers with kit.Register, which finds the two methods by name.
type API struct {
	DB *sqlstore.DB
}

// maxFilterLen bounds the resource and actor filters: longer ones name nothing Record wrote.
const maxFilterLen = 512

// ListAuditRecords lists a page of one tenant's records, newest first. The records carry
// digests, subjects and resource names, never personal data in clear.
func (a API) ListAuditRecords(ctx context.Context, r *commonv1.ListAuditRecordsRequest) (*commonv1.ListAuditRecordsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	opts := ListOptions{PageSize: r.GetPageSize(), PageToken: r.GetPageToken(), Resource: r.GetResource(), Actor: r.GetActor()}
	for _, f := range []struct{ name, v string }{{"resource", opts.Resource}, {"actor", opts.Actor}} {
		if len(f.v) > maxFilterLen || !utf8.ValidString(f.v) {
			return nil, errs.Invalid(f.name, "INVALID_FILTER", f.name+" 过长或含有无效字符")
		}
	}
	for _, ts := range []struct {
		name string
		v    *timestamppb.Timestamp
		to   *time.Time
	}{{"start_time", r.GetStartTime(), &opts.Since}, {"end_time", r.GetEndTime(), &opts.Until}} {
		if ts.v == nil {
			continue
		}
		if err := ts.v.CheckValid(); err != nil {
			return nil, errs.Invalid(ts.name, "INVALID_TIME", ts.name+" 不是有效的时间")
		}
		*ts.to = ts.v.AsTime()
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && !opts.Since.Before(opts.Until) {
		return nil, errs.Invalid("end_time", "INVALID_TIME_RANGE", "结束时间应晚于开始时间")
	}
	recs, next, err := List(ctx, a.DB, t, opts)
	if err != nil {
		return nil, err
	}
	return &commonv1.ListAuditRecordsResponse{Records: recs, NextPageToken: next}, nil
}

// VerifyAuditChain verifies one tenant's chain (see Verify). A broken chain is an answer,
// not an error.
func (a API) VerifyAuditChain(ctx context.Context, r *commonv1.VerifyAuditChainRequest) (*commonv1.VerifyAuditChainResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	rep, err := Verify(ctx, a.DB, t)
	if err != nil {
		return nil, err
	}
	out := &commonv1.VerifyAuditChainResponse{Parent: r.GetParent(), Ok: rep.OK(), Records: rep.Records,
		HeadSequence: rep.HeadSequence, HeadHash: rep.HeadHash, Truncated: rep.Truncated, VerifyTime: timestamppb.Now()}
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, &commonv1.AuditChainProblem{Sequence: p.Sequence, Kind: string(p.Kind), Detail: p.Detail})
	}
	return out, nil
}

func parseParent(name string) (tenancy.ID, error) {
	if rest, ok := strings.CutPrefix(name, "tenants/"); ok {
		if t, err := tenancy.Parse(rest); err == nil {
			return t, nil
		}
	}
	return "", errs.Invalid("parent", "INVALID_PARENT", "parent 应为 tenants/{tenant}")
}
