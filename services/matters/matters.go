package matters

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// service is the business logic; Server wires it to transports and infrastructure.
type service struct {
	db       *sqlstore.DB
	audit    *audit.Sealer // records audit in db and chains it
	st       store
	cal      *calendar.Calendar
	settings *config.Settings[Settings]
	log      *slog.Logger
	now      func() time.Time
	bundles  map[string]*mattersv1.Bundle // the 一件事 bundles, by code (catalogue data)
	docs     *docref.Checker              // nil when the documents service is not known: references are checked for form only
	slaCount calendar.Crossings
}

var idPattern = regexp.MustCompile(`^M-[0-9]{8}-[0-9]{6}$`)

func etag(rev int64) string { return strconv.FormatInt(rev, 10) }

func applicationName(t tenancy.ID, id string) string {
	return "tenants/" + string(t) + "/applications/" + id
}

func parseParent(parent string) (tenancy.ID, error) {
	rest, ok := strings.CutPrefix(parent, "tenants/")
	t, err := tenancy.Parse(rest)
	if !ok || err != nil {
		return "", errs.Invalid("parent", "INVALID_PARENT", "parent 应为 tenants/{tenant}")
	}
	return t, nil
}

// parseName splits tenants/{tenant}/applications/{id}.
func parseName(name string) (tenancy.ID, string, error) {
	parent, id, ok := strings.Cut(name, "/applications/")
	bad := errs.Invalid("name", "INVALID_NAME", "name 应为 tenants/{tenant}/applications/{id}")
	if !ok || !idPattern.MatchString(id) {
		return "", "", bad
	}
	t, err := parseParent(parent)
	if err != nil {
		return "", "", bad
	}
	return t, id, nil
}

// text checks a required or optional free-text field.
func text(field, v string, required bool, maxRunes int) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return errs.Invalid(field, "REQUIRED", field+" 不能为空")
	case utf8.RuneCountInString(v) > maxRunes:
		return errs.Invalid(field, "TOO_LONG", fmt.Sprintf("%s 不能超过 %d 个字", field, maxRunes))
	}
	return nil
}

// checkMaterials refuses materials the matter does not list or that name no document.
func (s *service) checkMaterials(ctx context.Context, field string, m *mattersv1.Matter, in []*mattersv1.SubmittedMaterial) error {
	for i, sm := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		if materialOf(m, sm.GetName()) == nil {
			return ErrUnknownMaterial.WithMessage("事项 %s 没有材料“%s”", m.GetCode(), sm.GetName()).WithField(f+".name", "UNKNOWN_MATERIAL", "该事项没有此材料")
		}
		if err := s.docs.Check(ctx, f+".document", sm.GetDocument()); err != nil {
			return err
		}
	}
	return nil
}

func materialOf(m *mattersv1.Matter, name string) *mattersv1.Material {
	for _, mt := range m.GetMaterials() {
		if mt.GetName() == name {
			return mt
		}
	}
	return nil
}

// missing lists the required and deferrable materials not handed in, in catalogue order.
func missing(m *mattersv1.Matter, a *mattersv1.Application) []string {
	have := map[string]bool{}
	for _, sm := range a.GetMaterials() {
		have[sm.GetName()] = true
	}
	var out []string
	for _, mt := range m.GetMaterials() {
		if mt.GetRequirement() != mattersv1.Requirement_REQUIREMENT_OPTIONAL && !have[mt.GetName()] {
			out = append(out, mt.GetName())
		}
	}
	return out
}

// merge adds materials to a's, a later document replacing an earlier one of the same name.
func merge(a *mattersv1.Application, in []*mattersv1.SubmittedMaterial) {
	for _, sm := range in {
		i := slices.IndexFunc(a.Materials, func(x *mattersv1.SubmittedMaterial) bool { return x.GetName() == sm.GetName() })
		if i >= 0 {
			a.Materials[i] = sm
		} else {
			a.Materials = append(a.Materials, sm)
		}
	}
}

// SubmitApplication files an application: the routing rule, the channel, the form and
// the materials are checked; the clocks start; the 办件编号 is the tenant's next of the day.
func (s *service) SubmitApplication(ctx context.Context, r *mattersv1.SubmitApplicationRequest) (*mattersv1.Application, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetApplication()
	if in == nil {
		return nil, errs.Invalid("application", "REQUIRED", "application 不能为空")
	}
	now := s.now()
	a, err := s.prepare(ctx, t, in, "application", now)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error { return s.file(ctx, a, now) })
	if err != nil {
		return nil, err
	}
	return a.App, nil
}

