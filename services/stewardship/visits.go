package stewardship

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/idempotency"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// Visits and problems. A problem that needs another department becomes a ticket in the
// tickets service, filed by the steward who opens it (the caller's token goes along), so
// the 12345 loop, its SLA and its escalation apply. The problem then follows the ticket:
// each read of the problem asks tickets for the ticket's state, as the caller, and keeps
// what it learnt. Reading rather than receiving webhooks needs neither a machine
// credential for stewardship nor a webhook receiver in tickets (whose webhooks go back
// to the intake sources), cannot lose an event, and a down tickets service only leaves
// the last state seen.

var categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ticketTimeout bounds one call to the tickets service.
const ticketTimeout = 3 * time.Second

// CreateVisit logs a visit (see the contract).
func (s *service) CreateVisit(ctx context.Context, r *stewardshipv1.CreateVisitRequest) (*stewardshipv1.Visit, error) {
	e, err := s.enterpriseAt(ctx, "parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetVisit()
	if in == nil {
		return nil, errs.Invalid("visit", "REQUIRED", "visit 不能为空")
	}
	now := s.now()
	if err := date("visit.visit_date", in.GetVisitDate(), true); err != nil {
		return nil, err
	}
	if in.GetVisitDate() > now.In(cst).Format(dateLayout) {
		return nil, errs.Invalid("visit.visit_date", "IN_FUTURE", "走访日期不能晚于今天")
	}
	if err := text("visit.notes", in.GetNotes(), true, 5000); err != nil {
		return nil, err
	}
	if len(in.GetPeople()) > 20 || len(in.GetPhotos()) > 20 {
		return nil, errs.Invalid("visit", "TOO_MANY", "参加人员和照片各最多 20 项")
	}
	for i, p := range in.GetPeople() {
		if err := text(fmt.Sprintf("visit.people[%d]", i), p, true, 50); err != nil {
			return nil, err
		}
	}
	for i, p := range in.GetPhotos() {
		if err := s.docs.Check(ctx, fmt.Sprintf("visit.photos[%d]", i), p); err != nil {
			return nil, err
		}
	}
	cc := e.record.GetCreditCode()
	v := &stewardshipv1.Visit{VisitDate: in.GetVisitDate(), People: in.GetPeople(), Notes: in.GetNotes(), Photos: in.GetPhotos(),
		Visitor: caller(ctx), CreateTime: ts(now)}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		id, err := s.nextID(ctx, "V")
		if err != nil {
			return err
		}
		v.Name = e.record.GetName() + "/visits/" + id
		data, err := marshal.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO visits (tenant, id, credit_code, visit_date, visitor, create_us, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, string(e.tenant), id, cc, v.GetVisitDate(), v.GetVisitor(), now.UnixMicro(), string(data)); err != nil {
			return err
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: e.tenant, Action: "stewardship.CreateVisit", Resource: v.GetName(), After: v, Time: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ListVisits lists an enterprise's visits, newest first (see the contract).
func (s *service) ListVisits(ctx context.Context, r *stewardshipv1.ListVisitsRequest) (*stewardshipv1.ListVisitsResponse, error) {
	e, err := s.enterpriseAt(ctx, "parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("visits", e.record.GetName())
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, err := s.visits(ctx, e.record.GetCreditCode(), after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &stewardshipv1.ListVisitsResponse{}
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		resp.NextPageToken = page.Encode(last.GetVisitDate()+"/"+last.GetName()[strings.LastIndex(last.GetName(), "/")+1:], query)
	}
	resp.Visits = list
	return resp, nil
}

// visits lists an enterprise's visits by date and id, newest first, before the key
// after ("date/id"; "" for the newest).
func (s *service) visits(ctx context.Context, cc, after string, limit int) ([]*stewardshipv1.Visit, error) {
	d, id, _ := strings.Cut(after, "/")
	if after == "" {
		d, id = "9999-12-31", "~"
	}
	return sqlstore.QueryAll(ctx, s.db, scanJSON[*stewardshipv1.Visit], `SELECT data FROM visits WHERE credit_code = $1
		AND (visit_date < $2 OR (visit_date = $2 AND id < $3)) ORDER BY visit_date DESC, id DESC LIMIT $4`, cc, d, id, limit)
}

// scanJSON reads a row of one JSON column into a new T.
func scanJSON[T interface {
	*M
	protoMessage
}, M any](row sqlstore.Scanner) (T, error) {
	var data string
	if err := row.Scan(&data); err != nil {
		return nil, err
	}
	m := T(new(M))
	return m, unmarshal.Unmarshal([]byte(data), m)
}

// RaiseProblem records a problem (see the contract).
func (s *service) RaiseProblem(ctx context.Context, r *stewardshipv1.RaiseProblemRequest) (*stewardshipv1.Problem, error) {
	e, err := s.enterpriseAt(ctx, "parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetProblem()
	if in == nil {
		return nil, errs.Invalid("problem", "REQUIRED", "problem 不能为空")
	}
	if !categoryPattern.MatchString(in.GetCategory()) {
		return nil, errs.Invalid("problem.category", "INVALID_CATEGORY", "问题类别应为诉求类别代码，如 enterprise")
	}
	for _, f := range []struct {
		field, v string
		required bool
		max      int
	}{{"problem.title", in.GetTitle(), true, 200}, {"problem.description", in.GetDescription(), true, 5000},
		{"problem.owner_department", in.GetOwnerDepartment(), true, 100}} {
		if err := text(f.field, f.v, f.required, f.max); err != nil {
			return nil, err
		}
	}
	if v := in.GetVisit(); v != "" && !strings.HasPrefix(v, e.record.GetName()+"/visits/") {
		return nil, errs.Invalid("problem.visit", "INVALID_NAME", "走访记录须属于该企业")
	}
	if m := in.GetMeeting(); m != "" {
		if err := s.meetingExists(ctx, "problem.meeting", m, e.tenant); err != nil {
			return nil, err
		}
	}
	now := s.now()
	p := &stewardshipv1.Problem{Enterprise: e.record.GetName(), EnterpriseName: e.record.GetEnterpriseName(), Category: in.GetCategory(),
		Title: in.GetTitle(), Description: in.GetDescription(), OwnerDepartment: in.GetOwnerDepartment(), Visit: in.GetVisit(), Meeting: in.GetMeeting(),
		State: stewardshipv1.ProblemState_PROBLEM_STATE_OPEN, RaisedBy: caller(ctx), CreateTime: ts(now), UpdateTime: ts(now)}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if v := p.GetVisit(); v != "" {
			var n int64
			if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM visits WHERE tenant = $1 AND id = $2 AND credit_code = $3`,
				string(e.tenant), v[strings.LastIndex(v, "/")+1:], e.record.GetCreditCode()).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return errs.Invalid("problem.visit", "VISIT_NOT_FOUND", "走访记录不存在")
			}
		}
		id, err := s.nextID(ctx, "P")
		if err != nil {
			return err
		}
		p.Name = resname.Name(e.tenant, "problems", id)
		return s.putProblem(ctx, e.tenant, id, e.record.GetCreditCode(), p, now, nil, false)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *service) putProblem(ctx context.Context, t tenancy.ID, id, cc string, p *stewardshipv1.Problem, now time.Time, before *stewardshipv1.Problem, update bool) error {
	data, err := marshal.Marshal(p)
	if err != nil {
		return err
	}
	action := "stewardship.RaiseProblem"
	if update {
		action = "stewardship.UpdateProblem"
		_, err = s.db.Exec(ctx, `UPDATE problems SET state = $3, ticket = $4, update_us = $5, data = $6 WHERE tenant = $1 AND id = $2`,
			string(t), id, int64(p.GetState()), p.GetTicket(), now.UnixMicro(), string(data))
	} else {
		_, err = s.db.Exec(ctx, `INSERT INTO problems (tenant, id, credit_code, state, ticket, raised_by, create_us, update_us, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)`, string(t), id, cc, int64(p.GetState()), p.GetTicket(), p.GetRaisedBy(), now.UnixMicro(), string(data))
	}
	if err != nil {
		return err
	}
	var b any
	if before != nil {
		b = before
	}
	_, err = s.audit.Record(ctx, audit.Entry{Tenant: t, Action: action, Resource: p.GetName(), Before: b, After: p, Time: now})
	return err
}

var problemID = regexp.MustCompile(`^P[0-9]{8,12}$`)

func (s *service) problem(ctx context.Context, name string) (tenancy.ID, string, *stewardshipv1.Problem, error) {
	t, id, err := resname.Parse("name", name, "problems", problemID)
	if err != nil {
		return "", "", nil, err
	}
	p, err := scanJSON[*stewardshipv1.Problem](s.db.QueryRow(ctx, `SELECT data FROM problems WHERE tenant = $1 AND id = $2`, string(t), id))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return "", "", nil, ErrProblemNotFound.WithMessage("问题不存在: %s", name)
	}
	return t, id, p, err
}

// GetProblem returns a problem, its ticket's state refreshed (see the contract).
func (s *service) GetProblem(ctx context.Context, r *stewardshipv1.GetProblemRequest) (*stewardshipv1.Problem, error) {
	t, id, p, err := s.problem(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	if p.GetState() != stewardshipv1.ProblemState_PROBLEM_STATE_TICKETED || s.peers.tickets == nil {
		return p, nil
	}
	call, cancel := context.WithTimeout(asCaller(ctx), ticketTimeout)
	tk, err := s.peers.tickets.GetTicket(call, &ticketsv1.GetTicketRequest{Name: p.GetTicket()})
	cancel()
	if err != nil {
		// The last state seen stands; the ticket is asked again on the next read.
		s.log.WarnContext(ctx, "ticket state not refreshed", "problem", p.GetName(), "code", status.Code(err).String())
		return p, nil
	}
	state, st := followTicket(tk.GetState())
	if st == p.GetTicketState() {
		return p, nil
	}
	before := clone(p)
	now := s.now()
	p.TicketState, p.State, p.UpdateTime = st, state, ts(now)
	cc := p.GetEnterprise()[strings.LastIndex(p.GetEnterprise(), "/")+1:]
	if err := s.db.InTx(ctx, func(ctx context.Context) error {
		return s.putProblem(ctx, t, id, cc, p, now, before, true)
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// followTicket is the problem state a ticket state means, and the ticket state's name.
func followTicket(st ticketsv1.State) (stewardshipv1.ProblemState, string) {
	switch st {
	case ticketsv1.State_STATE_CLOSED, ticketsv1.State_STATE_VISITED, ticketsv1.State_STATE_RATED:
		return stewardshipv1.ProblemState_PROBLEM_STATE_RESOLVED, st.String()
	}
	return stewardshipv1.ProblemState_PROBLEM_STATE_TICKETED, st.String()
}

// ListProblems lists the problems of a subtree (see the contract).
func (s *service) ListProblems(ctx context.Context, r *stewardshipv1.ListProblemsRequest) (*stewardshipv1.ListProblemsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	cc := ""
	if r.GetEnterprise() != "" {
		if _, cc, err = parseEnterprise("enterprise", r.GetEnterprise()); err != nil {
			return nil, err
		}
	}
	if stewardshipv1.ProblemState_name[int32(r.GetState())] == "" {
		return nil, errs.Invalid("state", "INVALID_STATE", "状态不正确")
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("problems", string(t), cc, r.GetState().String())
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, err := s.problems(ctx, t, cc, r.GetState(), after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &stewardshipv1.ListProblemsResponse{}
	if len(list) > size {
		list = list[:size]
		lt, id, _ := resname.Split(list[size-1].GetName(), "problems")
		resp.NextPageToken = page.Encode(string(lt)+"/"+id, query)
	}
	resp.Problems = list
	return resp, nil
}

func (s *service) problems(ctx context.Context, t tenancy.ID, cc string, state stewardshipv1.ProblemState, after string, limit int) ([]*stewardshipv1.Problem, error) {
	where, args := t.SubtreeSQL("tenant", 1)
	afterTenant, afterID, _ := strings.Cut(after, "/")
	args = append(args, afterTenant, afterID, cc, int64(state), limit)
	return sqlstore.QueryAll(ctx, s.db, scanJSON[*stewardshipv1.Problem], `SELECT data FROM problems WHERE `+where+`
		AND (tenant > $3 OR (tenant = $3 AND id > $4)) AND ($5 = '' OR credit_code = $5) AND ($6 = 0 OR state = $6)
		ORDER BY tenant, id LIMIT $7`, args...)
}

// claimProblem makes the caller the one filing problem id as a ticket, for twice the
// tickets call's timeout; ErrProblemBeingOpened when another caller's claim holds.
func (s *service) claimProblem(ctx context.Context, t tenancy.ID, id string) error {
	now := s.now()
	caller, _ := authn.Subject(ctx)
	res, err := s.db.Exec(ctx, `UPDATE problems SET opening_by = $3, opening_until_us = $4
		WHERE tenant = $1 AND id = $2 AND ticket = '' AND (opening_by IN ('', $3) OR opening_until_us < $5)`,
		string(t), id, caller, now.Add(2*ticketTimeout).UnixMicro(), now.UnixMicro())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrProblemBeingOpened
	}
	return nil
}

// ticketKey is the idempotency key of the ticket of the problem name.
func ticketKey(problem string) string { return "stewardship-problem:" + problem }

// OpenProblemTicket files the problem as a ticket (see the contract).
func (s *service) OpenProblemTicket(ctx context.Context, r *stewardshipv1.OpenProblemTicketRequest) (*stewardshipv1.Problem, error) {
	t, id, p, err := s.problem(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	if p.GetTicket() != "" {
		return p, nil
	}
	if p.GetState() != stewardshipv1.ProblemState_PROBLEM_STATE_OPEN {
		return nil, errs.New(errs.FailedPrecondition, "ILLEGAL_TRANSITION", "问题当前状态不能转为诉求工单")
	}
	if s.peers.tickets == nil {
		return nil, ErrTicketsUnavailable
	}
	// One caller at a time files a problem: the claim holds while a call to tickets may
	// last, and another person's open meanwhile is refused (the claimant's own retries
	// go through, and an expired claim is taken over).
	if err := s.claimProblem(ctx, t, id); err != nil {
		if _, _, cur, gerr := s.problem(ctx, p.GetName()); gerr == nil && cur.GetTicket() != "" {
			return cur, nil
		}
		return nil, err
	}
	cc := p.GetEnterprise()[strings.LastIndex(p.GetEnterprise(), "/")+1:]
	// The key makes tickets file one ticket per problem and caller: a concurrent or
	// retried open by the claimant (whose request is the same, being made from the
	// problem) gets the first ticket.
	call, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(asCaller(ctx), idempotency.MetadataKey, ticketKey(p.GetName())), ticketTimeout)
	tk, err := s.peers.tickets.CreateTicket(call, &ticketsv1.CreateTicketRequest{Parent: resname.Tenant(t), Ticket: &ticketsv1.Ticket{
		Category: p.GetCategory(), Title: p.GetTitle(),
		Description: fmt.Sprintf("%s\n（企业管家转办：%s；责任部门：%s；来源问题 %s）", p.GetDescription(), p.GetEnterpriseName(), p.GetOwnerDepartment(), p.GetName()),
		Complainant: &ticketsv1.Complainant{EnterpriseName: p.GetEnterpriseName(), CreditCode: cc},
	}})
	cancel()
	if err != nil {
		switch status.Code(err) {
		case codes.InvalidArgument, codes.PermissionDenied, codes.NotFound, codes.FailedPrecondition, codes.Unauthenticated:
			return nil, errs.From(err) // the tickets service's own answer (an unknown category, no permission)
		}
		return nil, ErrTicketsUnavailable.Wrap(err)
	}
	before := clone(p)
	now := s.now()
	state, st := followTicket(tk.GetState())
	p.Ticket, p.TicketState, p.State, p.UpdateTime = tk.GetName(), st, state, ts(now)
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		// Another open may have won meanwhile: keep its ticket.
		_, _, cur, err := s.problem(ctx, p.GetName())
		if err != nil {
			return err
		}
		if cur.GetTicket() != "" {
			p = cur
			return nil
		}
		return s.putProblem(ctx, t, id, cc, p, now, before, true)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
