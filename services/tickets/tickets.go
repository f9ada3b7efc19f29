package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
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
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// service is the business logic; Server wires it to transports and infrastructure.
type service struct {
	// API serves ListAuditRecords and VerifyAuditChain over this service's chains.
	audit.API
	config.SettingsAPI[Settings]
	// The platform's working-day calendar (GetCalendar), served here once for every service.
	calendar.ReadAPI
	db       *sqlstore.DB
	audit    *audit.Sealer // records audit in db and chains it
	st       store
	cal      *calendar.Calendar
	settings *config.Settings[Settings]
	enforcer *authz.Enforcer
	log      *slog.Logger
	now      func() time.Time
	wake     func()          // tells the outbox dispatcher there is news; may be a no-op
	docs     *docref.Checker // nil when the documents service is not known: references are checked for form only
	slaCount calendar.Crossings
	slaCases *slasweep.Gauges // open, due soon and overdue, set after each sweep pass
}

// never is next_check_us of a ticket the sweep need not look at again.
const never = slasweep.Never

// TopicStatusChanged is the webhook topic of every public state change.
const TopicStatusChanged = "tickets.ticket.status_changed"

var (
	idPattern       = regexp.MustCompile(`^T-[0-9]{8}-[0-9]{6}$`)
	externalPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	areaPattern     = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

func etag(rev int64) string { return strconv.FormatInt(rev, 10) }

func parseParent(parent string) (tenancy.ID, error) { return resname.Parent("parent", parent) }

// parseName splits tenants/{tenant}/tickets/{id}.
func parseName(field, name string) (tenancy.ID, string, error) {
	return resname.Parse(field, name, "tickets", idPattern)
}

// text checks a required or optional free-text field.
func text(field, v string, required bool, maxRunes int) error {
	return check.Text(field, v, required, maxRunes)
}

func (s *service) CreateTicket(ctx context.Context, r *ticketsv1.CreateTicketRequest) (*ticketsv1.Ticket, error) {
	in, err := s.prepareIntake(ctx, r)
	if err != nil {
		return nil, err
	}
	return s.storeIntake(ctx, in)
}

// intake is a ticket checked and ready to store, and where it goes at intake.
type intake struct {
	tk       *ticket
	to       tenancy.ID
	dept     string
	explicit bool
	now      time.Time
}

// prepareIntake checks r, its attachments with the documents service among them, and
// builds the ticket. It holds no transaction: no network call runs inside one.
func (s *service) prepareIntake(ctx context.Context, r *ticketsv1.CreateTicketRequest) (*intake, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetTicket()
	if in == nil {
		return nil, errs.Invalid("ticket", "REQUIRED", "ticket 不能为空")
	}
	// Who files decides the source, the external id's scope and whether it may backdate.
	now := s.now()
	from, err := s.intakeOf(ctx, in, now)
	if err != nil {
		return nil, err
	}
	if in.GetExternalId() != "" && !externalPattern.MatchString(in.GetExternalId()) {
		return nil, errs.Invalid("ticket.external_id", "INVALID_EXTERNAL_ID", "来源编号格式不正确")
	}
	for _, f := range []struct {
		field, v string
		required bool
		max      int
	}{
		{"ticket.title", in.GetTitle(), true, 200}, {"ticket.description", in.GetDescription(), true, 5000},
		{"ticket.address", in.GetAddress(), false, 500}, {"ticket.complainant.name", in.GetComplainant().GetName(), false, 100},
		{"ticket.complainant.phone", in.GetComplainant().GetPhone(), false, 30},
		{"ticket.complainant.enterprise_name", in.GetComplainant().GetEnterpriseName(), false, 200},
	} {
		if err := text(f.field, f.v, f.required, f.max); err != nil {
			return nil, err
		}
	}
	credit := ""
	if c := in.GetComplainant().GetCreditCode(); c != "" {
		credit = govid.NormalizeCreditCode(c)
		if err := govid.ValidateCreditCode(credit); err != nil {
			return nil, errs.From(err).WithField("ticket.complainant.credit_code", "INVALID_CREDIT_CODE", "统一社会信用代码不正确")
		}
	}
	if a := in.GetAreaCode(); a != "" && !areaPattern.MatchString(a) {
		return nil, errs.Invalid("ticket.area_code", "INVALID_AREA_CODE", "区划/社区代码格式不正确")
	}
	set := s.settings.For(t)
	sla, ok := set.Categories[in.GetCategory()]
	if !ok {
		return nil, ErrUnknownCategory.WithMessage("诉求类别不存在: %q", in.GetCategory()).
			WithField("ticket.category", "UNKNOWN_CATEGORY", "诉求类别不存在")
	}
	to, dept, explicit, err := s.intakeDispatch(ctx, t, in, set.Routing)
	if err != nil {
		return nil, err
	}
	if err := s.checkAttachments(ctx, t, in.GetAttachments()); err != nil {
		return nil, err
	}
	received := from.received
	tk := &ticket{
		Tenant: t, Revision: 1, Source: from.source, ExternalID: from.external, Category: in.GetCategory(),
		Title: in.GetTitle(), Description: in.GetDescription(), Address: in.GetAddress(), AreaCode: in.GetAreaCode(),
		Attachments: in.GetAttachments(),
		Complainant: complainant{Name: in.GetComplainant().GetName(), Phone: in.GetComplainant().GetPhone(),
			EnterpriseName: in.GetComplainant().GetEnterpriseName(), CreditCode: credit},
		State: ticketsv1.State_STATE_RECEIVED, Priority: ticketsv1.Priority_PRIORITY_NORMAL,
		ResponseClock: calendar.NewClock(received, sla.Response), CloseClock: calendar.NewClock(received, sla.Close),
		Created: received, Updated: now,
	}
	if acc := authz.AccessFrom(ctx); acc.Applicant {
		tk.OwnerSubject, tk.OwnerOrg = acc.Subject, acc.Org // applicants own what they file
	}
	if err := s.computeDues(tk, now); err != nil {
		return nil, err
	}
	return &intake{tk: tk, to: to, dept: dept, explicit: explicit, now: now}, nil
}

// storeIntake numbers and writes a prepared ticket in a transaction of its own, or in a
// savepoint of the caller's (an idempotent batch): a failure undoes this ticket only.
func (s *service) storeIntake(ctx context.Context, in *intake) (*ticketsv1.Ticket, error) {
	tk, t, now, to := in.tk, in.tk.Tenant, in.now, in.to
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		day := calendar.DateOf(now)
		n, err := s.db.NextSeq(ctx, fmt.Sprintf("tickets/%s/%04d%02d%02d", t, day.Year, day.Month, day.Day))
		if err != nil {
			return err
		}
		tk.ID = fmt.Sprintf("T-%04d%02d%02d-%06d", day.Year, day.Month, day.Day, n)
		if err := s.st.insert(ctx, tk); err != nil {
			return err
		}
		if _, err := s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "tickets.CreateTicket", Resource: tk.name(), After: tk.proto(), Time: now}); err != nil {
			return err
		}
		if err := s.notify(ctx, tk); err != nil {
			return err
		}
		if to == "" {
			return nil
		}
		return s.dispatchAtIntake(ctx, tk, to, in.dept, in.explicit, now)
	})
	if errors.Is(err, sqlstore.ErrDuplicate) && tk.ExternalID != "" {
		// A resend of an external id answers with the ticket made the first time. The
		// unique index finds it, not a lookup before the insert: a resend is rare, and the
		// lookup cost every intake a round trip (2,000 instead of 1,700 tickets/s).
		if prev, err := s.st.byExternal(ctx, t, tk.Source, tk.ExternalID); err == nil && prev != nil {
			return prev.proto(), nil
		}
	}
	if err != nil {
		return nil, err
	}
	s.db.AfterCommit(ctx, s.wake) // under an idempotency key the call's transaction is still open
	return tk.proto(), nil
}