// prepare checks one filing of in at t and builds its record, clocks started at now.
// field prefixes the names of bad fields.
func (s *service) prepare(ctx context.Context, t tenancy.ID, in *mattersv1.Application, field string, now time.Time) (*application, error) {
	code := codeOf(in.GetMatter())
	if code == "" {
		return nil, errs.Invalid(field+".matter", "INVALID_MATTER", "matter 应为 matters/{code}")
	}
	if err := text(field+".applicant.name", in.GetApplicant().GetName(), true, 200); err != nil {
		return nil, err
	}
	if err := text(field+".applicant.phone", in.GetApplicant().GetPhone(), false, 30); err != nil {
		return nil, err
	}
	if err := text(field+".applicant.subject", in.GetApplicant().GetSubject(), false, 200); err != nil {
		return nil, err
	}
	if err := text(field+".window", in.GetWindow(), false, 50); err != nil {
		return nil, err
	}
	m, err := s.st.matter(ctx, code, 0)
	if err != nil {
		return nil, err
	}
	if err := s.offered(ctx, m, t); err != nil {
		return nil, err
	}
	ch := in.GetChannel()
	switch {
	case ch == mattersv1.Channel_CHANNEL_AGENT:
		if err := text(field+".agent.name", in.GetAgent().GetName(), true, 100); err != nil {
			return nil, err
		}
		if err := s.docs.Check(ctx, field+".agent.authorization_document", in.GetAgent().GetAuthorizationDocument()); err != nil {
			return nil, err
		}
	case ch == mattersv1.Channel_CHANNEL_UNSPECIFIED || mattersv1.Channel_name[int32(ch)] == "":
		return nil, errs.Invalid(field+".channel", "INVALID_CHANNEL", "请选择办理渠道")
	case !slices.Contains(m.GetChannels(), ch):
		return nil, ErrChannelNotOffered.WithMessage("事项 %s 不支持%s渠道", m.GetCode(), ch)
	case in.GetAgent() != nil:
		return nil, errs.Invalid(field+".agent", "AGENT_WITHOUT_AGENT_CHANNEL", "帮代办应选择帮代办渠道")
	}
	if err := checkForm(field+".form", m, in.GetForm()); err != nil {
		return nil, err
	}
	if err := s.checkMaterials(ctx, field+".materials", m, in.GetMaterials()); err != nil {
		return nil, err
	}
	applicant := proto.Clone(in.GetApplicant()).(*mattersv1.Applicant)
	handler, window := "", ""
	if p, ok := authn.FromContext(ctx); ok {
		switch p.Kind {
		case authn.Enterprise, authn.Citizen:
			applicant.Subject = p.Subject // people file for themselves
		case authn.Staff:
			handler, window = p.Subject, in.GetWindow() // the clerk who took it in handles it
		}
	}
	a := &application{Tenant: t, Revision: 1, App: &mattersv1.Application{
		Matter: m.GetName(), MatterVersion: m.GetVersion(), Applicant: applicant, Channel: ch, Agent: in.GetAgent(),
		GreenChannel: in.GetGreenChannel(), State: mattersv1.State_STATE_SUBMITTED, SubmittedBy: subject(ctx),
		CreateTime: ts(now), UpdateTime: ts(now), Department: m.GetDepartment(), Handler: handler, Window: window,
		Form: in.GetForm(),
	}}
	merge(a.App, in.GetMaterials())
	a.Clocks = clocks{
		Statutory: calendar.NewClock(now, limitOf(m.GetStatutoryLimit())),
		Promised:  calendar.NewClock(now, limitOf(m.GetPromisedLimit())),
	}
	if err := s.computeDues(a, now); err != nil {
		return nil, err
	}
	return a, nil
}

