package matters

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// An application's life (办件流转) as pure functions: decide takes an application, the
// version of its matter it was filed under, a command, who gives it, the rules and the
// time, and returns the application as it becomes and what to record — or the domain
// error the API returns. It reads no database and no remote service (document
// references are checked by the handlers first), so every branch is tested by a table
// (lifecycle_test.go); the handlers load, call decide, and write the result.
//
// 已申请 SUBMITTED → 已受理 ACCEPTED (or 容缺受理 ACCEPTED_DEFERRED until the missing
// materials come) → steps → 办结 COMPLETED → rating, rectification, mailing; or 待补正
// CORRECTION_REQUESTED and back, 不予受理 REJECTED, 撤回 WITHDRAWN.

// command is one thing asked of an application; action names its audit record.
type command interface{ action() string }

type (
	acceptCmd         struct{}
	acceptDeferredCmd struct {
		Missing            []string // the materials accepted as missing (容缺)
		CommitmentDocument string
		DueWorkingDays     int32
	}
	supplyDeferredCmd struct {
		Materials []*mattersv1.SubmittedMaterial
	}
	requestCorrectionCmd struct {
		Missing []string
		Note    string
	}
	resubmitCmd struct {
		Materials []*mattersv1.SubmittedMaterial
	}
	rejectCmd       struct{ Reasons []string }
	completeStepCmd struct {
		Step            int32
		Handler, Result string
		ResultDocuments []string
	}
	withdrawCmd struct{}
	// assignCmd is 分办: the handler and the window.
	assignCmd struct{ Handler, Window string }
	rateCmd   struct {
		Score   int32
		Comment string
	}
	rectifyCmd struct{ Note string }
	mailCmd    struct{ Carrier, TrackingNumber string }
)

func (acceptCmd) action() string            { return "matters.AcceptApplication" }
func (acceptDeferredCmd) action() string    { return "matters.AcceptDeferred" }
func (supplyDeferredCmd) action() string    { return "matters.SupplyDeferred" }
func (requestCorrectionCmd) action() string { return "matters.RequestCorrection" }
func (resubmitCmd) action() string          { return "matters.ResubmitApplication" }
func (rejectCmd) action() string            { return "matters.RejectApplication" }
func (completeStepCmd) action() string      { return "matters.CompleteStep" }
func (withdrawCmd) action() string          { return "matters.WithdrawApplication" }
func (assignCmd) action() string            { return "matters.AssignApplication" }
func (rateCmd) action() string              { return "matters.RateApplication" }
func (rectifyCmd) action() string           { return "matters.RectifyApplication" }
func (mailCmd) action() string              { return "matters.MailCertificate" }

// rules are what transitions depend on beyond the application: the working-day calendar
// (in memory) and the settings of the application's tenant.
type rules struct {
	Calendar          *calendar.Calendar
	MaxCommitmentDays int
	RectificationDays int
}

// effects are what a transition asks to be recorded besides the new application.
type effects struct {
	// Action is the audit record's action ("matters.AcceptApplication").
	Action string
	// Publish: the state changed; the status event goes out and a bundle's progress moves.
	Publish bool
}

// decide applies c, given by the subject by at now, to a (filed under m) with r. a is
// not changed: the result is a new application.
func decide(a *application, m *mattersv1.Matter, c command, by string, r rules, now time.Time) (*application, effects, error) {
	next := a.clone()
	if err := next.apply(m, c, by, r, now); err != nil {
		return nil, effects{}, err
	}
	return next, effects{Action: c.action(), Publish: next.App.GetState() != a.App.GetState()}, nil
}