// computeDues evaluates both clocks at now and keeps the deadlines on the record, and
// the next time the sweep must look: the earliest threshold of a running clock (a past
// one too, as the sweep may not have recorded it yet; the sweep then moves it on).
func (s *service) computeDues(tk *ticket, now time.Time) error {
	return s.computeDuesFrom(tk, now, time.Time{})
}

// computeDuesFrom is computeDues with the next check the earliest threshold at or after
// from (the sweep, having recorded everything up to now, looks only ahead).
func (s *service) computeDuesFrom(tk *ticket, now, from time.Time) error {
	rs, err := s.cal.Status(tk.ResponseClock, now)
	if err != nil {
		return err
	}
	cs, err := s.cal.Status(tk.CloseClock, now)
	if err != nil {
		return err
	}
	tk.ResponseDue, tk.CloseDue = rs.Due, cs.Due
	tk.NextCheck = never
	if tk.open() {
		if tk.Responded.IsZero() {
			tk.NextCheck = min(tk.NextCheck, slasweep.Earliest(rs, from))
		}
		tk.NextCheck = min(tk.NextCheck, slasweep.Earliest(cs, from))
		if h := tk.Hard; h != nil && h.Explanation == "" {
			es, err := s.cal.Status(h.Clock, now)
			if err != nil {
				return err
			}
			h.ExplainDue = es.Due
			tk.NextCheck = min(tk.NextCheck, slasweep.Earliest(es, from))
		}
	}
	for _, pt := range tk.Parts {
		ps, err := s.cal.Status(pt.Clock, now)
		if err != nil {
			return err
		}
		pt.Due = ps.Due
		// A co-handler's unfinished part has reminders of its own.
		if tk.open() && pt.State != ticketsv1.PartState_PART_STATE_DONE {
			tk.NextCheck = min(tk.NextCheck, slasweep.Earliest(ps, from))
		}
	}
	return nil
}