// file numbers a and writes it with its audit record and status event, inside the
// caller's transaction.
func (s *service) file(ctx context.Context, a *application, now time.Time) error {
	day := calendar.DateOf(now)
	n, err := s.db.NextSeq(ctx, fmt.Sprintf("matters/%s/%04d%02d%02d", a.Tenant, day.Year, day.Month, day.Day))
	if err != nil {
		return err
	}
	a.ID = fmt.Sprintf("M-%04d%02d%02d-%06d", day.Year, day.Month, day.Day, n)
	a.App.Name, a.App.Etag = applicationName(a.Tenant, a.ID), etag(a.Revision)
	if err := s.st.insert(ctx, a); err != nil {
		return err
	}
	if _, err := s.audit.Record(ctx, audit.Entry{Tenant: a.Tenant, Action: "matters.SubmitApplication", Resource: a.App.GetName(), After: a.App, Time: now}); err != nil {
		return err
	}
	return s.statusEvent(ctx, a)
}

// checkForm refuses a form with a field the matter does not have, or without a
// required one.
func checkForm(field string, m *mattersv1.Matter, form map[string]string) error {
	known := map[string]bool{}
	for _, f := range m.GetFormFields() {
		known[f.GetKey()] = true
		if f.GetRequired() && strings.TrimSpace(form[f.GetKey()]) == "" {
			return ErrFormFieldMissing.WithMessage("事项 %s 的申请表缺少必填项“%s”", m.GetCode(), f.GetLabel()).
				WithField(field+"."+f.GetKey(), "FORM_FIELD_MISSING", f.GetLabel()+"为必填项")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(form)) {
		if !known[k] {
			return errs.Invalid(field+"."+k, "UNKNOWN_FORM_FIELD", "事项申请表没有此项")
		}
		if err := text(field+"."+k, form[k], false, 2000); err != nil {
			return err
		}
	}
	return nil
}

func (s *service) GetApplication(ctx context.Context, r *mattersv1.GetApplicationRequest) (*mattersv1.Application, error) {
	t, id, err := parseName(r.GetName())
	if err != nil {
		return nil, err
	}
	a, err := s.st.get(ctx, t, id)
	if err != nil {
		return nil, err
	}
	return a.App, nil
}

// change is one transition: load, check the etag, apply fn (which checks the state
// machine) to a copy, then write and audit in one transaction. Nothing changes on error.
func (s *service) change(ctx context.Context, name, tag, verb string, fn func(a *application, m *mattersv1.Matter, now time.Time) error) (*mattersv1.Application, error) {
	t, id, err := parseName(name)
	if err != nil {
		return nil, err
	}
	a, err := s.st.get(ctx, t, id)
	if err != nil {
		return nil, err
	}
	if tag != etag(a.Revision) {
		return nil, errs.ErrStaleVersion
	}
	m, err := s.st.matter(ctx, codeOf(a.App.GetMatter()), a.App.GetMatterVersion())
	if err != nil {
		return nil, err
	}
	before, prev := proto.Clone(a.App).(*mattersv1.Application), a.Revision
	now := s.now()
	if err := fn(a, m, now); err != nil {
		return nil, err
	}
	if err := s.computeDues(a, now); err != nil {
		return nil, err
	}
	a.Revision = prev + 1
	a.App.Etag, a.App.UpdateTime = etag(a.Revision), ts(now)
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		ok, err := s.st.update(ctx, a, prev)
		if err != nil {
			return err
		}
		if !ok {
			return errs.ErrStaleVersion
		}
		if _, err := s.audit.Record(ctx, audit.Entry{Tenant: a.Tenant, Action: verb, Resource: a.App.GetName(), Before: before, After: a.App, Time: now}); err != nil {
			return err
		}
		if before.GetState() == a.App.GetState() {
			return nil
		}
		if err := s.statusEvent(ctx, a); err != nil {
			return err
		}
		return s.bundleProgress(ctx, a, now)
	})
	if err != nil {
		return nil, err
	}
	return a.App, nil
}

var stateLabel = map[mattersv1.State]string{
	mattersv1.State_STATE_SUBMITTED: "已申请", mattersv1.State_STATE_ACCEPTED: "已受理", mattersv1.State_STATE_ACCEPTED_DEFERRED: "容缺受理",
	mattersv1.State_STATE_CORRECTION_REQUESTED: "待补正", mattersv1.State_STATE_REJECTED: "不予受理", mattersv1.State_STATE_COMPLETED: "办结",
	mattersv1.State_STATE_WITHDRAWN: "撤回", mattersv1.State_STATE_TERMINATED: "终止",
}

// inState refuses the transition unless a is in one of states.
func inState(a *application, verb string, states ...mattersv1.State) error {
	if slices.Contains(states, a.App.GetState()) {
		return nil
	}
	return ErrIllegalTransition.WithMessage("办件处于%s状态，不能%s", stateLabel[a.App.GetState()], verb)
}

