package legalaid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/check"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

// service is the business logic; Server wires it to transports and infrastructure.
type service struct {
	// API serves ListAuditRecords and VerifyAuditChain over this service's chains.
	audit.API
	config.SettingsAPI[Settings]
	db       *sqlstore.DB
	audit    *audit.Sealer
	st       store
	cal      *calendar.Calendar
	settings *config.Settings[Settings]
	enforcer *authz.Enforcer
	log      *slog.Logger
	now      func() time.Time
	wake     func()
	docs     *docref.Checker // nil without a documents peer: references are checked for form only
	holds    *holds          // nil without a documents peer: case files are not held
	slaCount calendar.Crossings
}

// TopicCaseChanged is the webhook topic of every change of a case filed with a court,
// sent to that court's receiver (CourtReceiver).
const TopicCaseChanged = "legalaid.case.changed"

// CourtReceiver is the outbox receiver of a court's webhooks ("court_gaoxin_court").
func CourtReceiver(court string) string { return "court_" + court }

var (
	idPattern     = regexp.MustCompile(`^L-[0-9]{8}-[0-9]{6}$`)
	ticketPattern = regexp.MustCompile(`^tenants/[a-z0-9.]+/tickets/T-[0-9]{8}-[0-9]{6}$`)
)

func etag(rev int64) string { return strconv.FormatInt(rev, 10) }
func itoa(n int) string     { return strconv.Itoa(n) }

func parseParent(parent string) (tenancy.ID, error) { return resname.Parent("parent", parent) }

func parseName(field, name string) (tenancy.ID, string, error) {
	return resname.Parse(field, name, "cases", idPattern)
}

// narrowOf is which cases of tenant t's subtree the caller reaches (see narrow).
func (s *service) narrowOf(ctx context.Context, t tenancy.ID) narrow {
	acc := authz.AccessFrom(ctx)
	if acc.Applicant {
		return narrow{all: true} // the owner filter narrows applicants
	}
	sub := acc.Subject
	if sub == "" {
		sub, _ = authn.Subject(ctx)
	}
	if court, ok := s.settings.Get().CourtClients[sub]; ok && sub != "" {
		return narrow{court: court}
	}
	if sub != "" && s.enforcer.Allowed(sub, t, ObjectCaseload, "read") {
		return narrow{all: true}
	}
	if sub == "" {
		sub = "\x00" // nobody: matches no assignee
	}
	return narrow{assignee: sub}
}

// sees reports whether n reaches lc.
func (n narrow) sees(lc *legalCase) bool {
	switch {
	case n.all:
		return true
	case n.court != "":
		return lc.Court == n.court
	}
	return lc.Assignee == n.assignee
}

// visible refuses, before any check of the request, a case the caller cannot reach: the
// answer is the same whatever else the request holds.
func (s *service) visible(ctx context.Context, name string) error {
	_, _, err := s.load(ctx, name)
	return err
}

// load reads the case name addresses, as the caller may see it: one out of reach is
// CASE_NOT_FOUND, as if it did not exist.
func (s *service) load(ctx context.Context, name string) (*legalCase, narrow, error) {
	t, id, err := parseName("name", name)
	if err != nil {
		return nil, narrow{}, err
	}
	lc, err := s.st.get(ctx, t, id)
	if err != nil {
		return nil, narrow{}, err
	}
	n := s.narrowOf(ctx, lc.Tenant)
	if !n.sees(lc) {
		return nil, narrow{}, caseNotFound(name)
	}
	return lc, n, nil
}

