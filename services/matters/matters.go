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

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/check"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// service is the business logic; Server wires it to transports and infrastructure.
type service struct {
	// API serves ListAuditRecords and VerifyAuditChain over this service's chains.
	audit.API
	config.SettingsAPI[Settings]
	db       *sqlstore.DB
	audit    *audit.Sealer // records audit in db and chains it
	st       store
	cal      *calendar.Calendar
	settings *config.Settings[Settings]
	log      *slog.Logger
	now      func() time.Time
	bundles  map[string]*mattersv1.Bundle // the 一件事 bundles, by code (catalogue data)
	docs     *docref.Checker              // nil when the documents service is not known: references are checked for form only
	register *register                    // the enterprise register (stewardship), read by 免申即享
	slaCount calendar.Crossings
	slaCases *slasweep.Gauges // open, due soon and overdue, set after each sweep pass
}

var idPattern = regexp.MustCompile(`^M-[0-9]{8}-[0-9]{6}$`)

func etag(rev int64) string { return strconv.FormatInt(rev, 10) }

func applicationName(t tenancy.ID, id string) string {
	return "tenants/" + string(t) + "/applications/" + id
}

func parseParent(parent string) (tenancy.ID, error) { return resname.Parent("parent", parent) }

// parseName splits tenants/{tenant}/applications/{id}.
func parseName(name string) (tenancy.ID, string, error) {
	return resname.Parse("name", name, "applications", idPattern)
}