// startHandling begins the first step at acceptance; the acceptor handles it unless
// someone was assigned already.
func startHandling(ctx context.Context, a *application, m *mattersv1.Matter, now time.Time) error {
	if a.App.GetHandler() == "" {
		a.App.Handler = subject(ctx)
	}
	a.App.Steps = nil
	return startStep(a, m, 0, now)
}

// startStep begins step i: its own clocks start, and a step that does not count toward
// the limit (公示, 专家评审 …) stops the application's clocks until it ends.
func startStep(a *application, m *mattersv1.Matter, i int32, now time.Time) error {
	st := m.GetSteps()[i]
	a.App.Steps = append(a.App.Steps, &mattersv1.StepRecord{Name: st.GetName(), StartTime: ts(now)})
	a.App.CurrentStep, a.Clocks.StepStart = i, now
	a.Clocks.StepPromised = calendar.NewClock(now, limitOf(st.GetPromisedLimit()))
	a.Clocks.StepStatutory = calendar.NewClock(now, limitOf(st.GetStatutoryLimit()))
	if st.GetCountsTowardLimit() {
		return nil
	}
	if err := a.Clocks.Statutory.Pause(now, calendar.PauseExtension); err != nil {
		return err
	}
	return a.Clocks.Promised.Pause(now, calendar.PauseExtension)
}

// endStep closes the current step's clocks and restarts the application's if the step
// had stopped them.
func endStep(a *application, m *mattersv1.Matter, now time.Time) error {
	a.Clocks.StepPromised, a.Clocks.StepStatutory = calendar.Clock{}, calendar.Clock{}
	if m.GetSteps()[a.App.GetCurrentStep()].GetCountsTowardLimit() {
		return nil
	}
	if err := a.Clocks.Statutory.Resume(now); err != nil {
		return err
	}
	return a.Clocks.Promised.Resume(now)
}

func (s *service) AcceptApplication(ctx context.Context, r *mattersv1.AcceptApplicationRequest) (*mattersv1.Application, error) {
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.AcceptApplication", func(a *application, m *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "受理", mattersv1.State_STATE_SUBMITTED); err != nil {
			return err
		}
		if miss := missing(m, a.App); len(miss) > 0 {
			return ErrMissingMaterial.WithMessage("缺少材料：%s（可容缺的材料请容缺受理，其余请补正）", strings.Join(miss, "、"))
		}
		a.App.State = mattersv1.State_STATE_ACCEPTED
		return startHandling(ctx, a, m, now)
	})
}

// AcceptDeferred is 容缺受理: every material still missing must allow it and be listed;
// the signed commitment is a stored document; the due date is in working days.
func (s *service) AcceptDeferred(ctx context.Context, r *mattersv1.AcceptDeferredRequest) (*mattersv1.Application, error) {
	if err := s.docs.Check(ctx, "commitment_document", r.GetCommitmentDocument()); err != nil {
		return nil, err
	}
	if len(r.GetMissingMaterials()) == 0 {
		return nil, errs.Invalid("missing_materials", "REQUIRED", "请列出容缺的材料")
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.AcceptDeferred", func(a *application, m *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "容缺受理", mattersv1.State_STATE_SUBMITTED); err != nil {
			return err
		}
		maxDays := s.settings.For(a.Tenant).MaxCommitmentDays
		if n := int(r.GetDueWorkingDays()); n < 1 || n > maxDays {
			return errs.Invalid("due_working_days", "INVALID_DUE", fmt.Sprintf("容缺补齐期限应为 1—%d 个工作日", maxDays))
		}
		miss := missing(m, a.App)
		for i, name := range r.GetMissingMaterials() {
			mt := materialOf(m, name)
			f := fmt.Sprintf("missing_materials[%d]", i)
			switch {
			case mt == nil:
				return ErrUnknownMaterial.WithMessage("事项 %s 没有材料“%s”", m.GetCode(), name).WithField(f, "UNKNOWN_MATERIAL", "该事项没有此材料")
			case mt.GetRequirement() != mattersv1.Requirement_REQUIREMENT_DEFERRABLE:
				return ErrNotDeferrable.WithMessage("材料“%s”不允许容缺", name).WithField(f, "MATERIAL_NOT_DEFERRABLE", "该材料不允许容缺")
			case !slices.Contains(miss, name):
				return errs.Invalid(f, "MATERIAL_NOT_MISSING", "该材料已提交，无需容缺")
			}
		}
		for _, name := range miss {
			if !slices.Contains(r.GetMissingMaterials(), name) {
				return ErrMissingMaterial.WithMessage("缺少材料“%s”，且未列入容缺", name)
			}
		}
		due, err := s.cal.AddWorkingDays(now, int(r.GetDueWorkingDays()))
		if err != nil {
			return err
		}
		a.App.State, a.App.MissingMaterials = mattersv1.State_STATE_ACCEPTED_DEFERRED, r.GetMissingMaterials()
		a.App.CommitmentDocument, a.App.CommitmentDueTime = r.GetCommitmentDocument(), ts(due.At)
		return startHandling(ctx, a, m, now)
	})
}