// notify records the public status change of tk for the updates feed and queues it for
// its source platform (same transaction). Walk-in, online and suggestion tickets have no
// platform to tell.
func (s *service) notify(ctx context.Context, tk *ticket) error {
	if err := s.st.addUpdate(ctx, tk); err != nil {
		return err
	}
	if !hasPlatform(tk.Source) {
		return nil
	}
	body := map[string]any{
		"name": tk.name(), "source": tk.Source.String(), "external_id": tk.ExternalID, "state": tk.State.String(),
		"reply": tk.Reply, "close_due": tk.CloseDue.At, "update_time": tk.Updated, "revision": tk.Revision,
	}
	if h := tk.Hard; h != nil { // a hard case: the source shows its explanation and deadline too
		body["hard_case"], body["explain_due"], body["explanation"] = true, h.ExplainDue.At, h.Explanation
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{
		Tenant: tk.Tenant, Topic: TopicStatusChanged, Receiver: Receiver(tk.Source),
		Key: tk.name() + "#" + etag(tk.Revision), Payload: payload,
	})
	return err
}

// receivedAt is when the source received in: its received_time, or now, at most window
// back. A minute of clock skew with the source is forgiven.
func receivedAt(in *ticketsv1.Ticket, now time.Time, window time.Duration) (time.Time, error) {
	if in.GetReceivedTime() == nil {
		return now, nil
	}
	if err := in.GetReceivedTime().CheckValid(); err != nil {
		return time.Time{}, errs.Invalid("ticket.received_time", "INVALID_RECEIVED_TIME", "接收时间不正确")
	}
	at := in.GetReceivedTime().AsTime().UTC()
	switch {
	case at.After(now.Add(time.Minute)):
		return time.Time{}, errs.Invalid("ticket.received_time", "RECEIVED_IN_FUTURE", "接收时间不能晚于当前时间")
	case at.Before(now.Add(-window)):
		return time.Time{}, errs.Invalid("ticket.received_time", "RECEIVED_TOO_LONG_AGO",
			fmt.Sprintf("接收时间不能早于 %d 天前", int(window/(24*time.Hour))))
	case at.After(now):
		return now, nil
	}
	return at, nil
}

// hasPlatform reports whether tickets of src come from a platform that hears back.
func hasPlatform(src ticketsv1.Source) bool {
	switch src {
	case ticketsv1.Source_SOURCE_HOTLINE_12345, ticketsv1.Source_SOURCE_BUSINESS_PLATFORM, ticketsv1.Source_SOURCE_PETITION:
		return true
	}
	return false
}

// Receiver is the outbox receiver name of a source ("hotline_12345").
func Receiver(src ticketsv1.Source) string {
	return strings.ToLower(strings.TrimPrefix(src.String(), "SOURCE_"))
}