// apply changes a in place; on error a is half-changed and must be dropped (decide
// works on a clone).
func (a *application) apply(m *mattersv1.Matter, c command, by string, r rules, now time.Time) error {
	const (
		submitted  = mattersv1.State_STATE_SUBMITTED
		accepted   = mattersv1.State_STATE_ACCEPTED
		deferred   = mattersv1.State_STATE_ACCEPTED_DEFERRED
		correction = mattersv1.State_STATE_CORRECTION_REQUESTED
		completed  = mattersv1.State_STATE_COMPLETED
	)
	switch c := c.(type) {
	case acceptCmd:
		if err := inState(a, "受理", submitted); err != nil {
			return err
		}
		if miss := missing(m, a.App); len(miss) > 0 {
			return ErrMissingMaterial.WithMessage("缺少材料：%s（可容缺的材料请容缺受理，其余请补正）", strings.Join(miss, "、"))
		}
		a.App.State = accepted
		return startHandling(a, m, by, now)

	case acceptDeferredCmd:
		// 容缺受理: every material still missing must allow it and be listed; the due date
		// is in working days.
		if err := inState(a, "容缺受理", submitted); err != nil {
			return err
		}
		if n := int(c.DueWorkingDays); n < 1 || n > r.MaxCommitmentDays {
			return errs.Invalid("due_working_days", "INVALID_DUE", fmt.Sprintf("容缺补齐期限应为 1—%d 个工作日", r.MaxCommitmentDays))
		}
		miss := missing(m, a.App)
		for i, name := range c.Missing {
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
			if !slices.Contains(c.Missing, name) {
				return ErrMissingMaterial.WithMessage("缺少材料“%s”，且未列入容缺", name)
			}
		}
		due, err := r.Calendar.AddWorkingDays(now, int(c.DueWorkingDays))
		if err != nil {
			return err
		}
		a.App.State, a.App.MissingMaterials = deferred, c.Missing
		a.App.CommitmentDocument, a.App.CommitmentDueTime = c.CommitmentDocument, ts(due.At)
		return startHandling(a, m, by, now)

	case supplyDeferredCmd:
		if err := inState(a, "补齐容缺材料", deferred); err != nil {
			return err
		}
		if !now.Before(a.App.GetCommitmentDueTime().AsTime()) {
			return ErrCommitmentExpired
		}
		if err := knownMaterials("materials", m, c.Materials); err != nil {
			return err
		}
		merge(a.App, c.Materials)
		if miss := missing(m, a.App); len(miss) > 0 {
			return ErrMissingMaterial.WithMessage("仍缺少材料：%s", strings.Join(miss, "、"))
		}
		a.App.State, a.App.MissingMaterials = accepted, nil

	case requestCorrectionCmd:
		// The 补正 notice: one complete list; both clocks stop.
		if err := inState(a, "要求补正", submitted); err != nil {
			return err
		}
		if a.Clocks.Corrections > 0 {
			return ErrCorrectionOnce
		}
		for i, name := range c.Missing {
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
		a.App.State, a.App.MissingMaterials, a.App.CorrectionNote = correction, c.Missing, c.Note

	case resubmitCmd:
		if err := inState(a, "重新提交", correction); err != nil {
			return err
		}
		if err := knownMaterials("materials", m, c.Materials); err != nil {
			return err
		}
		merge(a.App, c.Materials)
		if err := a.Clocks.Statutory.Resume(now); err != nil {
			return err
		}
		if err := a.Clocks.Promised.Resume(now); err != nil {
			return err
		}
		a.App.State, a.App.MissingMaterials = submitted, nil

	case rejectCmd:
		if err := inState(a, "不予受理", submitted, correction); err != nil {
			return err
		}
		a.App.State, a.App.RejectionReasons = mattersv1.State_STATE_REJECTED, c.Reasons

	case completeStepCmd:
		// The current step closes with its handler and result and the working days it
		// took; after the last step the application is complete (办结).
		if err := inState(a, "办理环节", accepted, deferred); err != nil {
			return err
		}
		cur := a.App.GetCurrentStep()
		switch {
		case c.Step < 0 || int(c.Step) >= len(m.GetSteps()):
			return errs.Invalid("step", "INVALID_STEP", fmt.Sprintf("环节序号应为 0—%d", len(m.GetSteps())-1))
		case c.Step < cur:
			return ErrStepClosed.WithMessage("环节“%s”已办结", m.GetSteps()[c.Step].GetName())
		case c.Step > cur:
			return ErrIllegalTransition.WithMessage("请先办结环节“%s”", m.GetSteps()[cur].GetName())
		}
		last := int(cur) == len(m.GetSteps())-1
		if last && a.App.GetState() == deferred {
			return ErrDeferredPending
		}
		used, err := r.Calendar.WorkingDaysBetween(a.Clocks.StepStart, now)
		if err != nil {
			return err
		}
		rec := a.App.Steps[cur]
		rec.Handler, rec.Result, rec.EndTime, rec.WorkingDaysUsed = c.Handler, c.Result, ts(now), int32(used.Days)
		a.App.ResultDocuments = append(a.App.ResultDocuments, c.ResultDocuments...)
		if err := endStep(a, m, now); err != nil {
			return err
		}
		if !last {
			return startStep(a, m, cur+1, now)
		}
		total, err := workingDaysUsed(r.Calendar, a, now)
		if err != nil {
			return err
		}
		a.App.State, a.App.CompleteTime, a.App.WorkingDaysUsed = completed, ts(now), int32(total)

	case withdrawCmd:
		if err := inState(a, "撤回", submitted, correction, accepted, deferred); err != nil {
			return err
		}
		a.App.State = mattersv1.State_STATE_WITHDRAWN

	case assignCmd:
		if !isOpen(a.App.GetState()) {
			return ErrIllegalTransition.WithMessage("办件处于%s状态，不能分办", stateLabel[a.App.GetState()])
		}
		a.App.Handler, a.App.Window = c.Handler, c.Window

	case rateCmd:
		// 好差评 by the applicant. A first rating of 1–2 (差评) opens a rectification task;
		// once it is closed the applicant rates once more (回访评价).
		if err := inState(a, "评价", completed); err != nil {
			return err
		}
		if by == "" || by != a.App.GetApplicant().GetSubject() {
			return ErrNotApplicant
		}
		rect := a.App.GetRectification()
		switch {
		case a.App.GetRating() == 0:
			a.App.Rating, a.App.RatingComment = c.Score, c.Comment
			if c.Score <= 2 {
				a.Clocks.Rectification = calendar.NewClock(now, calendar.Duration{N: r.RectificationDays, Unit: calendar.WorkingDays})
				a.App.Rectification = &mattersv1.Rectification{Open: true}
			}
		case rect.GetOpen():
			return ErrRectificationOpen
		case rect != nil && a.App.GetFollowUpRating() == 0:
			a.App.FollowUpRating, a.App.FollowUpComment = c.Score, c.Comment
		default:
			return ErrAlreadyRated
		}

	case rectifyCmd:
		if !a.App.GetRectification().GetOpen() {
			return ErrNoRectification
		}
		rect := a.App.Rectification
		rect.Open, rect.Note, rect.Handler, rect.CloseTime = false, c.Note, by, ts(now)
		a.Clocks.Rectification = calendar.Clock{}

	case mailCmd:
		if err := inState(a, "邮寄证照", completed); err != nil {
			return err
		}
		if a.App.GetMailing() != nil {
			return ErrAlreadyMailed
		}
		a.App.Mailing = &mattersv1.Mailing{Carrier: c.Carrier, TrackingNumber: c.TrackingNumber, MailTime: ts(now)}

	default:
		return fmt.Errorf("matters: unknown command %T", c)
	}
	return nil
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

// startHandling begins the first step at acceptance; the acceptor (by) handles it unless
// someone was assigned already.
func startHandling(a *application, m *mattersv1.Matter, by string, now time.Time) error {
	if a.App.GetHandler() == "" {
		a.App.Handler = by
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

// workingDaysUsed is the working days from submission to now less the working days paused.
func workingDaysUsed(cal *calendar.Calendar, a *application, now time.Time) (int, error) {
	all, err := cal.WorkingDaysBetween(a.Clocks.Promised.Start, now)
	if err != nil {
		return 0, err
	}
	n := all.Days
	for _, p := range a.Clocks.Promised.Pauses {
		to := p.To
		if to.IsZero() {
			to = now
		}
		paused, err := cal.WorkingDaysBetween(p.From, to)
		if err != nil {
			return 0, err
		}
		n -= paused.Days
	}
	return max(n, 0), nil
}

// clone is a deep copy of a: a transition of the copy leaves a as it was.
func (a *application) clone() *application {
	c := *a
	c.App = proto.Clone(a.App).(*mattersv1.Application)
	for _, k := range []*calendar.Clock{&c.Clocks.Statutory, &c.Clocks.Promised, &c.Clocks.StepPromised, &c.Clocks.StepStatutory, &c.Clocks.Rectification} {
		k.Pauses = slices.Clone(k.Pauses)
	}
	return &c
}