func (s *service) SupplyDeferred(ctx context.Context, r *mattersv1.SupplyDeferredRequest) (*mattersv1.Application, error) {
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.SupplyDeferred", func(a *application, m *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "补齐容缺材料", mattersv1.State_STATE_ACCEPTED_DEFERRED); err != nil {
			return err
		}
		if !now.Before(a.App.GetCommitmentDueTime().AsTime()) {
			return ErrCommitmentExpired
		}
		if err := s.checkMaterials(ctx, "materials", m, r.GetMaterials()); err != nil {
			return err
		}
		merge(a.App, r.GetMaterials())
		if miss := missing(m, a.App); len(miss) > 0 {
			return ErrMissingMaterial.WithMessage("仍缺少材料：%s", strings.Join(miss, "、"))
		}
		a.App.State, a.App.MissingMaterials = mattersv1.State_STATE_ACCEPTED, nil
		return nil
	})
}

// RequestCorrection is the 补正 notice: one complete list; both clocks stop.
func (s *service) RequestCorrection(ctx context.Context, r *mattersv1.RequestCorrectionRequest) (*mattersv1.Application, error) {
	if len(r.GetMissingMaterials()) == 0 {
		return nil, errs.Invalid("missing_materials", "REQUIRED", "请一次性列出需补正的全部材料")
	}
	if err := text("note", r.GetNote(), false, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.RequestCorrection", func(a *application, m *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "要求补正", mattersv1.State_STATE_SUBMITTED); err != nil {
			return err
		}
		if a.Clocks.Corrections > 0 {
			return ErrCorrectionOnce
		}
		for i, name := range r.GetMissingMaterials() {
			if materialOf(m, name) == nil {
				return ErrUnknownMaterial.WithMessage("事项 %s 没有材料“%s”", m.GetCode(), name).WithField(fmt.Sprintf("missing_materials[%d]", i), "UNKNOWN_MATERIAL", "该事项没有此材料")
			}
		}
		if err := a.Clocks.Statutory.Pause(now, calendar.PauseSupplement); err != nil {
			return err
		}
		if err := a.Clocks.Promised.Pause(now, calendar.PauseSupplement); err != nil {
			return err
		}
		a.Clocks.Corrections++
		a.App.State, a.App.MissingMaterials, a.App.CorrectionNote = mattersv1.State_STATE_CORRECTION_REQUESTED, r.GetMissingMaterials(), r.GetNote()
		return nil
	})
}

func (s *service) ResubmitApplication(ctx context.Context, r *mattersv1.ResubmitApplicationRequest) (*mattersv1.Application, error) {
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.ResubmitApplication", func(a *application, m *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "重新提交", mattersv1.State_STATE_CORRECTION_REQUESTED); err != nil {
			return err
		}
		if err := s.checkMaterials(ctx, "materials", m, r.GetMaterials()); err != nil {
			return err
		}
		merge(a.App, r.GetMaterials())
		if err := a.Clocks.Statutory.Resume(now); err != nil {
			return err
		}
		if err := a.Clocks.Promised.Resume(now); err != nil {
			return err
		}
		a.App.State, a.App.MissingMaterials = mattersv1.State_STATE_SUBMITTED, nil
		return nil
	})
}

