package stewardship

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The zero-cost start-up package (零成本开办), growth programmes (倍增计划) with their
// review and awards, 营商会客厅 meetings and 建言献策 suggestions. They are kept whole in
// one table of records (kind, id) and change through small pure decisions
// (decideEnrolment, decideSuggestion in lifecycle.go).

// StartupMatter is the matters catalogue's code of 企业开办, the application a start-up
// package is linked to.
const StartupMatter = "QYKB"

var (
	enrolmentID  = regexp.MustCompile(`^E[0-9]{8,12}$`)
	meetingID    = regexp.MustCompile(`^M[0-9]{8,12}$`)
	suggestionID = regexp.MustCompile(`^S[0-9]{8,12}$`)
	appName      = regexp.MustCompile(`^tenants/[a-z0-9.]+/applications/M-[0-9]{8}-[0-9]{6}$`)
)

// record is one row of the records table.
type record struct {
	tenant tenancy.ID
	kind   string
	id     string
	cc     string
	state  int64
}

func (s *service) putRecord(ctx context.Context, r record, m protoMessage, now time.Time, action, name string, before protoMessage, update bool) error {
	data, err := marshal.Marshal(m)
	if err != nil {
		return err
	}
	if update {
		_, err = s.db.Exec(ctx, `UPDATE records SET state = $4, update_us = $5, data = $6 WHERE tenant = $1 AND kind = $2 AND id = $3`,
			string(r.tenant), r.kind, r.id, r.state, now.UnixMicro(), string(data))
	} else {
		_, err = s.db.Exec(ctx, `INSERT INTO records (tenant, kind, id, credit_code, state, create_us, update_us, data)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`, string(r.tenant), r.kind, r.id, r.cc, r.state, now.UnixMicro(), string(data))
	}
	if err != nil {
		return err
	}
	var b any
	if before != nil {
		b = before
	}
	_, err = s.audit.Record(ctx, audit.Entry{Tenant: r.tenant, Action: action, Resource: name, Before: b, After: m, Time: now})
	return err
}

// getRecord loads a record's JSON into m; sqlstore.ErrNotFound when there is none.
func (s *service) getRecord(ctx context.Context, t tenancy.ID, kind, id string, m protoMessage) error {
	var data string
	if err := s.db.QueryRow(ctx, `SELECT data FROM records WHERE tenant = $1 AND kind = $2 AND id = $3`, string(t), kind, id).Scan(&data); err != nil {
		return err
	}
	return unmarshal.Unmarshal([]byte(data), m)
}

// listRecords lists a kind's records of t's subtree in (tenant, id) order, newest ids
// last; state 0 for any. It returns the JSON of up to size and the key after the last
// when there are more.
func (s *service) listRecords(ctx context.Context, t tenancy.ID, kind string, state int64, after string, size int) ([]string, string, error) {
	where, args := t.SubtreeSQL("tenant", 1)
	afterTenant, afterID := splitKey(after)
	args = append(args, kind, afterTenant, afterID, state, size+1)
	rows, err := s.db.Query(ctx, `SELECT tenant, id, data FROM records WHERE `+where+` AND kind = $3
		AND (tenant > $4 OR (tenant = $4 AND id > $5)) AND ($6 = 0 OR state = $6) ORDER BY tenant, id LIMIT $7`, args...)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = rows.Close() }()
	var out []string
	last, next := "", ""
	for rows.Next() {
		var tenant, id, data string
		if err := rows.Scan(&tenant, &id, &data); err != nil {
			return nil, "", err
		}
		if len(out) == size {
			next = last
			break
		}
		out, last = append(out, data), tenant+"/"+id
	}
	return out, next, rows.Err()
}