func (s *service) CreateCase(ctx context.Context, r *legalaidv1.CreateCaseRequest) (*legalaidv1.Case, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetCase()
	if in == nil {
		return nil, errs.Invalid("case", "REQUIRED", "case 不能为空")
	}
	now := s.now()
	set := s.settings.For(t)
	lc := &legalCase{Tenant: t, Revision: 1, State: legalaidv1.State_STATE_RECEIVED, Claims: in.GetClaims(),
		Urgency: in.GetUrgency(), Created: now, Updated: now}
	if err := check.Text("case.claims", in.GetClaims(), true, 5000); err != nil {
		return nil, err
	}
	if _, ok := legalaidv1.CaseType_name[int32(in.GetCaseType())]; !ok || in.GetCaseType() == legalaidv1.CaseType_CASE_TYPE_UNSPECIFIED {
		return nil, errs.Invalid("case.case_type", "INVALID_CASE_TYPE", "案件类型应为民事、商事、行政、劳动争议或破产")
	}
	lc.Type = in.GetCaseType()
	if _, ok := legalaidv1.Urgency_name[int32(lc.Urgency)]; !ok {
		return nil, errs.Invalid("case.urgency", "INVALID_URGENCY", "紧急程度不正确")
	}
	if lc.Urgency == legalaidv1.Urgency_URGENCY_UNSPECIFIED {
		lc.Urgency = legalaidv1.Urgency_URGENCY_NORMAL
	}
	if lc.AmountFen, err = parseYuan("case.claim_amount", in.GetClaimAmount()); err != nil {
		return nil, err
	}
	if err := check.Text("case.applicant.name", in.GetApplicant().GetName(), true, 200); err != nil {
		return nil, err
	}
	code, err := checkCredit("case.applicant.credit_code", in.GetApplicant().GetCreditCode())
	if err != nil {
		return nil, err
	}
	lc.Applicant = party{Name: strings.TrimSpace(in.GetApplicant().GetName()), CreditCode: code}
	if len(in.GetCounterparties()) > 20 {
		return nil, errs.Invalid("case.counterparties", "TOO_MANY", "对方当事人不超过 20 个")
	}
	for i, c := range in.GetCounterparties() {
		field := fmt.Sprintf("case.counterparties[%d]", i)
		if err := check.Text(field+".name", c.GetName(), true, 200); err != nil {
			return nil, err
		}
		p := party{Name: strings.TrimSpace(c.GetName())}
		if c.GetCreditCode() != "" {
			if p.CreditCode, err = checkCredit(field+".credit_code", c.GetCreditCode()); err != nil {
				return nil, err
			}
		}
		lc.Counterparties = append(lc.Counterparties, p)
	}
	// One party once: the searches by party read one row per case.
	seen := map[string]bool{lc.Applicant.CreditCode: true, "name:" + lc.Applicant.Name: true}
	for i, p := range lc.Counterparties {
		if (p.CreditCode != "" && seen[p.CreditCode]) || seen["name:"+p.Name] {
			return nil, errs.Invalid(fmt.Sprintf("case.counterparties[%d]", i), "DUPLICATE_PARTY", "当事人重复")
		}
		seen[p.CreditCode], seen["name:"+p.Name] = p.CreditCode != "", true
	}
	if len(in.GetHardship()) > 20 {
		return nil, errs.Invalid("case.hardship", "TOO_MANY", "困难情况不超过 20 项")
	}
	for k, v := range in.GetHardship() {
		if !attrPattern.MatchString(k) {
			return nil, errs.Invalid("case.hardship", "INVALID_ATTRIBUTE", "困难情况的名称格式不正确: "+k)
		}
		if _, err := parseDecimal("case.hardship."+k, v); err != nil {
			return nil, err
		}
	}
	lc.Hardship = in.GetHardship()
	if err := s.arrival(ctx, lc, in); err != nil {
		return nil, err
	}
	lc.RegClock = calendar.NewClock(now, calendar.Duration{N: set.RegistrationDays, Unit: calendar.WorkingDays})
	if err := s.computeDues(lc, now, time.Time{}); err != nil {
		return nil, err
	}
	// The conflict check reads before the transaction: it informs, it does not refuse.
	if lc.Conflicts, err = s.st.conflicts(ctx, t, lc.Applicant, lc.Counterparties); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		day := calendar.DateOf(now)
		n, err := s.db.NextSeq(ctx, fmt.Sprintf("legalaid/%s/%04d%02d%02d", t, day.Year, day.Month, day.Day))
		if err != nil {
			return err
		}
		lc.ID = fmt.Sprintf("L-%04d%02d%02d-%06d", day.Year, day.Month, day.Day, n)
		if err := s.st.insert(ctx, lc); err != nil {
			return err
		}
		if _, err := s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "legalaid.CreateCase", Resource: lc.name(), After: lc.proto(false), Time: now}); err != nil {
			return err
		}
		return s.notify(ctx, lc, "legalaid.CreateCase")
	})
	if err != nil {
		return nil, err
	}
	s.db.AfterCommit(ctx, s.wake)
	return lc.proto(false), nil
}

