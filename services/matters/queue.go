package matters

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// ListApplications lists the applications of a tenant's subtree by tenant and number,
// optionally in one state, of one matter, of one handler, or on the green channel only.
func (s *service) ListApplications(ctx context.Context, r *mattersv1.ListApplicationsRequest) (*mattersv1.ListApplicationsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if mattersv1.State_name[int32(r.GetState())] == "" {
		return nil, errs.Invalid("state", "INVALID_STATE", "状态不正确")
	}
	code := ""
	if r.GetMatter() != "" {
		if code = codeOf(r.GetMatter()); code == "" {
			return nil, errs.Invalid("matter", "INVALID_MATTER", "matter 应为 matters/{code}")
		}
	}
	if err := text("handler", r.GetHandler(), false, 200); err != nil {
		return nil, err
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	org := govid.NormalizeCreditCode(r.GetCreditCode())
	if org != "" && govid.ValidateCreditCode(org) != nil {
		return nil, errs.Invalid("credit_code", "INVALID_CREDIT_CODE", "统一社会信用代码无效")
	}
	query := page.Hash("applications", string(t), r.GetState().String(), code, r.GetHandler(), strconv.FormatBool(r.GetGreenChannel()), org)
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	afterTenant, afterID, _ := strings.Cut(after, "/")
	green := int64(0)
	if r.GetGreenChannel() {
		green = 1
	}
	own, args := t.SubtreeSQL("tenant", 1)
	args = append(args, afterTenant, afterID, int64(r.GetState()), code, r.GetHandler(), green, size+1, org)
	// An applicant lists its own applications only (its enterprise's, for an enterprise).
	mine, more := authz.AccessFrom(ctx).OwnerFilter("owner_subject", "owner_org", 11)
	rows, err := s.db.Query(ctx, `SELECT `+appColumns+` FROM applications WHERE `+own+`
		AND (tenant > $3 OR (tenant = $3 AND id > $4)) AND ($5 = 0 OR state = $5) AND ($6 = '' OR matter_code = $6)
		AND ($7 = '' OR handler = $7) AND ($8 = 0 OR green = 1) AND ($10 = '' OR owner_org = $10)`+mine+` ORDER BY tenant, id LIMIT $9`, append(args, more...)...)
	if err != nil {
		return nil, err
	}
	list, err := collect(rows)
	if err != nil {
		return nil, err
	}
	resp := &mattersv1.ListApplicationsResponse{}
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		resp.NextPageToken = page.Encode(string(last.Tenant)+"/"+last.ID, query)
	}
	for _, a := range list {
		resp.Applications = append(resp.Applications, a.App)
	}
	return resp, nil
}

// ListQueue is a work queue (待办): open applications of one scope, green-channel ones
// (绿色通道) first, then by earliest promised deadline, so the overdue lead. Each scope reads its own partial index in order
// (see the migrations), so a page costs the same at any table size.
func (s *service) ListQueue(ctx context.Context, r *mattersv1.ListQueueRequest) (*mattersv1.ListQueueResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	q := queueQuery{scope: r.GetScope(), tenant: t, overdue: r.GetOverdueOnly(), now: s.now(), limit: size + 1}
	switch q.scope {
	case mattersv1.QueueScope_QUEUE_SCOPE_MINE:
		if q.key = subject(ctx); q.key == "" {
			return nil, errs.Invalid("scope", "NO_SUBJECT", "匿名调用没有“我的”待办")
		}
	case mattersv1.QueueScope_QUEUE_SCOPE_WINDOW:
		if err := text("window", r.GetWindow(), true, 50); err != nil {
			return nil, err
		}
		q.key = r.GetWindow()
	case mattersv1.QueueScope_QUEUE_SCOPE_DEPARTMENT:
		if err := text("department", r.GetDepartment(), true, 100); err != nil {
			return nil, err
		}
		q.key = r.GetDepartment()
	case mattersv1.QueueScope_QUEUE_SCOPE_TENANT:
		// Most tenants have no open work below them (communities are leaves): then the
		// tenant's own index range is read in order, instead of leaving the planner to
		// guess how much of the subtree lies where.
		below, err := s.st.openBelow(ctx, t)
		if err != nil {
			return nil, err
		}
		q.exact = !below
	default:
		return nil, errs.Invalid("scope", "INVALID_SCOPE", "请选择待办范围：我的、本窗口、本部门或本单位")
	}
	hash := page.Hash("queue", string(t), q.scope.String(), q.key, strconv.FormatBool(q.overdue))
	after, err := page.Decode(r.GetPageToken(), hash)
	if err != nil {
		return nil, err
	}
	if after != "" {
		parts := strings.SplitN(after, "/", 4)
		if len(parts) != 4 {
			return nil, errs.Invalid("page_token", "INVALID_PAGE_TOKEN", "分页令牌无效")
		}
		rank, err1 := strconv.ParseInt(parts[0], 10, 64)
		due, err2 := strconv.ParseInt(parts[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, errs.Invalid("page_token", "INVALID_PAGE_TOKEN", "分页令牌无效")
		}
		q.after = &queueCursor{rank: rank, due: due, tenant: parts[2], id: parts[3]}
	}
	list, err := s.st.queue(ctx, q)
	if err != nil {
		return nil, err
	}
	resp := &mattersv1.ListQueueResponse{}
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		rank := 1
		if last.App.GetGreenChannel() {
			rank = 0
		}
		resp.NextPageToken = page.Encode(fmt.Sprintf("%d/%d/%s/%s", rank, last.App.GetPromisedDueTime().AsTime().UnixMicro(), last.Tenant, last.ID), hash)
	}
	for _, a := range list {
		resp.Applications = append(resp.Applications, a.App)
	}
	return resp, nil
}