// text checks a required or optional free-text field.
func text(field, v string, required bool, maxRunes int) error {
	return check.Text(field, v, required, maxRunes)
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
	var owner *commonv1.Owner
	p, _ := authn.FromContext(ctx)
	switch acc := authz.AccessFrom(ctx); {
	case acc.Applicant:
		// Applicants own what they file, whatever the request says; the 绿色通道 is
		// staff's to grant.
		if in.GetGreenChannel() {
			return nil, ErrGreenChannelStaffOnly
		}
		named := &commonv1.Owner{Subject: applicant.GetSubject(), Org: strings.ToUpper(strings.TrimSpace(applicant.GetCreditCode()))}
		switch {
		case p.Kind == authn.Enterprise || p.Kind == authn.Citizen:
			applicant.Subject = p.Subject // people file for themselves
			owner = acc.Owner()
		case named.GetSubject() == "" && named.GetOrg() == "":
			owner = acc.Owner() // an agent naming no account files as itself
		case acc.MandatedBy(named):
			owner = named // a 帮代办 agent files for a party that mandated it (委托)
		default:
			return nil, authz.ErrNotMandated
		}
	default:
		if p.Kind == authn.Staff {
			handler, window = p.Subject, in.GetWindow() // the clerk who took it in handles it
		}
		// Staff file for the applicant they name: its account, and its enterprise.
		owner = &commonv1.Owner{Subject: applicant.GetSubject(), Org: strings.ToUpper(strings.TrimSpace(applicant.GetCreditCode()))}
	}
	a := &application{Tenant: t, Revision: 1, App: &mattersv1.Application{
		Matter: m.GetName(), MatterVersion: m.GetVersion(), Applicant: applicant, Channel: ch, Agent: in.GetAgent(),
		GreenChannel: in.GetGreenChannel(), State: mattersv1.State_STATE_SUBMITTED, SubmittedBy: subject(ctx),
		CreateTime: ts(now), UpdateTime: ts(now), Department: m.GetDepartment(), Handler: handler, Window: window,
		Form: in.GetForm(), Owner: owner,
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

// change is one transition: load, check the etag, decide c (lifecycle.go), then write
// and audit in one transaction. Nothing changes on error.
func (s *service) change(ctx context.Context, name, tag string, c command) (*mattersv1.Application, error) {
	t, id, err := parseName(name)
	if err != nil {
		return nil, err
	}
	a, err := s.st.get(ctx, t, id)
	if err != nil {
		return nil, err
	}
	// The contract requires the etag here (gaoxing.common.v1 etag.proto).
	if err := errs.RequireEtag(tag, etag(a.Revision)); err != nil {
		return nil, err
	}
	m, err := s.st.matter(ctx, codeOf(a.App.GetMatter()), a.App.GetMatterVersion())
	if err != nil {
		return nil, err
	}
	before, prev := a.App, a.Revision
	now := s.now()
	set := s.settings.For(a.Tenant)
	a, eff, err := decide(a, m, c, subject(ctx), rules{Calendar: s.cal, MaxCommitmentDays: set.MaxCommitmentDays, RectificationDays: set.RectificationDays}, now)
	if err != nil {
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
		if _, err := s.audit.Record(ctx, audit.Entry{Tenant: a.Tenant, Action: eff.Action, Resource: a.App.GetName(), Before: before, After: a.App, Time: now}); err != nil {
			return err
		}
		if !eff.Publish {
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

// knownMaterials refuses materials the matter does not list.
func knownMaterials(field string, m *mattersv1.Matter, in []*mattersv1.SubmittedMaterial) error {
	for i, sm := range in {
		if materialOf(m, sm.GetName()) == nil {
			return ErrUnknownMaterial.WithMessage("事项 %s 没有材料“%s”", m.GetCode(), sm.GetName()).WithField(fmt.Sprintf("%s[%d].name", field, i), "UNKNOWN_MATERIAL", "该事项没有此材料")
		}
	}
	return nil
}

// checkDocuments checks that the materials name stored documents (a call to the
// documents service, made before the transition).
func (s *service) checkDocuments(ctx context.Context, field string, in []*mattersv1.SubmittedMaterial) error {
	for i, sm := range in {
		if err := s.docs.Check(ctx, fmt.Sprintf("%s[%d].document", field, i), sm.GetDocument()); err != nil {
			return err
		}
	}
	return nil
}

func (s *service) AcceptApplication(ctx context.Context, r *mattersv1.AcceptApplicationRequest) (*mattersv1.Application, error) {
	return s.change(ctx, r.GetName(), r.GetEtag(), acceptCmd{})
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
	return s.change(ctx, r.GetName(), r.GetEtag(), acceptDeferredCmd{Missing: r.GetMissingMaterials(),
		CommitmentDocument: r.GetCommitmentDocument(), DueWorkingDays: r.GetDueWorkingDays()})
}

func (s *service) SupplyDeferred(ctx context.Context, r *mattersv1.SupplyDeferredRequest) (*mattersv1.Application, error) {
	if err := s.checkDocuments(ctx, "materials", r.GetMaterials()); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), supplyDeferredCmd{Materials: r.GetMaterials()})
}

// RequestCorrection is the 补正 notice: one complete list; both clocks stop.
func (s *service) RequestCorrection(ctx context.Context, r *mattersv1.RequestCorrectionRequest) (*mattersv1.Application, error) {
	if len(r.GetMissingMaterials()) == 0 {
		return nil, errs.Invalid("missing_materials", "REQUIRED", "请一次性列出需补正的全部材料")
	}
	if err := text("note", r.GetNote(), false, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), requestCorrectionCmd{Missing: r.GetMissingMaterials(), Note: r.GetNote()})
}

func (s *service) ResubmitApplication(ctx context.Context, r *mattersv1.ResubmitApplicationRequest) (*mattersv1.Application, error) {
	if err := s.checkDocuments(ctx, "materials", r.GetMaterials()); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), resubmitCmd{Materials: r.GetMaterials()})
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
	return s.change(ctx, r.GetName(), r.GetEtag(), rejectCmd{Reasons: r.GetReasons()})
}

// CompleteStep closes the current step with its handler and result and the working days
// it took; after the last step the application is complete (办结).
func (s *service) CompleteStep(ctx context.Context, r *mattersv1.CompleteStepRequest) (*mattersv1.Application, error) {
	if err := text("result", r.GetResult(), true, 2000); err != nil {
		return nil, err
	}
	for i, d := range r.GetResultDocuments() {
		if err := s.docs.Check(ctx, fmt.Sprintf("result_documents[%d]", i), d); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), completeStepCmd{Step: r.GetStep(),
		Handler: subject(ctx), // the handler recorded is the caller, never a name from the request
		Result:  r.GetResult(), ResultDocuments: r.GetResultDocuments()})
}

func (s *service) WithdrawApplication(ctx context.Context, r *mattersv1.WithdrawApplicationRequest) (*mattersv1.Application, error) {
	if err := text("reason", r.GetReason(), false, 1000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), withdrawCmd{})
}