// arrival applies the caller rules of intake: how a case arrived is who files it. A
// court's client files court referrals, linked to its court; an enterprise files online
// for itself; staff say whether it came in at a window, from a ticket or from a steward.
// A lawyer who takes a case in has it assigned.
func (s *service) arrival(ctx context.Context, lc *legalCase, in *legalaidv1.Case) error {
	acc := authz.AccessFrom(ctx)
	sub := acc.Subject
	asked := in.GetArrival()
	if _, ok := legalaidv1.Arrival_name[int32(asked)]; !ok {
		return errs.Invalid("case.arrival", "INVALID_ARRIVAL", "来源不正确")
	}
	refuse := func() error {
		return errs.Invalid("case.arrival", "ARRIVAL_NOT_CALLER", "案件来源由提交方的身份决定")
	}
	if court, ok := s.settings.Get().CourtClients[sub]; ok && sub != "" {
		if asked != legalaidv1.Arrival_ARRIVAL_UNSPECIFIED && asked != legalaidv1.Arrival_ARRIVAL_COURT_REFERRAL {
			return refuse()
		}
		lc.Arrival, lc.Court, lc.State = legalaidv1.Arrival_ARRIVAL_COURT_REFERRAL, court, legalaidv1.State_STATE_FILED
		return nil
	}
	if acc.Applicant {
		if asked != legalaidv1.Arrival_ARRIVAL_UNSPECIFIED && asked != legalaidv1.Arrival_ARRIVAL_ONLINE {
			return refuse()
		}
		if acc.Org == "" || acc.Org != lc.Applicant.CreditCode {
			return errs.Invalid("case.applicant.credit_code", "NOT_OWN_ENTERPRISE", "企业只能为本企业申请")
		}
		lc.Arrival, lc.OwnerSubject, lc.OwnerOrg = legalaidv1.Arrival_ARRIVAL_ONLINE, acc.Subject, acc.Org
		return nil
	}
	switch asked {
	case legalaidv1.Arrival_ARRIVAL_UNSPECIFIED, legalaidv1.Arrival_ARRIVAL_WALK_IN:
		lc.Arrival = legalaidv1.Arrival_ARRIVAL_WALK_IN
	case legalaidv1.Arrival_ARRIVAL_STEWARD:
		lc.Arrival = asked
	case legalaidv1.Arrival_ARRIVAL_TICKET:
		if !ticketPattern.MatchString(in.GetTicket()) {
			return errs.Invalid("case.ticket", "INVALID_TICKET", "来源工单应为 tenants/{tenant}/tickets/{id}")
		}
		lc.Arrival, lc.Ticket = asked, in.GetTicket()
	default:
		return refuse()
	}
	if !s.enforcer.Allowed(sub, lc.Tenant, ObjectCaseload, "read") {
		// A lawyer (or the legal adviser) taking a case in handles it.
		lc.Assignee, lc.AssigneeRole, lc.State = sub, legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LAWYER, legalaidv1.State_STATE_ASSIGNED
	}
	return nil
}

// computeDues evaluates the running clocks at now and keeps their deadlines on the case,
// and the next time the sweep must look (the earliest threshold at or after from).
func (s *service) computeDues(lc *legalCase, now, from time.Time) error {
	lc.NextCheck = slasweep.Never
	rs, err := s.cal.Status(lc.RegClock, now)
	if err != nil {
		return err
	}
	lc.RegDue = rs.Due
	if lc.registering() {
		lc.NextCheck = min(lc.NextCheck, slasweep.Earliest(rs, from))
	}
	if t := lc.Trial; t != nil {
		ts, err := s.cal.Status(t.Clock, now)
		if err != nil {
			return err
		}
		ss, err := s.cal.Status(t.Statutory, now)
		if err != nil {
			return err
		}
		t.Due, t.StatutoryDue = ts.Due, ss.Due
		if lc.trialRunning() {
			lc.NextCheck = min(lc.NextCheck, slasweep.Earliest(ts, from), slasweep.Earliest(ss, from))
		}
	}
	return nil
}

// notify queues the change for the case's court (same transaction); a case with no
// court yet has no one to tell. The key makes it one event per revision, so a retry of
// the delivery carries the same delivery id.
func (s *service) notify(ctx context.Context, lc *legalCase, action string) error {
	if lc.Court == "" {
		return nil
	}
	body := map[string]any{
		"name": lc.name(), "court": lc.Court, "court_case_number": lc.Number, "state": lc.State.String(),
		"revision": lc.Revision, "action": action, "update_time": lc.Updated, "hearings": len(lc.Hearings),
		"docket_entries": len(lc.Docket),
	}
	if t := lc.Trial; t != nil {
		body["trial_due"], body["trial_paused"] = t.Due.At, t.Clock.Paused()
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{Tenant: lc.Tenant, Topic: TopicCaseChanged, Receiver: CourtReceiver(lc.Court),
		Key: lc.name() + "#" + etag(lc.Revision), Payload: payload})
	return err
}