func (s *service) GetTicket(ctx context.Context, r *ticketsv1.GetTicketRequest) (*ticketsv1.Ticket, error) {
	t, id, err := parseName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	tk, err := s.st.get(ctx, t, id)
	if err != nil {
		return nil, err
	}
	p := tk.proto()
	if p.Alerts, err = s.st.alerts(ctx, tk); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *service) ListTickets(ctx context.Context, r *ticketsv1.ListTicketsRequest) (*ticketsv1.ListTicketsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if _, ok := ticketsv1.State_name[int32(r.GetState())]; !ok {
		return nil, errs.Invalid("state", "INVALID_STATE", "状态不正确")
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	org := govid.NormalizeCreditCode(r.GetCreditCode())
	if org != "" && govid.ValidateCreditCode(org) != nil {
		return nil, errs.Invalid("credit_code", "INVALID_CREDIT_CODE", "统一社会信用代码无效")
	}
	query := page.Hash("tickets", string(t), r.GetState().String(), strconv.FormatBool(r.GetOverdue()), org)
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	f := listFilter{state: r.GetState(), org: org}
	if r.GetOverdue() {
		f.overdueAt = s.now()
	}
	list, err := s.st.list(ctx, t, f, after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &ticketsv1.ListTicketsResponse{}
	if len(list) > size {
		list = list[:size]
		resp.NextPageToken = page.Encode(list[size-1].ID, query)
	}
	for _, tk := range list {
		resp.Tickets = append(resp.Tickets, tk.proto())
	}
	return resp, nil
}

// change is one transition: load the ticket, authorize (for methods addressed to the
// assignee), check the etag, decide c (lifecycle.go), then write, audit and — when the
// public view changed — queue the webhook, all in one transaction.
// inTx, if given, runs in the same transaction after the write (a merge updates the
// primary there).
func (s *service) change(ctx context.Context, field, name, tag string, authorize func(*ticket) error, c command, inTx ...func(ctx context.Context, tk *ticket, now time.Time) error) (*ticketsv1.Ticket, error) {
	t, id, err := parseName(field, name)
	if err != nil {
		return nil, err
	}
	tk, err := s.st.get(ctx, t, id)
	if err != nil {
		return nil, err
	}
	if authorize != nil {
		if err := authorize(tk); err != nil {
			return nil, err
		}
	}
	if err := errs.CheckEtag(tag, etag(tk.Revision)); err != nil {
		return nil, err
	}
	before, prev := tk.proto(), tk.Revision
	now := s.now()
	sub, _ := authn.Subject(ctx)
	tk, eff, err := decide(tk, c, sub, s.rules(tk), now)
	if err != nil {
		return nil, err
	}
	if err := s.computeDues(tk, now); err != nil {
		return nil, err
	}
	tk.Revision, tk.Updated = prev+1, now
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		ok, err := s.st.update(ctx, tk, prev)
		if err != nil {
			return err
		}
		if !ok {
			return errs.ErrStaleVersion
		}
		if _, err := s.audit.Record(ctx, audit.Entry{Tenant: tk.Tenant, Action: eff.Action, Resource: tk.name(), Before: before, After: tk.proto(), Time: now}); err != nil {
			return err
		}
		for _, f := range inTx {
			if err := f(ctx, tk, now); err != nil {
				return err
			}
		}
		if eff.Publish {
			return s.notify(ctx, tk)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if eff.Publish {
		s.wake()
	}
	return tk.proto(), nil
}

// rules are the settings tk's transitions depend on, at its tenant.
func (s *service) rules(tk *ticket) rules {
	set := s.settings.For(tk.Tenant)
	sla, ok := set.Categories[tk.Category]
	if !ok { // the category has since been removed from the settings
		sla = DefaultSLA()
	}
	return rules{SLA: sla, MaxExtensionDays: set.MaxExtensionDays}
}

// asAssignee authorizes "update" at the tenant handling the ticket. Methods addressed to the
// assignee are platform-wide for the middleware (their request names the owner tenant
// in `ticket`, which it does not read); the row check is here.
func (s *service) asAssignee(ctx context.Context) func(*ticket) error {
	return func(tk *ticket) error {
		sub, _ := authn.Subject(ctx)
		if !s.enforcer.Allowed(sub, tk.handlingTenant(), Object, "update") {
			return ErrNotAssignee
		}
		return nil
	}
}

func (s *service) DispatchTicket(ctx context.Context, r *ticketsv1.DispatchTicketRequest) (*ticketsv1.Ticket, error) {
	to, err := tenancy.Parse(r.GetAssigneeTenant())
	if err != nil {
		return nil, errs.Invalid("assignee_tenant", "INVALID_TENANT", "承办单位不正确")
	}
	if err := text("assignee_department", r.GetAssigneeDepartment(), true, 100); err != nil {
		return nil, err
	}
	if len(r.GetCoHandlers()) > 10 {
		return nil, errs.Invalid("co_handlers", "TOO_MANY_CO_HANDLERS", "联办单位不能超过 10 个")
	}
	targets := []tenancy.ID{to}
	cmd := dispatchCmd{To: to, Department: r.GetAssigneeDepartment()}
	for i, c := range r.GetCoHandlers() {
		field := fmt.Sprintf("co_handlers[%d]", i)
		ct, err := tenancy.Parse(c.GetTenant())
		if err != nil {
			return nil, errs.Invalid(field+".tenant", "INVALID_TENANT", "联办单位不正确")
		}
		if slices.Contains(targets, ct) {
			return nil, errs.Invalid(field+".tenant", "DUPLICATE_CO_HANDLER", "联办单位重复")
		}
		if err := text(field+".department", c.GetDepartment(), true, 100); err != nil {
			return nil, err
		}
		targets = append(targets, ct)
		cmd.CoHandlers = append(cmd.CoHandlers, coHandler{Tenant: ct, Department: c.GetDepartment()})
	}
	sub, _ := authn.Subject(ctx)
	return s.change(ctx, "name", r.GetName(), r.GetEtag(), func(tk *ticket) error {
		for _, target := range targets {
			if !tk.Tenant.Contains(target) || !s.enforcer.Allowed(sub, target, Object, "assign") {
				return ErrOutsideSubtree.WithField("assignee_tenant", "DISPATCH_OUTSIDE_SUBTREE", "只能派单到本单位及下级单位: "+string(target))
			}
		}
		return nil
	}, cmd)
}

func (s *service) ClaimTicket(ctx context.Context, r *ticketsv1.ClaimTicketRequest) (*ticketsv1.Ticket, error) {
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), claimCmd{})
}

func (s *service) StartTicket(ctx context.Context, r *ticketsv1.StartTicketRequest) (*ticketsv1.Ticket, error) {
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), startCmd{})
}