// RecordStartupPackage records a start-up package (see the contract).
func (s *service) RecordStartupPackage(ctx context.Context, r *stewardshipv1.RecordStartupPackageRequest) (*stewardshipv1.StartupPackage, error) {
	e, err := s.enterpriseAt(ctx, "name", r.GetName())
	if err != nil {
		return nil, err
	}
	in := r.GetPackage()
	if in == nil {
		return nil, errs.Invalid("package", "REQUIRED", "package 不能为空")
	}
	if len(in.GetItems()) == 0 || len(in.GetItems()) > 3 {
		return nil, errs.Invalid("package.items", "INVALID_COUNT", "开办礼包为 1—3 项：首套公章、税控盘、首年服务费")
	}
	now := s.now()
	var total int64
	seen := map[stewardshipv1.StartupBenefit]bool{}
	out := &stewardshipv1.StartupPackage{Name: e.record.GetName() + "/startupPackage", Application: in.GetApplication(),
		BankAccountOpened: in.GetBankAccountOpened(), RecordedBy: caller(ctx), UpdateTime: ts(now)}
	for i, it := range in.GetItems() {
		f := fmt.Sprintf("package.items[%d]", i)
		if it.GetBenefit() == stewardshipv1.StartupBenefit_STARTUP_BENEFIT_UNSPECIFIED || stewardshipv1.StartupBenefit_name[int32(it.GetBenefit())] == "" {
			return nil, errs.Invalid(f+".benefit", "INVALID_BENEFIT", "礼包项目应为首套公章、税控盘或首年服务费")
		}
		if seen[it.GetBenefit()] {
			return nil, errs.Invalid(f+".benefit", "DUPLICATE", "礼包项目重复")
		}
		seen[it.GetBenefit()] = true
		fen, err := parseMoney(f+".value", it.GetValue(), false)
		if err != nil {
			return nil, err
		}
		if err := date(f+".received_date", it.GetReceivedDate(), true); err != nil {
			return nil, err
		}
		total += fen
		out.Items = append(out.Items, &stewardshipv1.StartupItem{Benefit: it.GetBenefit(), Value: formatMoney(fen), ReceivedDate: it.GetReceivedDate()})
	}
	out.Total = formatMoney(total)
	if err := s.checkStartupApplication(ctx, in.GetApplication(), e); err != nil {
		return nil, err
	}
	cc := e.record.GetCreditCode()
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		prev := &stewardshipv1.StartupPackage{}
		err := s.getRecord(ctx, e.tenant, "startup", cc, prev)
		switch {
		case errors.Is(err, sqlstore.ErrNotFound):
			return s.putRecord(ctx, record{tenant: e.tenant, kind: "startup", id: cc, cc: cc}, out, now, "stewardship.RecordStartupPackage", out.GetName(), nil, false)
		case err != nil:
			return err
		}
		return s.putRecord(ctx, record{tenant: e.tenant, kind: "startup", id: cc, cc: cc}, out, now, "stewardship.RecordStartupPackage", out.GetName(), prev, true)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkStartupApplication checks, as the caller, that application is a 企业开办
// application in matters filed for the enterprise. Without a matters peer its form only.
func (s *service) checkStartupApplication(ctx context.Context, application string, e *enterprise) error {
	const field = "package.application"
	if !appName.MatchString(application) {
		return errs.Invalid(field, "INVALID_NAME", "应为企业开办办件名 tenants/{tenant}/applications/{id}")
	}
	if s.peers.matters == nil {
		return nil
	}
	call, cancel := context.WithTimeout(asCaller(ctx), ticketTimeout)
	defer cancel()
	a, err := s.peers.matters.GetApplication(call, &mattersv1.GetApplicationRequest{Name: application})
	switch status.Code(err) {
	case codes.OK:
	case codes.NotFound, codes.PermissionDenied, codes.InvalidArgument:
		return errs.Invalid(field, "APPLICATION_NOT_FOUND", "企业开办办件不存在或无权查看")
	default:
		return errs.New(errs.Unavailable, "MATTERS_UNAVAILABLE", "政务服务事项服务暂不可用，请稍后重试").Wrap(err)
	}
	if a.GetMatter() != "matters/"+StartupMatter {
		return errs.Invalid(field, "NOT_STARTUP_APPLICATION", "须为企业开办（"+StartupMatter+"）的办件")
	}
	if o := a.GetOwner().GetOrg(); o != "" && o != e.record.GetCreditCode() {
		return errs.Invalid(field, "OTHER_ENTERPRISE", "该办件不属于本企业")
	}
	return nil
}

// GetStartupPackage returns an enterprise's start-up package (see the contract).
func (s *service) GetStartupPackage(ctx context.Context, r *stewardshipv1.GetStartupPackageRequest) (*stewardshipv1.StartupPackage, error) {
	e, err := s.enterpriseAt(ctx, "name", r.GetName())
	if err != nil {
		return nil, err
	}
	out := &stewardshipv1.StartupPackage{}
	err = s.getRecord(ctx, e.tenant, "startup", e.record.GetCreditCode(), out)
	if errors.Is(err, sqlstore.ErrNotFound) {
		// A singleton of its enterprise (AIP-156): nothing recorded is an empty package.
		return &stewardshipv1.StartupPackage{Name: e.record.GetName() + "/startupPackage", Total: formatMoney(0)}, nil
	}
	return out, err
}

// EnrolProgramme enrols an enterprise (see the contract).
func (s *service) EnrolProgramme(ctx context.Context, r *stewardshipv1.EnrolProgrammeRequest) (*stewardshipv1.Enrolment, error) {
	e, err := s.enterpriseAt(ctx, "parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetEnrolment()
	if in == nil {
		return nil, errs.Invalid("enrolment", "REQUIRED", "enrolment 不能为空")
	}
	if err := text("enrolment.programme", in.GetProgramme(), true, 50); err != nil {
		return nil, err
	}
	base, err := parseMoney("enrolment.baseline", in.GetBaseline(), false)
	if err != nil {
		return nil, err
	}
	target, err := parseMoney("enrolment.target", in.GetTarget(), true)
	if err != nil {
		return nil, err
	}
	if target <= base {
		return nil, errs.Invalid("enrolment.target", "TARGET_NOT_ABOVE_BASELINE", "目标须高于基数")
	}
	if len(in.GetMilestones()) > 20 {
		return nil, errs.Invalid("enrolment.milestones", "TOO_MANY", "里程碑最多 20 个")
	}
	now := s.now()
	out := &stewardshipv1.Enrolment{Enterprise: e.record.GetName(), EnterpriseName: e.record.GetEnterpriseName(), Programme: in.GetProgramme(),
		Baseline: formatMoney(base), Target: formatMoney(target), State: stewardshipv1.EnrolmentState_ENROLMENT_STATE_ENROLLED,
		Awarded: formatMoney(0), Paid: formatMoney(0), Owner: &commonv1.Owner{Org: e.record.GetCreditCode()}, UpdateTime: ts(now)}
	for i, m := range in.GetMilestones() {
		f := fmt.Sprintf("enrolment.milestones[%d]", i)
		if err := text(f+".title", m.GetTitle(), true, 100); err != nil {
			return nil, err
		}
		if err := date(f+".due_date", m.GetDueDate(), true); err != nil {
			return nil, err
		}
		out.Milestones = append(out.Milestones, &stewardshipv1.Milestone{Title: m.GetTitle(), DueDate: m.GetDueDate()})
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		id, err := s.nextID(ctx, "E")
		if err != nil {
			return err
		}
		out.Name = resname.Name(e.tenant, "enrolments", id)
		return s.putRecord(ctx, record{tenant: e.tenant, kind: "enrolment", id: id, cc: e.record.GetCreditCode(), state: int64(out.GetState())},
			out, now, "stewardship.EnrolProgramme", out.GetName(), nil, false)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parseEnrolment(name string) (tenancy.ID, string, error) {
	return resname.Parse("name", name, "enrolments", enrolmentID)
}

func enrolmentNotFound(name string) error {
	return errs.New(errs.NotFound, "ENROLMENT_NOT_FOUND", "培育计划记录不存在").WithMessage("培育计划记录不存在: %s", name)
}

// GetEnrolment returns an enrolment (see the contract).
func (s *service) GetEnrolment(ctx context.Context, r *stewardshipv1.GetEnrolmentRequest) (*stewardshipv1.Enrolment, error) {
	t, id, err := parseEnrolment(r.GetName())
	if err != nil {
		return nil, err
	}
	out := &stewardshipv1.Enrolment{}
	if err := s.getRecord(ctx, t, "enrolment", id, out); errors.Is(err, sqlstore.ErrNotFound) {
		return nil, enrolmentNotFound(r.GetName())
	} else if err != nil {
		return nil, err
	}
	return out, nil
}

// ListEnrolments lists enrolments (see the contract).
func (s *service) ListEnrolments(ctx context.Context, r *stewardshipv1.ListEnrolmentsRequest) (*stewardshipv1.ListEnrolmentsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if stewardshipv1.EnrolmentState_name[int32(r.GetState())] == "" {
		return nil, errs.Invalid("state", "INVALID_STATE", "状态不正确")
	}
	resp := &stewardshipv1.ListEnrolmentsResponse{}
	resp.NextPageToken, err = s.listPage(ctx, t, "enrolment", int64(r.GetState()), r.GetPageSize(), r.GetPageToken(), func(data string) error {
		m := &stewardshipv1.Enrolment{}
		resp.Enrolments = append(resp.Enrolments, m)
		return unmarshal.Unmarshal([]byte(data), m)
	})
	return resp, err
}

// listPage is one page of a kind's records, each handed to add.
func (s *service) listPage(ctx context.Context, t tenancy.ID, kind string, state int64, pageSize int32, token string, add func(string) error) (string, error) {
	size, err := page.Size(pageSize, 50, 500)
	if err != nil {
		return "", err
	}
	query := page.Hash(kind, string(t), itoa(int(state)))
	after, err := page.Decode(token, query)
	if err != nil {
		return "", err
	}
	list, next, err := s.listRecords(ctx, t, kind, state, after, size)
	if err != nil {
		return "", err
	}
	for _, d := range list {
		if err := add(d); err != nil {
			return "", err
		}
	}
	if next == "" {
		return "", nil
	}
	return page.Encode(next, query), nil
}

// changeEnrolment loads an enrolment, applies c (decideEnrolment) and writes it.
func (s *service) changeEnrolment(ctx context.Context, name, action string, c enrolmentCommand) (*stewardshipv1.Enrolment, error) {
	t, id, err := parseEnrolment(name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *stewardshipv1.Enrolment
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		cur := &stewardshipv1.Enrolment{}
		if err := s.getRecord(ctx, t, "enrolment", id, cur); errors.Is(err, sqlstore.ErrNotFound) {
			return enrolmentNotFound(name)
		} else if err != nil {
			return err
		}
		next, err := decideEnrolment(cur, c)
		if err != nil {
			return err
		}
		next.UpdateTime = ts(now)
		out = next
		return s.putRecord(ctx, record{tenant: t, kind: "enrolment", id: id, state: int64(next.GetState())}, next, now, action, name, cur, true)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReachMilestone records a milestone reached (see the contract).
func (s *service) ReachMilestone(ctx context.Context, r *stewardshipv1.ReachMilestoneRequest) (*stewardshipv1.Enrolment, error) {
	if err := date("reached_date", r.GetReachedDate(), true); err != nil {
		return nil, err
	}
	return s.changeEnrolment(ctx, r.GetName(), "stewardship.ReachMilestone", reachMilestone{number: int(r.GetMilestone()), date: r.GetReachedDate()})
}

// ReviewEnrolment decides the review (see the contract).
func (s *service) ReviewEnrolment(ctx context.Context, r *stewardshipv1.ReviewEnrolmentRequest) (*stewardshipv1.Enrolment, error) {
	if err := text("note", r.GetNote(), !r.GetRecognised(), 1000); err != nil {
		return nil, err
	}
	return s.changeEnrolment(ctx, r.GetName(), "stewardship.ReviewEnrolment", review{recognised: r.GetRecognised(), note: r.GetNote()})
}

// GrantAward grants an award (see the contract).
func (s *service) GrantAward(ctx context.Context, r *stewardshipv1.GrantAwardRequest) (*stewardshipv1.Enrolment, error) {
	in := r.GetAward()
	if in.GetKind() == stewardshipv1.AwardKind_AWARD_KIND_UNSPECIFIED || stewardshipv1.AwardKind_name[int32(in.GetKind())] == "" {
		return nil, errs.Invalid("award.kind", "INVALID_KIND", "奖励类型应为企业所得税、个人所得税或固定资产投资")
	}
	fen, err := parseMoney("award.amount", in.GetAmount(), true)
	if err != nil {
		return nil, err
	}
	if err := text("award.basis", in.GetBasis(), true, 500); err != nil {
		return nil, err
	}
	return s.changeEnrolment(ctx, r.GetName(), "stewardship.GrantAward", grantAward{kind: in.GetKind(), amount: fen, basis: in.GetBasis()})
}

// PayAward records an award paid (see the contract).
func (s *service) PayAward(ctx context.Context, r *stewardshipv1.PayAwardRequest) (*stewardshipv1.Enrolment, error) {
	if err := date("pay_date", r.GetPayDate(), true); err != nil {
		return nil, err
	}
	if err := text("reference", r.GetReference(), true, 100); err != nil {
		return nil, err
	}
	return s.changeEnrolment(ctx, r.GetName(), "stewardship.PayAward", payAward{number: int(r.GetAward()), date: r.GetPayDate(), reference: r.GetReference()})
}

// CreateMeeting records a meeting (see the contract).
func (s *service) CreateMeeting(ctx context.Context, r *stewardshipv1.CreateMeetingRequest) (*stewardshipv1.Meeting, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetMeeting()
	if in == nil {
		return nil, errs.Invalid("meeting", "REQUIRED", "meeting 不能为空")
	}
	if err := date("meeting.meeting_date", in.GetMeetingDate(), true); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		field, v string
		required bool
		max      int
	}{{"meeting.title", in.GetTitle(), true, 200}, {"meeting.minutes", in.GetMinutes(), true, 20000}} {
		if err := text(f.field, f.v, f.required, f.max); err != nil {
			return nil, err
		}
	}
	if len(in.GetEnterprises()) > 100 || len(in.GetOfficials()) > 50 {
		return nil, errs.Invalid("meeting", "TOO_MANY", "参会企业最多 100 家，参会人员最多 50 人")
	}
	for i, o := range in.GetOfficials() {
		if err := text(fmt.Sprintf("meeting.officials[%d]", i), o, true, 50); err != nil {
			return nil, err
		}
	}
	for i, en := range in.GetEnterprises() {
		et, _, err := parseEnterprise(fmt.Sprintf("meeting.enterprises[%d]", i), en)
		if err != nil {
			return nil, err
		}
		if !t.Contains(et) {
			return nil, errs.Invalid(fmt.Sprintf("meeting.enterprises[%d]", i), "OUTSIDE_SUBTREE", "参会企业须在本单位辖区之内")
		}
		if _, err := s.enterpriseAt(ctx, fmt.Sprintf("meeting.enterprises[%d]", i), en); err != nil {
			return nil, errs.Invalid(fmt.Sprintf("meeting.enterprises[%d]", i), "ENTERPRISE_NOT_FOUND", "企业不存在")
		}
	}
	now := s.now()
	out := &stewardshipv1.Meeting{MeetingDate: in.GetMeetingDate(), Title: in.GetTitle(), Enterprises: in.GetEnterprises(),
		Officials: in.GetOfficials(), Minutes: in.GetMinutes(), RecordedBy: caller(ctx), CreateTime: ts(now)}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		id, err := s.nextID(ctx, "M")
		if err != nil {
			return err
		}
		out.Name = resname.Name(t, "meetings", id)
		return s.putRecord(ctx, record{tenant: t, kind: "meeting", id: id}, out, now, "stewardship.CreateMeeting", out.GetName(), nil, false)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListMeetings lists meetings (see the contract).
func (s *service) ListMeetings(ctx context.Context, r *stewardshipv1.ListMeetingsRequest) (*stewardshipv1.ListMeetingsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	resp := &stewardshipv1.ListMeetingsResponse{}
	resp.NextPageToken, err = s.listPage(ctx, t, "meeting", 0, r.GetPageSize(), r.GetPageToken(), func(data string) error {
		m := &stewardshipv1.Meeting{}
		resp.Meetings = append(resp.Meetings, m)
		return unmarshal.Unmarshal([]byte(data), m)
	})
	return resp, err
}

// meetingExists checks that name is a meeting of t's subtree.
func (s *service) meetingExists(ctx context.Context, field, name string, t tenancy.ID) error {
	mt, id, err := resname.Parse(field, name, "meetings", meetingID)
	if err != nil {
		return err
	}
	if !mt.Contains(t) && !t.Contains(mt) {
		return errs.Invalid(field, "MEETING_NOT_FOUND", "会客厅会议不存在")
	}
	if err := s.getRecord(ctx, mt, "meeting", id, &stewardshipv1.Meeting{}); errors.Is(err, sqlstore.ErrNotFound) {
		return errs.Invalid(field, "MEETING_NOT_FOUND", "会客厅会议不存在")
	} else if err != nil {
		return err
	}
	return nil
}

// CreateSuggestion records a suggestion (see the contract).
func (s *service) CreateSuggestion(ctx context.Context, r *stewardshipv1.CreateSuggestionRequest) (*stewardshipv1.Suggestion, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetSuggestion()
	if in == nil {
		return nil, errs.Invalid("suggestion", "REQUIRED", "suggestion 不能为空")
	}
	if err := text("suggestion.title", in.GetTitle(), true, 200); err != nil {
		return nil, err
	}
	if err := text("suggestion.content", in.GetContent(), true, 5000); err != nil {
		return nil, err
	}
	cc := ""
	if in.GetEnterprise() != "" {
		e, err := s.enterpriseAt(ctx, "suggestion.enterprise", in.GetEnterprise())
		if err != nil {
			return nil, errs.Invalid("suggestion.enterprise", "ENTERPRISE_NOT_FOUND", "企业不存在")
		}
		cc = e.record.GetCreditCode()
	}
	if in.GetMeeting() != "" {
		if err := s.meetingExists(ctx, "suggestion.meeting", in.GetMeeting(), t); err != nil {
			return nil, err
		}
	}
	now := s.now()
	out := &stewardshipv1.Suggestion{Enterprise: in.GetEnterprise(), Title: in.GetTitle(), Content: in.GetContent(), Meeting: in.GetMeeting(),
		State: stewardshipv1.SuggestionState_SUGGESTION_STATE_SUBMITTED, UpdateTime: ts(now)}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		id, err := s.nextID(ctx, "S")
		if err != nil {
			return err
		}
		out.Name = resname.Name(t, "suggestions", id)
		return s.putRecord(ctx, record{tenant: t, kind: "suggestion", id: id, cc: cc, state: int64(out.GetState())}, out, now,
			"stewardship.CreateSuggestion", out.GetName(), nil, false)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DecideSuggestion decides a suggestion (see the contract).
func (s *service) DecideSuggestion(ctx context.Context, r *stewardshipv1.DecideSuggestionRequest) (*stewardshipv1.Suggestion, error) {
	t, id, err := resname.Parse("name", r.GetName(), "suggestions", suggestionID)
	if err != nil {
		return nil, err
	}
	if err := text("note", r.GetNote(), false, 1000); err != nil {
		return nil, err
	}
	if err := text("policy", r.GetPolicy(), false, 300); err != nil {
		return nil, err
	}
	now := s.now()
	var out *stewardshipv1.Suggestion
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		cur := &stewardshipv1.Suggestion{}
		if err := s.getRecord(ctx, t, "suggestion", id, cur); errors.Is(err, sqlstore.ErrNotFound) {
			return errs.New(errs.NotFound, "SUGGESTION_NOT_FOUND", "建议不存在")
		} else if err != nil {
			return err
		}
		next, err := decideSuggestion(cur, r.GetAdopted(), r.GetNote(), r.GetPolicy())
		if err != nil {
			return err
		}
		next.UpdateTime = ts(now)
		out = next
		return s.putRecord(ctx, record{tenant: t, kind: "suggestion", id: id, state: int64(next.GetState())}, next, now,
			"stewardship.DecideSuggestion", r.GetName(), cur, true)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListSuggestions lists suggestions (see the contract).
func (s *service) ListSuggestions(ctx context.Context, r *stewardshipv1.ListSuggestionsRequest) (*stewardshipv1.ListSuggestionsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if stewardshipv1.SuggestionState_name[int32(r.GetState())] == "" {
		return nil, errs.Invalid("state", "INVALID_STATE", "状态不正确")
	}
	resp := &stewardshipv1.ListSuggestionsResponse{}
	resp.NextPageToken, err = s.listPage(ctx, t, "suggestion", int64(r.GetState()), r.GetPageSize(), r.GetPageToken(), func(data string) error {
		m := &stewardshipv1.Suggestion{}
		resp.Suggestions = append(resp.Suggestions, m)
		return unmarshal.Unmarshal([]byte(data), m)
	})
	return resp, err
}

// awardsOf lists the awards of an enterprise's enrolments, for the 360° view.
func (s *service) awardsOf(ctx context.Context, cc string) ([]*stewardshipv1.Enrolment, error) {
	return sqlstore.QueryAll(ctx, s.db, scanJSON[*stewardshipv1.Enrolment], `SELECT data FROM records WHERE kind = 'enrolment' AND credit_code = $1
		ORDER BY tenant, id LIMIT 50`, cc)
}