func (s *service) GetCase(ctx context.Context, r *legalaidv1.GetCaseRequest) (*legalaidv1.Case, error) {
	lc, n, err := s.load(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	p := lc.proto(n.court != "")
	if p.Alerts, err = s.st.alerts(ctx, lc); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *service) ListCases(ctx context.Context, r *legalaidv1.ListCasesRequest) (*legalaidv1.ListCasesResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if _, ok := legalaidv1.State_name[int32(r.GetState())]; !ok {
		return nil, errs.Invalid("state", "INVALID_STATE", "状态不正确")
	}
	f := listFilter{state: r.GetState(), party: strings.TrimSpace(r.GetParty()), court: r.GetCourt()}
	if r.GetCreditCode() != "" {
		if f.credit, err = checkCredit("credit_code", r.GetCreditCode()); err != nil {
			return nil, err
		}
	}
	if r.GetCourtCaseNumber() != "" {
		f.number = normalizeCaseNumber(r.GetCourtCaseNumber())
		if _, err := parseCaseNumber(f.number, s.now()); err != nil {
			return nil, err
		}
	}
	if len(f.party) > 200 {
		return nil, errs.Invalid("party", "TOO_LONG", "当事人名称过长")
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("legalaid", string(t), r.GetState().String(), f.credit, f.party, f.number, f.court)
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	afterID, afterTenant, _ := strings.Cut(after, "|")
	n := s.narrowOf(ctx, t)
	list, err := s.st.list(ctx, t, f, n, authz.AccessFrom(ctx), afterID, afterTenant, size+1)
	if err != nil {
		return nil, err
	}
	resp := &legalaidv1.ListCasesResponse{}
	if len(list) > size {
		list = list[:size]
		last := list[size-1]
		resp.NextPageToken = page.Encode(last.ID+"|"+string(last.Tenant), query)
	}
	for _, lc := range list {
		resp.Cases = append(resp.Cases, lc.proto(n.court != ""))
	}
	return resp, nil
}

// change is one transition: load the case as the caller sees it, check the etag, decide
// c (lifecycle.go), then write, audit and tell the court, in one transaction.
func (s *service) change(ctx context.Context, name, tag string, c command) (*legalaidv1.Case, error) {
	lc, n, err := s.load(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := errs.CheckEtag(tag, etag(lc.Revision)); err != nil {
		return nil, err
	}
	before, prev := lc.proto(true), lc.Revision
	now := s.now()
	sub, _ := authn.Subject(ctx)
	set := s.settings.For(lc.Tenant)
	lc, eff, err := decide(lc, c, sub, rules{TrialDays: set.TrialDays[typeName(lc.Type)], FeeSupport: set.FeeSupport}, now)
	if err != nil {
		return nil, err
	}
	if err := s.computeDues(lc, now, time.Time{}); err != nil {
		return nil, err
	}
	// A case closes only once its own holds are released (holds.go); decide has left
	// them on the closed case, so they are taken off here, before the write.
	var released []string
	if !lc.open() {
		if released = ownHolds(lc); len(released) > 0 {
			if lost, err := s.holds.releaseAll(ctx, released, lc.name()); err != nil {
				s.holdLost(ctx, name, lost)
				return nil, err
			}
			for i := range lc.Files {
				if lc.Files[i].Own {
					lc.Files[i].Hold, lc.Files[i].Own = false, false
				}
			}
		}
	}
	lc.Revision, lc.Updated = prev+1, now
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		ok, err := s.st.update(ctx, lc, prev)
		if err != nil {
			return err
		}
		if !ok {
			return errs.ErrStaleVersion
		}
		if _, err := s.audit.Record(ctx, audit.Entry{Tenant: lc.Tenant, Action: eff.Action, Resource: lc.name(),
			Before: before, After: lc.proto(true), Time: now}); err != nil {
			return err
		}
		return s.notify(ctx, lc, eff.Action)
	})
	if err != nil && len(released) > 0 {
		// The close was not written: the case is open and holds its files again.
		s.holdLost(ctx, name, s.holds.rehold(ctx, released, lc.name()))
	}
	if errors.Is(err, sqlstore.ErrDuplicate) {
		return nil, ErrDuplicateNumber.WithMessage("法院 %s 已有案号为 %s 的案件", lc.Court, lc.Number).
			WithField("court_case_number", ErrDuplicateNumber.Code, "案号重复")
	}
	if err != nil {
		return nil, err
	}
	s.db.AfterCommit(ctx, s.wake)
	return lc.proto(n.court != ""), nil
}

var subjectPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._@-]{0,127}$`)

func (s *service) AssessFeeSupport(ctx context.Context, r *legalaidv1.AssessFeeSupportRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if err := check.Text("note", r.GetNote(), false, 500); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), feeCmd{Approve: r.GetApprove(), Note: r.GetNote()})
}

// ErrAssigneeCannotHandle refuses an assignee who may not work on cases where the case is.
var ErrAssigneeCannotHandle = errs.New(errs.InvalidArgument, "ASSIGNEE_CANNOT_HANDLE", "被指派人无权办理该案件")

func (s *service) AssignCase(ctx context.Context, r *legalaidv1.AssignCaseRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	role := r.GetRole()
	if role != legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LEGAL_ADVISER && role != legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LAWYER {
		return nil, errs.Invalid("role", "INVALID_ROLE", "应指派给区法律顾问或法援律师")
	}
	if !subjectPattern.MatchString(r.GetAssignee()) {
		return nil, errs.Invalid("assignee", "INVALID_ASSIGNEE", "被指派人账号格式不正确")
	}
	t, _, err := parseName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	if !s.enforcer.Allowed(r.GetAssignee(), t, Object, "update") {
		return nil, ErrAssigneeCannotHandle.WithField("assignee", ErrAssigneeCannotHandle.Code, "被指派人无权办理该案件")
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), assignCmd{Assignee: r.GetAssignee(), Role: role})
}

func (s *service) FileCase(ctx context.Context, r *legalaidv1.FileCaseRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if _, ok := s.settings.Get().Courts[r.GetCourt()]; !ok {
		return nil, ErrUnknownCourt.WithField("court", ErrUnknownCourt.Code, "法院不存在: "+r.GetCourt())
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), fileCmd{Court: r.GetCourt()})
}

func (s *service) RecordDocketing(ctx context.Context, r *legalaidv1.RecordDocketingRequest) (*legalaidv1.Case, error) {
	lc, _, err := s.load(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	if err := check.Text("title", r.GetTitle(), true, 200); err != nil {
		return nil, err
	}
	num := ""
	if r.GetCourtCaseNumber() != "" {
		num = normalizeCaseNumber(r.GetCourtCaseNumber())
		cn, err := parseCaseNumber(num, s.now())
		if err != nil {
			return nil, err
		}
		if court, ok := s.settings.Get().Courts[lc.Court]; !ok || court.Code != cn.Court {
			return nil, ErrInvalidCaseNumber.WithMessage("案号 %s 不属于受理法院", num).
				WithField("court_case_number", "CASE_NUMBER_OTHER_COURT", "案号的法院代字与受理法院不符")
		}
	}
	if r.GetDocument() != "" {
		if err := s.docs.Check(ctx, "document", r.GetDocument()); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), docketCmd{Number: num, Title: r.GetTitle(), Document: r.GetDocument()})
}

func (s *service) StrikeDocketEntry(ctx context.Context, r *legalaidv1.StrikeDocketEntryRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if r.GetEntry() == "" {
		return nil, errs.Invalid("entry", "REQUIRED", "请指明卷宗登记")
	}
	if err := check.Text("reason", r.GetReason(), true, 500); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), strikeCmd{Entry: r.GetEntry(), Seal: r.GetSeal(), Reason: r.GetReason()})
}

// DeleteDocketEntry refuses: a docket is a record of what was filed; an entry filed in
// error is struck, a confidential one sealed, and both stay listed.
func (s *service) DeleteDocketEntry(ctx context.Context, r *legalaidv1.DeleteDocketEntryRequest) (*legalaidv1.Case, error) {
	if _, _, err := s.load(ctx, r.GetName()); err != nil {
		return nil, err
	}
	return nil, ErrEntryPermanent
}

func (s *service) ReserveCourtDate(ctx context.Context, r *legalaidv1.ReserveCourtDateRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if r.GetStartTime() == nil || r.GetStartTime().CheckValid() != nil {
		return nil, errs.Invalid("start_time", "REQUIRED", "开庭时间不能为空")
	}
	if err := check.Text("courtroom", r.GetCourtroom(), true, 100); err != nil {
		return nil, err
	}
	if err := check.Text("override_reason", r.GetOverrideReason(), false, 500); err != nil {
		return nil, err
	}
	start := r.GetStartTime().AsTime()
	working, _ := s.cal.IsWorkingDay(calendar.DateOf(start))
	return s.change(ctx, r.GetName(), r.GetEtag(), reserveCmd{Start: start, Courtroom: r.GetCourtroom(), CourtDay: working, Override: r.GetOverrideReason()})
}

func (s *service) NotifyCourtDate(ctx context.Context, r *legalaidv1.NotifyCourtDateRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	switch r.GetOutcome() {
	case legalaidv1.HearingOutcome_HEARING_OUTCOME_HELD, legalaidv1.HearingOutcome_HEARING_OUTCOME_ADJOURNED,
		legalaidv1.HearingOutcome_HEARING_OUTCOME_CANCELLED, legalaidv1.HearingOutcome_HEARING_OUTCOME_SCHEDULED:
	default:
		return nil, errs.Invalid("outcome", "INVALID_OUTCOME", "庭审结果不正确")
	}
	if err := check.Text("note", r.GetNote(), false, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), notifyCmd{Hearing: r.GetHearing(), Outcome: r.GetOutcome(), Note: r.GetNote()})
}

func (s *service) SuspendTrial(ctx context.Context, r *legalaidv1.SuspendTrialRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if r.GetReason() == legalaidv1.SuspensionReason_SUSPENSION_REASON_UNSPECIFIED || legalaidv1.SuspensionReason_name[int32(r.GetReason())] == "" {
		return nil, errs.Invalid("reason", "INVALID_REASON", "扣除事由应为公告、鉴定、管辖权异议、中止诉讼或和解期间")
	}
	if r.GetStartTime() == nil || r.GetStartTime().CheckValid() != nil {
		return nil, errs.Invalid("start_time", "REQUIRED", "中止开始时间不能为空")
	}
	var end time.Time
	if r.GetEndTime() != nil {
		if r.GetEndTime().CheckValid() != nil {
			return nil, errs.Invalid("end_time", "INVALID_TIME", "中止结束时间不正确")
		}
		end = r.GetEndTime().AsTime()
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), suspendCmd{Reason: r.GetReason(), Start: r.GetStartTime().AsTime(), End: end})
}

func (s *service) ResumeTrial(ctx context.Context, r *legalaidv1.ResumeTrialRequest) (*legalaidv1.Case, error) {
	return s.change(ctx, r.GetName(), r.GetEtag(), resumeCmd{})
}

func (s *service) ExtendTrial(ctx context.Context, r *legalaidv1.ExtendTrialRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if r.GetDays() <= 0 || r.GetDays() > 366 {
		return nil, errs.Invalid("days", "INVALID_DAYS", "延长天数应为 1—366")
	}
	if err := check.Text("reason", r.GetReason(), true, 500); err != nil {
		return nil, err
	}
	if err := check.Text("approval", r.GetApproval(), true, 200); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), extendCmd{Days: r.GetDays(), Reason: r.GetReason(), Approval: r.GetApproval()})
}

func (s *service) RecordJudgment(ctx context.Context, r *legalaidv1.RecordJudgmentRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if err := check.Text("outcome", r.GetOutcome(), true, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), judgmentCmd{Outcome: r.GetOutcome(), Enforcement: r.GetEnforcementNeeded()})
}

func (s *service) RecordEnforcement(ctx context.Context, r *legalaidv1.RecordEnforcementRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if r.GetStatus() != legalaidv1.EnforcementStatus_ENFORCEMENT_STATUS_ONGOING && r.GetStatus() != legalaidv1.EnforcementStatus_ENFORCEMENT_STATUS_CONCLUDED {
		return nil, errs.Invalid("status", "INVALID_STATUS", "执行状态不正确")
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), enforcementCmd{Status: r.GetStatus()})
}

func (s *service) AddPreservation(ctx context.Context, r *legalaidv1.AddPreservationRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	in := r.GetPreservation()
	if in == nil {
		return nil, errs.Invalid("preservation", "REQUIRED", "保全措施不能为空")
	}
	p := preservation{Kind: in.GetKind(), Asset: in.GetAsset(), LegalBasis: in.GetLegalBasis(), Production: in.GetProductionAsset(),
		Flexibility: in.GetFlexibility(), Substitute: in.GetSubstitute()}
	switch p.Kind {
	case legalaidv1.MeasureKind_MEASURE_KIND_SEAL, legalaidv1.MeasureKind_MEASURE_KIND_SEIZE, legalaidv1.MeasureKind_MEASURE_KIND_FREEZE:
	default:
		return nil, errs.Invalid("preservation.kind", "INVALID_KIND", "保全措施应为查封、扣押或冻结")
	}
	switch p.Flexibility {
	case legalaidv1.Flexibility_FLEXIBILITY_UNSPECIFIED:
		p.Flexibility = legalaidv1.Flexibility_FLEXIBILITY_NONE
	case legalaidv1.Flexibility_FLEXIBILITY_NONE, legalaidv1.Flexibility_FLEXIBILITY_LIVE_SEAL:
	case legalaidv1.Flexibility_FLEXIBILITY_SUBSTITUTE:
		if err := check.Text("preservation.substitute", p.Substitute, true, 500); err != nil {
			return nil, err
		}
	default:
		return nil, errs.Invalid("preservation.flexibility", "INVALID_FLEXIBILITY", "灵活措施应为活封或换封")
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{"preservation.asset", p.Asset, 500}, {"preservation.legal_basis", p.LegalBasis, 500}} {
		if err := check.Text(f.field, f.v, true, f.max); err != nil {
			return nil, err
		}
	}
	var err error
	if p.AmountFen, err = parseYuan("preservation.amount", in.GetAmount()); err != nil {
		return nil, err
	}
	if p.ReservedCapitalFen, err = parseYuan("preservation.reserved_working_capital", in.GetReservedWorkingCapital()); err != nil {
		return nil, err
	}
	for field, list := range map[string][]string{"preservation.reserved_accounts": in.GetReservedAccounts(), "preservation.reserved_equipment": in.GetReservedEquipment()} {
		if len(list) > 50 {
			return nil, errs.Invalid(field, "TOO_MANY", "不超过 50 项")
		}
		for _, v := range list {
			if err := check.Text(field, v, true, 200); err != nil {
				return nil, err
			}
		}
	}
	p.ReservedAccounts, p.ReservedEquipment = in.GetReservedAccounts(), in.GetReservedEquipment()
	return s.change(ctx, r.GetName(), r.GetEtag(), preserveCmd{P: p})
}

func (s *service) ReleasePreservation(ctx context.Context, r *legalaidv1.ReleasePreservationRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if r.GetPreservation() == "" {
		return nil, errs.Invalid("preservation", "REQUIRED", "请指明要解除的保全措施")
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), releaseCmd{ID: r.GetPreservation()})
}

func (s *service) GetPreservationReport(ctx context.Context, r *legalaidv1.GetPreservationReportRequest) (*legalaidv1.PreservationReport, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	cases, err := s.st.preservations(ctx, t, s.narrowOf(ctx, t))
	if err != nil {
		return nil, err
	}
	rep := &legalaidv1.PreservationReport{}
	var capital, held int64
	for _, lc := range cases {
		for _, p := range lc.Preservations {
			if p.Released {
				continue
			}
			rep.Measures++
			held += p.AmountFen
			capital += p.ReservedCapitalFen
			rep.ReservedAccounts += int32(len(p.ReservedAccounts))
			rep.ReservedEquipment += int32(len(p.ReservedEquipment))
			switch p.Flexibility {
			case legalaidv1.Flexibility_FLEXIBILITY_LIVE_SEAL:
				rep.LiveSeals++
			case legalaidv1.Flexibility_FLEXIBILITY_SUBSTITUTE:
				rep.Substitutions++
			}
			if p.Production {
				rep.ProductionAssets++
				if p.Flexibility != legalaidv1.Flexibility_FLEXIBILITY_NONE {
					rep.KeptInProduction++
				}
			}
		}
	}
	rep.ReservedWorkingCapital, rep.AmountHeld = formatFen(capital), formatFen(held)
	return rep, nil
}

func (s *service) AddBankruptcyStep(ctx context.Context, r *legalaidv1.AddBankruptcyStepRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	in := r.GetStep()
	if in == nil || in.GetKind() == legalaidv1.StepKind_STEP_KIND_UNSPECIFIED || legalaidv1.StepKind_name[int32(in.GetKind())] == "" {
		return nil, errs.Invalid("step.kind", "INVALID_KIND", "府院联动事项类型不正确")
	}
	if err := check.Text("step.title", in.GetTitle(), true, 200); err != nil {
		return nil, err
	}
	if err := check.Text("step.department", in.GetDepartment(), true, 100); err != nil {
		return nil, err
	}
	st := step{Kind: in.GetKind(), Title: in.GetTitle(), Department: in.GetDepartment()}
	if in.GetDueTime() != nil {
		st.Due = in.GetDueTime().AsTime()
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), stepCmd{S: st})
}

func (s *service) CompleteBankruptcyStep(ctx context.Context, r *legalaidv1.CompleteBankruptcyStepRequest) (*legalaidv1.Case, error) {
	if err := s.visible(ctx, r.GetName()); err != nil {
		return nil, err
	}
	if r.GetStep() == "" {
		return nil, errs.Invalid("step", "REQUIRED", "请指明府院联动事项")
	}
	if err := check.Text("result", r.GetResult(), true, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), completeCmd{ID: r.GetStep(), Result: r.GetResult()})
}

// AddCaseFile holds the document first (while the case is open), then records it as a
// case file; a hold set for a file that could not be recorded is released again.
func (s *service) AddCaseFile(ctx context.Context, r *legalaidv1.AddCaseFileRequest) (*legalaidv1.Case, error) {
	lc, _, err := s.load(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	if err := s.docs.Check(ctx, "document", r.GetDocument()); err != nil {
		return nil, err
	}
	cmd := addFileCmd{Document: r.GetDocument(), Confidential: r.GetConfidential()}
	if lc.open() && s.holds != nil {
		if cmd.Own, err = s.holds.hold(ctx, cmd.Document, lc.name()); err != nil {
			return nil, err
		}
		cmd.Held = true
	}
	out, err := s.change(ctx, r.GetName(), r.GetEtag(), cmd)
	if err != nil && cmd.Own {
		if rerr := s.holds.release(ctx, cmd.Document); rerr != nil {
			s.log.ErrorContext(ctx, "a hold set for a case file that was not recorded could not be released",
				"case", lc.name(), "document", cmd.Document, "err", rerr)
		}
	}
	return out, err
}

// holdLost records, best effort, that documents of the case name are no longer held.
// It runs after a failure, possibly because the caller went away, so it gets a context
// of its own and retries a stale revision.
func (s *service) holdLost(ctx context.Context, name string, documents []string) {
	if len(documents) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), holdTimeout)
	defer cancel()
	var err error
	for range 3 {
		if _, err = s.change(ctx, name, "", holdLostCmd{Documents: documents}); !errors.Is(err, errs.ErrStaleVersion) {
			break
		}
	}
	if err != nil {
		s.log.ErrorContext(ctx, "case files no longer held could not be recorded as such", "case", name, "documents", documents, "err", err)
	}
}

// operations is what GetPolicy lists: the methods a court or a legal-aid team calls.
var operations = []string{"CreateCase", "GetCase", "ListCases", "RecordDocketing", "StrikeDocketEntry", "ReserveCourtDate",
	"NotifyCourtDate", "SuspendTrial", "ResumeTrial", "ExtendTrial", "RecordJudgment", "RecordEnforcement",
	"AddPreservation", "ReleasePreservation", "AddBankruptcyStep", "CompleteBankruptcyStep", "AddCaseFile", "GetPolicy"}

func (s *service) GetPolicy(context.Context, *legalaidv1.GetPolicyRequest) (*legalaidv1.Policy, error) {
	set := s.settings.Get()
	p := &legalaidv1.Policy{Operations: operations, RegistrationWorkingDays: int32(set.RegistrationDays), TrialDays: map[string]int32{}}
	for _, t := range caseTypes {
		p.CaseTypes = append(p.CaseTypes, t)
	}
	slices.Sort(p.CaseTypes)
	for typ, d := range set.TrialDays {
		p.TrialDays[typ] = int32(d)
	}
	ids := make([]string, 0, len(set.Courts))
	for id := range set.Courts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p.Courts = append(p.Courts, &legalaidv1.Court{Id: id, Title: set.Courts[id].Title, Code: set.Courts[id].Code})
	}
	return p, nil
}