func (s *service) ReplyTicket(ctx context.Context, r *ticketsv1.ReplyTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("reply", r.GetReply(), true, 5000); err != nil {
		return nil, err
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), replyCmd{Reply: r.GetReply()})
}

func (s *service) ReturnTicket(ctx context.Context, r *ticketsv1.ReturnTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("reason", r.GetReason(), true, 1000); err != nil {
		return nil, err
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), returnCmd{Reason: r.GetReason()})
}

func (s *service) PauseTicket(ctx context.Context, r *ticketsv1.PauseTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("reason", r.GetReason(), true, 1000); err != nil {
		return nil, err
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), pauseCmd{})
}

func (s *service) ResumeTicket(ctx context.Context, r *ticketsv1.ResumeTicketRequest) (*ticketsv1.Ticket, error) {
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), resumeCmd{})
}

func (s *service) RequestExtension(ctx context.Context, r *ticketsv1.RequestExtensionRequest) (*ticketsv1.Ticket, error) {
	if err := text("reason", r.GetReason(), true, 1000); err != nil {
		return nil, err
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asAssignee(ctx), requestExtCmd{Days: r.GetWorkingDays(), Reason: r.GetReason()})
}

// DecideExtension is for the tenant above the assignee (a street for its community, the
// district for its street).
func (s *service) DecideExtension(ctx context.Context, r *ticketsv1.DecideExtensionRequest) (*ticketsv1.Ticket, error) {
	sub, _ := authn.Subject(ctx)
	above := func(tk *ticket) error {
		at := tk.handlingTenant().Parent()
		if at == "" {
			at = tk.handlingTenant()
		}
		if !s.enforcer.Allowed(sub, at, Object, "approve") {
			return authz.ErrDenied.WithMessage("延期申请须由承办单位的上级单位审批")
		}
		return nil
	}
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), above, decideExtCmd{Approve: r.GetApprove()})
}

func (s *service) CloseTicket(ctx context.Context, r *ticketsv1.CloseTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("summary", r.GetSummary(), true, 5000); err != nil {
		return nil, err
	}
	return s.change(ctx, "name", r.GetName(), r.GetEtag(), nil, closeCmd{Summary: r.GetSummary()})
}

func (s *service) VisitTicket(ctx context.Context, r *ticketsv1.VisitTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("note", r.GetNote(), true, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, "name", r.GetName(), r.GetEtag(), nil, visitCmd{Note: r.GetNote()})
}