func (s *service) RejectApplication(ctx context.Context, r *mattersv1.RejectApplicationRequest) (*mattersv1.Application, error) {
	if len(r.GetReasons()) == 0 {
		return nil, errs.Invalid("reasons", "REQUIRED", "请说明不予受理的理由")
	}
	for i, reason := range r.GetReasons() {
		if err := text(fmt.Sprintf("reasons[%d]", i), reason, true, 1000); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.RejectApplication", func(a *application, _ *mattersv1.Matter, _ time.Time) error {
		if err := inState(a, "不予受理", mattersv1.State_STATE_SUBMITTED, mattersv1.State_STATE_CORRECTION_REQUESTED); err != nil {
			return err
		}
		a.App.State, a.App.RejectionReasons = mattersv1.State_STATE_REJECTED, r.GetReasons()
		return nil
	})
}

// CompleteStep closes the current step with its handler and result and the working days
// it took; after the last step the application is complete (办结).
func (s *service) CompleteStep(ctx context.Context, r *mattersv1.CompleteStepRequest) (*mattersv1.Application, error) {
	if err := text("handler", r.GetHandler(), true, 100); err != nil {
		return nil, err
	}
	if err := text("result", r.GetResult(), true, 2000); err != nil {
		return nil, err
	}
	for i, d := range r.GetResultDocuments() {
		if err := s.docs.Check(ctx, fmt.Sprintf("result_documents[%d]", i), d); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.CompleteStep", func(a *application, m *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "办理环节", mattersv1.State_STATE_ACCEPTED, mattersv1.State_STATE_ACCEPTED_DEFERRED); err != nil {
			return err
		}
		cur := a.App.GetCurrentStep()
		switch {
		case r.GetStep() < 0 || int(r.GetStep()) >= len(m.GetSteps()):
			return errs.Invalid("step", "INVALID_STEP", fmt.Sprintf("环节序号应为 0—%d", len(m.GetSteps())-1))
		case r.GetStep() < cur:
			return ErrStepClosed.WithMessage("环节“%s”已办结", m.GetSteps()[r.GetStep()].GetName())
		case r.GetStep() > cur:
			return ErrIllegalTransition.WithMessage("请先办结环节“%s”", m.GetSteps()[cur].GetName())
		}
		last := int(cur) == len(m.GetSteps())-1
		if last && a.App.GetState() == mattersv1.State_STATE_ACCEPTED_DEFERRED {
			return ErrDeferredPending
		}
		used, err := s.cal.WorkingDaysBetween(a.Clocks.StepStart, now)
		if err != nil {
			return err
		}
		rec := a.App.Steps[cur]
		rec.Handler, rec.Result, rec.EndTime, rec.WorkingDaysUsed = r.GetHandler(), r.GetResult(), ts(now), int32(used.Days)
		a.App.ResultDocuments = append(a.App.ResultDocuments, r.GetResultDocuments()...)
		if err := endStep(a, m, now); err != nil {
			return err
		}
		if !last {
			return startStep(a, m, cur+1, now)
		}
		total, err := s.workingDaysUsed(a, now)
		if err != nil {
			return err
		}
		a.App.State, a.App.CompleteTime, a.App.WorkingDaysUsed = mattersv1.State_STATE_COMPLETED, ts(now), int32(total)
		return nil
	})
}

// workingDaysUsed is the working days from submission to now less the working days paused.
func (s *service) workingDaysUsed(a *application, now time.Time) (int, error) {
	all, err := s.cal.WorkingDaysBetween(a.Clocks.Promised.Start, now)
	if err != nil {
		return 0, err
	}
	n := all.Days
	for _, p := range a.Clocks.Promised.Pauses {
		to := p.To
		if to.IsZero() {
			to = now
		}
		paused, err := s.cal.WorkingDaysBetween(p.From, to)
		if err != nil {
			return 0, err
		}
		n -= paused.Days
	}
	return max(n, 0), nil
}

func (s *service) WithdrawApplication(ctx context.Context, r *mattersv1.WithdrawApplicationRequest) (*mattersv1.Application, error) {
	if err := text("reason", r.GetReason(), false, 1000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.WithdrawApplication", func(a *application, _ *mattersv1.Matter, _ time.Time) error {
		if err := inState(a, "撤回", mattersv1.State_STATE_SUBMITTED, mattersv1.State_STATE_CORRECTION_REQUESTED,
			mattersv1.State_STATE_ACCEPTED, mattersv1.State_STATE_ACCEPTED_DEFERRED); err != nil {
			return err
		}
		a.App.State = mattersv1.State_STATE_WITHDRAWN
		return nil
	})
}