type queueCursor struct {
	rank, due  int64
	tenant, id string
}

// queueQuery is one page of a queue.
type queueQuery struct {
	scope   mattersv1.QueueScope
	tenant  tenancy.ID
	key     string // the handler, window or department
	exact   bool   // the tenant alone: nothing open lies below it
	overdue bool
	now     time.Time
	after   *queueCursor
	limit   int
}

// sql builds the page's statement. Columns are fixed text; every value is a parameter.
func (q queueQuery) sql() (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where = append(where, "state < 5")
	subtree := func() {
		cond, a := q.tenant.SubtreeSQL("tenant", len(args)+1)
		args = append(args, a...)
		where = append(where, cond)
	}
	switch q.scope {
	case mattersv1.QueueScope_QUEUE_SCOPE_MINE:
		where = append(where, "handler = "+arg(q.key))
		subtree()
	case mattersv1.QueueScope_QUEUE_SCOPE_WINDOW:
		// A window belongs to one tenant: the one named.
		where = append(where, "tenant = "+arg(string(q.tenant)), "window_name = "+arg(q.key))
	case mattersv1.QueueScope_QUEUE_SCOPE_DEPARTMENT:
		where = append(where, "department = "+arg(q.key))
		subtree()
	default:
		if q.exact {
			where = append(where, "tenant = "+arg(string(q.tenant)))
		} else {
			subtree()
		}
	}
	if q.overdue {
		where = append(where, "promised_due_us < "+arg(q.now.UnixMicro()))
	}
	// The cursor is written in the column order of the index the scope reads, so that it
	// bounds that index's range.
	switch {
	case q.after == nil:
	case q.scope == mattersv1.QueueScope_QUEUE_SCOPE_WINDOW:
		where = append(where, "(tenant, window_name, queue_rank, promised_due_us, id) > ("+arg(string(q.tenant))+", "+arg(q.key)+", "+
			arg(q.after.rank)+", "+arg(q.after.due)+", "+arg(q.after.id)+")")
	case q.exact:
		where = append(where, "(tenant, queue_rank, promised_due_us, id) > ("+arg(string(q.tenant))+", "+arg(q.after.rank)+", "+
			arg(q.after.due)+", "+arg(q.after.id)+")")
	case q.scope == mattersv1.QueueScope_QUEUE_SCOPE_MINE || q.scope == mattersv1.QueueScope_QUEUE_SCOPE_DEPARTMENT:
		col := "handler"
		if q.scope == mattersv1.QueueScope_QUEUE_SCOPE_DEPARTMENT {
			col = "department"
		}
		where = append(where, "("+col+", queue_rank, promised_due_us, tenant, id) > ("+arg(q.key)+", "+arg(q.after.rank)+", "+
			arg(q.after.due)+", "+arg(q.after.tenant)+", "+arg(q.after.id)+")")
	default:
		where = append(where, "(queue_rank, promised_due_us, tenant, id) > ("+arg(q.after.rank)+", "+arg(q.after.due)+", "+
			arg(q.after.tenant)+", "+arg(q.after.id)+")")
	}
	return `SELECT ` + appColumns + ` FROM applications WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY queue_rank, promised_due_us, tenant, id LIMIT ` + arg(q.limit), args
}

// openBelow reports whether any open application lies strictly below t (one probe of
// the tenant queue index).
func (s *store) openBelow(ctx context.Context, t tenancy.ID) (bool, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM applications WHERE state < 5 AND tenant LIKE $1 LIMIT 1) AS x`,
		string(t)+".%").Scan(&n)
	return n > 0, err
}

func (s *store) queue(ctx context.Context, q queueQuery) ([]*application, error) {
	query, args := q.sql()
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows)
}

// AssignApplication sets the handler (default: the caller) and the window (分办).
func (s *service) AssignApplication(ctx context.Context, r *mattersv1.AssignApplicationRequest) (*mattersv1.Application, error) {
	handler := r.GetHandler()
	if handler == "" {
		handler = subject(ctx)
	}
	if err := text("handler", handler, true, 200); err != nil {
		return nil, err
	}
	if err := text("window", r.GetWindow(), false, 50); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), assignCmd{Handler: handler, Window: r.GetWindow()})
}