func (s *service) RateTicket(ctx context.Context, r *ticketsv1.RateTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("comment", r.GetComment(), false, 2000); err != nil {
		return nil, err
	}
	if r.GetScore() < 0 || r.GetScore() > 5 {
		return nil, errs.Invalid("score", "INVALID_SCORE", "评分应为 1 到 5 分")
	}
	return s.change(ctx, "name", r.GetName(), r.GetEtag(), nil, rateCmd{Satisfied: r.GetSatisfied(), Score: r.GetScore(), Comment: r.GetComment()})
}

// ReopenTicket sends an unsatisfied ticket back to its assignee with a fresh close clock.
func (s *service) ReopenTicket(ctx context.Context, r *ticketsv1.ReopenTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("reason", r.GetReason(), true, 1000); err != nil {
		return nil, err
	}
	return s.change(ctx, "name", r.GetName(), r.GetEtag(), nil, reopenCmd{})
}

// UrgeTicket records a supervisor's urging (督办) and raises the priority one step.
func (s *service) UrgeTicket(ctx context.Context, r *ticketsv1.UrgeTicketRequest) (*ticketsv1.Ticket, error) {
	if err := text("note", r.GetNote(), true, 1000); err != nil {
		return nil, err
	}
	return s.change(ctx, "name", r.GetName(), r.GetEtag(), nil, urgeCmd{Note: r.GetNote()})
}

// MergeTicket closes a duplicate in favour of the ticket that will be handled. The caller
// needs "assign" at both tickets' tenants; a primary it cannot see is refused without
// saying whether it exists.
func (s *service) MergeTicket(ctx context.Context, r *ticketsv1.MergeTicketRequest) (*ticketsv1.Ticket, error) {
	intoTenant, intoID, err := parseName("into", r.GetInto())
	if err != nil {
		return nil, err
	}
	into := ticketName(intoTenant, intoID)
	if into == r.GetName() {
		return nil, errs.Invalid("into", "MERGE_SELF", "不能与自身合并")
	}
	sub, _ := authn.Subject(ctx)
	if !s.enforcer.Allowed(sub, intoTenant, Object, "assign") {
		return nil, ErrMergeNotVisible
	}
	return s.change(ctx, "name", r.GetName(), r.GetEtag(), nil, mergeCmd{Into: into}, func(ctx context.Context, dup *ticket, now time.Time) error {
		primary, err := s.st.get(ctx, intoTenant, intoID)
		if err != nil {
			return err
		}
		before, prev := primary.proto(), primary.Revision
		if primary, err = absorb(primary, dup.name()); err != nil {
			return err
		}
		primary.Revision, primary.Updated = prev+1, now
		ok, err := s.st.update(ctx, primary, prev)
		if err != nil {
			return err
		}
		if !ok {
			return errs.ErrStaleVersion
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: primary.Tenant, Action: "tickets.MergeTicket", Resource: primary.name(), Before: before, After: primary.proto(), Time: now})
		return err
	})
}

// asCoHandler finds the part of tenant and authorizes the caller there.
func (s *service) asCoHandler(ctx context.Context, tenant tenancy.ID) func(*ticket) error {
	return func(tk *ticket) error {
		pt, err := partOf(tk, tenant)
		if err != nil {
			return err
		}
		sub, _ := authn.Subject(ctx)
		if !s.enforcer.Allowed(sub, pt.Tenant, Object, "update") {
			return ErrNotAssignee
		}
		return nil
	}
}

func (s *service) ClaimPart(ctx context.Context, r *ticketsv1.ClaimPartRequest) (*ticketsv1.Ticket, error) {
	tenant := tenancy.ID(r.GetTenant())
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asCoHandler(ctx, tenant), claimPartCmd{Tenant: tenant})
}

func (s *service) FinishPart(ctx context.Context, r *ticketsv1.FinishPartRequest) (*ticketsv1.Ticket, error) {
	if err := text("result", r.GetResult(), true, 5000); err != nil {
		return nil, err
	}
	tenant := tenancy.ID(r.GetTenant())
	return s.change(ctx, "ticket", r.GetTicket(), r.GetEtag(), s.asCoHandler(ctx, tenant), finishPartCmd{Tenant: tenant, Result: r.GetResult()})
}
