package stewardship

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// Stewards (管家): each enterprise has at most one current steward of each kind. A new
// assignment of a kind is a handover: the current one ends, names its successor and the
// new one carries the handover note, so the rows are the history. A steward must reach
// the enterprise's tenant with a steward's permission (the same policy every service
// enforces): one from a sibling street cannot be given an enterprise it could not see.

// AssignSteward assigns or hands over (see the contract).
func (s *service) AssignSteward(ctx context.Context, r *stewardshipv1.AssignStewardRequest) (*stewardshipv1.Assignment, error) {
	e, err := s.enterpriseAt(ctx, "name", r.GetName())
	if err != nil {
		return nil, err
	}
	if r.GetKind() == stewardshipv1.StewardKind_STEWARD_KIND_UNSPECIFIED || stewardshipv1.StewardKind_name[int32(r.GetKind())] == "" {
		return nil, errs.Invalid("kind", "INVALID_KIND", "管家类型应为招商、项目或企业管家")
	}
	if !subjectPattern.MatchString(r.GetSteward()) {
		return nil, errs.Invalid("steward", "INVALID_SUBJECT", "管家账号格式不正确")
	}
	if err := text("steward_name", r.GetStewardName(), true, 50); err != nil {
		return nil, err
	}
	if err := text("handover_note", r.GetHandoverNote(), false, 1000); err != nil {
		return nil, err
	}
	if !s.enforcer.Allowed(r.GetSteward(), e.tenant, ObjVisits, "create") {
		return nil, ErrStewardOutside.WithMessage("%s 在企业所属辖区 %s 没有管家权限", r.GetSteward(), e.tenant).
			WithField("steward", ErrStewardOutside.Code, "管家须在企业所属辖区或其上级单位任职")
	}
	now := s.now()
	cc := e.record.GetCreditCode()
	var out *stewardshipv1.Assignment
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.currentAssignment(ctx, cc, r.GetKind())
		if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
			return err
		}
		if cur != nil && cur.GetSteward() == r.GetSteward() && cur.GetPairing() == r.GetPairing() {
			out = cur // already so: nothing to hand over
			return nil
		}
		id, err := s.nextID(ctx, "A")
		if err != nil {
			return err
		}
		if cur != nil {
			t, prevID, _ := resname.Split(cur.GetName(), "assignments")
			if _, err := s.db.Exec(ctx, `UPDATE assignments SET end_us = $3, successor = $4 WHERE tenant = $1 AND id = $2`,
				string(t), prevID, now.UnixMicro(), r.GetSteward()); err != nil {
				return err
			}
			if _, err := s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "stewardship.HandOver", Resource: cur.GetName(),
				Before: cur, After: map[string]any{"end_us": now.UnixMicro(), "successor": r.GetSteward()}, Time: now}); err != nil {
				return err
			}
		}
		out = &stewardshipv1.Assignment{
			Name: resname.Name(e.tenant, "assignments", id), Enterprise: e.record.GetName(), EnterpriseName: e.record.GetEnterpriseName(),
			Kind: r.GetKind(), Steward: r.GetSteward(), StewardName: r.GetStewardName(), Pairing: r.GetPairing(),
			AssignedBy: caller(ctx), HandoverNote: r.GetHandoverNote(), StartTime: ts(now),
		}
		pairing := int64(0)
		if out.GetPairing() {
			pairing = 1
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO assignments (tenant, id, credit_code, kind, steward, steward_name, pairing,
			assigned_by, handover_note, start_us, end_us, successor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, '')`,
			string(e.tenant), id, cc, int64(out.GetKind()), out.GetSteward(), out.GetStewardName(), pairing, out.GetAssignedBy(),
			out.GetHandoverNote(), now.UnixMicro()); err != nil {
			return err
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: e.tenant, Action: "stewardship.AssignSteward", Resource: out.GetName(), After: out, Time: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const assignmentColumns = `a.tenant, a.id, a.credit_code, a.kind, a.steward, a.steward_name, a.pairing, a.assigned_by,
	a.handover_note, a.start_us, a.end_us, a.successor, e.enterprise_name, e.tenant`

func scanAssignment(row sqlstore.Scanner) (*stewardshipv1.Assignment, error) {
	var tenant, id, cc, steward, stewardName, by, note, successor, ename, etenant string
	var kind, pairing, start, end int64
	if err := row.Scan(&tenant, &id, &cc, &kind, &steward, &stewardName, &pairing, &by, &note, &start, &end, &successor, &ename, &etenant); err != nil {
		return nil, err
	}
	return &stewardshipv1.Assignment{
		Name: resname.Name(tenancy.ID(tenant), "assignments", id), Enterprise: enterpriseName(tenancy.ID(etenant), cc),
		EnterpriseName: ename, Kind: stewardshipv1.StewardKind(kind), Steward: steward, StewardName: stewardName,
		Pairing: pairing == 1, AssignedBy: by, HandoverNote: note, StartTime: ts(fromMicros(start)), EndTime: ts(fromMicros(end)),
		Successor: successor,
	}, nil
}

func (s *service) currentAssignment(ctx context.Context, cc string, kind stewardshipv1.StewardKind) (*stewardshipv1.Assignment, error) {
	return scanAssignment(s.db.QueryRow(ctx, `SELECT `+assignmentColumns+` FROM assignments a JOIN enterprises e ON e.credit_code = a.credit_code
		WHERE a.credit_code = $1 AND a.kind = $2 AND a.end_us = 0`, cc, int64(kind)))
}

// assignmentFilter narrows assignments; the zero filter is every current one.
type assignmentFilter struct {
	tenant     tenancy.ID // "" for any: the subtree of tenant otherwise
	creditCode string
	steward    string
	history    bool
}

// assignments lists assignments in (tenant, id) order after the key after ("tenant/id").
func (s *service) assignments(ctx context.Context, f assignmentFilter, after string, limit int) ([]*stewardshipv1.Assignment, error) {
	where, args := "1 = 1", []any{}
	next := 1
	if f.tenant != "" {
		where, args = f.tenant.SubtreeSQL("a.tenant", 1)
		next = len(args) + 1
	}
	afterTenant, afterID, _ := strings.Cut(after, "/")
	hist := int64(0)
	if f.history {
		hist = 1
	}
	args = append(args, afterTenant, afterID, f.creditCode, f.steward, hist, limit)
	q := func(n int) string { return "$" + itoa(next+n) }
	return sqlstore.QueryAll(ctx, s.db, scanAssignment, `SELECT `+assignmentColumns+` FROM assignments a
		JOIN enterprises e ON e.credit_code = a.credit_code WHERE `+where+`
		AND (a.tenant > `+q(0)+` OR (a.tenant = `+q(0)+` AND a.id > `+q(1)+`)) AND (`+q(2)+` = '' OR a.credit_code = `+q(2)+`)
		AND (`+q(3)+` = '' OR a.steward = `+q(3)+`) AND (`+q(4)+` = 1 OR a.end_us = 0)
		ORDER BY a.tenant, a.id LIMIT `+q(5), args...)
}

// ListAssignments lists assignments of a subtree (see the contract).
func (s *service) ListAssignments(ctx context.Context, r *stewardshipv1.ListAssignmentsRequest) (*stewardshipv1.ListAssignmentsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	f := assignmentFilter{tenant: t, steward: r.GetSteward(), history: r.GetHistory()}
	if r.GetEnterprise() != "" {
		et, cc, err := parseEnterprise("enterprise", r.GetEnterprise())
		if err != nil {
			return nil, err
		}
		if !t.Contains(et) {
			return nil, errs.Invalid("enterprise", "OUTSIDE_SUBTREE", "企业须在所查询单位之内")
		}
		f.creditCode = cc
	}
	if f.steward != "" && !subjectPattern.MatchString(f.steward) {
		return nil, errs.Invalid("steward", "INVALID_SUBJECT", "管家账号格式不正确")
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("assignments", string(t), f.creditCode, f.steward, boolString(f.history))
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, err := s.assignments(ctx, f, after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &stewardshipv1.ListAssignmentsResponse{}
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		lt, id, _ := resname.Split(last.GetName(), "assignments")
		resp.NextPageToken = page.Encode(string(lt)+"/"+id, query)
	}
	resp.Assignments = list
	return resp, nil
}

// GetStewardWorkload counts each steward's load in a subtree (see the contract).
func (s *service) GetStewardWorkload(ctx context.Context, r *stewardshipv1.GetStewardWorkloadRequest) (*stewardshipv1.StewardWorkload, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	now := s.now()
	start, end := now.Add(-90*24*time.Hour), now
	if r.GetStartTime() != nil || r.GetEndTime() != nil {
		if start, end, err = page.Window(r.GetStartTime(), r.GetEndTime(), now, 366*24*time.Hour); err != nil {
			return nil, err
		}
	}
	loads := map[string]*stewardshipv1.StewardLoad{}
	var order []string
	load := func(sub, name string) *stewardshipv1.StewardLoad {
		l, ok := loads[sub]
		if !ok {
			l = &stewardshipv1.StewardLoad{Steward: sub, StewardName: name}
			loads[sub] = l
			order = append(order, sub)
		}
		return l
	}
	where, args := t.SubtreeSQL("tenant", 1)
	rows, err := s.db.Query(ctx, `SELECT steward, MAX(steward_name), COUNT(DISTINCT credit_code), SUM(pairing) FROM assignments
		WHERE `+where+` AND end_us = 0 GROUP BY steward ORDER BY steward`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sub, name string
		var n, pairs int64
		if err := rows.Scan(&sub, &name, &n, &pairs); err != nil {
			_ = rows.Close()
			return nil, err
		}
		l := load(sub, name)
		l.Enterprises, l.Pairings = int32(n), int32(pairs)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	args2 := append(append([]any{}, args...), start.In(cst).Format(dateLayout), end.In(cst).Format(dateLayout))
	n := len(args)
	rows, err = s.db.Query(ctx, `SELECT visitor, COUNT(*) FROM visits WHERE `+where+` AND visit_date >= $`+itoa(n+1)+`
		AND visit_date <= $`+itoa(n+2)+` GROUP BY visitor ORDER BY visitor`, args2...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sub string
		var c int64
		if err := rows.Scan(&sub, &c); err != nil {
			_ = rows.Close()
			return nil, err
		}
		load(sub, "").Visits = int32(c)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pw, pargs := t.SubtreeSQL("p.tenant", 1)
	rows, err = s.db.Query(ctx, `SELECT a.steward, COUNT(DISTINCT p.id) FROM problems p JOIN assignments a
		ON a.credit_code = p.credit_code AND a.end_us = 0 WHERE `+pw+` AND p.state <> 3 GROUP BY a.steward ORDER BY a.steward`, pargs...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sub string
		var c int64
		if err := rows.Scan(&sub, &c); err != nil {
			_ = rows.Close()
			return nil, err
		}
		load(sub, "").OpenProblems = int32(c)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := &stewardshipv1.StewardWorkload{}
	for _, sub := range order {
		out.Stewards = append(out.Stewards, loads[sub])
	}
	return out, nil
}
