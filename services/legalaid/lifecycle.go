package legalaid

import (
	"fmt"
	"slices"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

// The case's life as a pure function: decide takes a case, a command, who gives it, the
// rules of the case's tenant and the time, and returns the case as it becomes and what to
// record — or the domain error the API returns. It reads no database, calendar or clock
// (what needs the calendar, such as whether a day is a court day, the handler works out
// and puts in the command), so every branch is tested by a table (lifecycle_test.go).
//
// 受理 RECEIVED → 指派 ASSIGNED → 起诉 FILED → 立案 REGISTERED → (判决) CLOSED, or
// → 执行 ENFORCING → CLOSED. Reassignment, fee support, preservation measures, bankruptcy
// steps and case files are open to every open state.

type command interface{ action() string }

type (
	assignCmd struct {
		Assignee string
		Role     legalaidv1.AssigneeRole
	}
	feeCmd struct {
		Approve bool
		Note    string
	}
	fileCmd   struct{ Court string }
	docketCmd struct {
		Number   string // normalized and checked by the handler; "" when not given
		Title    string
		Document string
	}
	strikeCmd struct {
		Entry  string
		Seal   bool
		Reason string
	}
	reserveCmd struct {
		Start     time.Time
		Courtroom string
		CourtDay  bool // the handler asked the calendar
		Override  string
	}
	notifyCmd struct {
		Hearing string
		Outcome legalaidv1.HearingOutcome
		Note    string
	}
	suspendCmd struct {
		Reason     legalaidv1.SuspensionReason
		Start, End time.Time // End zero: until ResumeTrial
	}
	resumeCmd struct{}
	extendCmd struct {
		Days             int32
		Reason, Approval string
	}
	judgmentCmd struct {
		Outcome     string
		Enforcement bool
	}
	enforcementCmd struct{ Status legalaidv1.EnforcementStatus }
	preserveCmd    struct{ P preservation }
	releaseCmd     struct{ ID string }
	stepCmd        struct{ S step }
	completeCmd    struct{ ID, Result string }
	addFileCmd     struct {
		Document     string
		Confidential bool
		// Held: the handler put it under legal hold before (Own: the hold is this case's).
		Held, Own bool
	}
	// holdLostCmd records files that are no longer held (a release for a close that
	// did not happen could not be undone): the record never claims a hold it lacks.
	holdLostCmd struct{ Documents []string }
)

func (assignCmd) action() string      { return "legalaid.AssignCase" }
func (feeCmd) action() string         { return "legalaid.AssessFeeSupport" }
func (fileCmd) action() string        { return "legalaid.FileCase" }
func (docketCmd) action() string      { return "legalaid.RecordDocketing" }
func (strikeCmd) action() string      { return "legalaid.StrikeDocketEntry" }
func (reserveCmd) action() string     { return "legalaid.ReserveCourtDate" }
func (notifyCmd) action() string      { return "legalaid.NotifyCourtDate" }
func (suspendCmd) action() string     { return "legalaid.SuspendTrial" }
func (resumeCmd) action() string      { return "legalaid.ResumeTrial" }
func (extendCmd) action() string      { return "legalaid.ExtendTrial" }
func (judgmentCmd) action() string    { return "legalaid.RecordJudgment" }
func (enforcementCmd) action() string { return "legalaid.RecordEnforcement" }
func (preserveCmd) action() string    { return "legalaid.AddPreservation" }
func (releaseCmd) action() string     { return "legalaid.ReleasePreservation" }
func (stepCmd) action() string        { return "legalaid.AddBankruptcyStep" }
func (completeCmd) action() string    { return "legalaid.CompleteBankruptcyStep" }
func (addFileCmd) action() string     { return "legalaid.AddCaseFile" }
func (holdLostCmd) action() string    { return "legalaid.HoldLost" }

// rules are the settings a transition depends on, at the case's tenant.
type rules struct {
	TrialDays  int // the local trial limit of the case's type; 0: none
	FeeSupport FeeSupportRules
}

// effects are what a transition asks to be recorded besides the new case.
type effects struct {
	Action string
	// StateChanged: the case moved to another state.
	StateChanged bool
}

// decide applies c, given by the subject by at now, to lc under r. lc is not changed.
func decide(lc *legalCase, c command, by string, r rules, now time.Time) (*legalCase, effects, error) {
	if !lc.open() {
		return nil, effects{}, ErrCaseClosed
	}
	next := lc.clone()
	if err := next.apply(c, by, r, now); err != nil {
		return nil, effects{}, err
	}
	return next, effects{Action: c.action(), StateChanged: next.State != lc.State}, nil
}

func illegal(c command, st legalaidv1.State) error {
	return ErrIllegalTransition.WithMessage("案件状态为 %s，不能执行 %s", st, c.action())
}

func (lc *legalCase) apply(c command, by string, r rules, now time.Time) error {
	switch c := c.(type) {
	case assignCmd:
		lc.Assignee, lc.AssigneeRole = c.Assignee, c.Role
		if lc.State == legalaidv1.State_STATE_RECEIVED {
			lc.State = legalaidv1.State_STATE_ASSIGNED
		}
	case feeCmd:
		if lc.Fee != nil && lc.Fee.Decided {
			return ErrFeeDecided
		}
		fee := assessFee(lc, r.FeeSupport)
		if c.Approve && !fee.Eligible {
			return ErrNotEligible.WithMessage("不符合诉讼费用支持条件：%s", fee.Reasons[0])
		}
		if !c.Approve {
			fee.Eligible, fee.AmountFen = false, 0
			fee.Reasons = append(fee.Reasons, "未予支持")
		}
		if c.Note != "" {
			fee.Reasons = append(fee.Reasons, c.Note)
		}
		fee.Decided, fee.By, fee.At = true, by, now
		lc.Fee = &fee
	case fileCmd:
		if lc.State != legalaidv1.State_STATE_ASSIGNED {
			return illegal(c, lc.State)
		}
		lc.Court, lc.State = c.Court, legalaidv1.State_STATE_FILED
	case docketCmd:
		return lc.docket(c, by, r, now)
	case strikeCmd:
		i := slices.IndexFunc(lc.Docket, func(e entry) bool { return e.ID == c.Entry })
		if i < 0 {
			return ErrEntryNotFound
		}
		st := legalaidv1.EntryStatus_ENTRY_STATUS_STRICKEN
		if c.Seal {
			st = legalaidv1.EntryStatus_ENTRY_STATUS_SEALED
		}
		lc.Docket[i].Status, lc.Docket[i].StatusReason = st, c.Reason
	case reserveCmd:
		if lc.State != legalaidv1.State_STATE_REGISTERED {
			return illegal(c, lc.State)
		}
		if !c.CourtDay && c.Override == "" {
			return ErrNonCourtDay.WithField("override_reason", ErrNonCourtDay.Code, "非法院工作日开庭须说明理由")
		}
		reason := ""
		if !c.CourtDay {
			reason = c.Override
		}
		lc.Hearings = append(lc.Hearings, hearing{ID: fmt.Sprintf("H%d", len(lc.Hearings)+1), Start: c.Start,
			Courtroom: c.Courtroom, Outcome: legalaidv1.HearingOutcome_HEARING_OUTCOME_SCHEDULED, Override: reason})
	case notifyCmd:
		i := slices.IndexFunc(lc.Hearings, func(h hearing) bool { return h.ID == c.Hearing })
		if i < 0 {
			return ErrHearingNotFound
		}
		lc.Hearings[i].Outcome, lc.Hearings[i].Note = c.Outcome, c.Note
	case suspendCmd:
		return lc.suspend(c, now)
	case resumeCmd:
		if lc.Trial == nil {
			return ErrNoTrialClock
		}
		if !lc.Trial.Clock.Paused() {
			return ErrNotSuspended
		}
		if err := lc.Trial.Clock.Resume(now); err != nil {
			return err
		}
		lc.Trial.Statutory.Pauses = slices.Clone(lc.Trial.Clock.Pauses)
		lc.Trial.Suspensions[len(lc.Trial.Suspensions)-1].End = now
	case extendCmd:
		if lc.Trial == nil || lc.Trial.Stopped {
			return ErrNoTrialClock
		}
		lc.Trial.Clock.Limit.N += int(c.Days)
		lc.Trial.Statutory.Limit.N += int(c.Days)
		lc.Trial.Extensions = append(lc.Trial.Extensions, extension{Days: c.Days, Reason: c.Reason, Approval: c.Approval, By: by, At: now})
	case judgmentCmd:
		if lc.State != legalaidv1.State_STATE_REGISTERED {
			return illegal(c, lc.State)
		}
		lc.Judgment = &judgment{Outcome: c.Outcome, At: now, Enforcement: c.Enforcement}
		if lc.Trial != nil {
			if lc.Trial.Clock.Paused() { // a judgment ends a suspension
				_ = lc.Trial.Clock.Resume(now)
				lc.Trial.Statutory.Pauses = slices.Clone(lc.Trial.Clock.Pauses)
			}
			lc.Trial.Stopped = true
		}
		lc.State = legalaidv1.State_STATE_CLOSED
		if c.Enforcement {
			lc.State = legalaidv1.State_STATE_ENFORCING
			lc.Enforcement = legalaidv1.EnforcementStatus_ENFORCEMENT_STATUS_ONGOING
		}
	case enforcementCmd:
		if lc.State != legalaidv1.State_STATE_ENFORCING {
			return illegal(c, lc.State)
		}
		lc.Enforcement = c.Status
		if c.Status == legalaidv1.EnforcementStatus_ENFORCEMENT_STATUS_CONCLUDED {
			lc.State = legalaidv1.State_STATE_CLOSED
		}
	case preserveCmd:
		p := c.P
		if p.Production && p.Flexibility != legalaidv1.Flexibility_FLEXIBILITY_SUBSTITUTE &&
			p.ReservedCapitalFen == 0 && len(p.ReservedAccounts) == 0 && len(p.ReservedEquipment) == 0 {
			return ErrReserveRequired.WithField("preservation.reserved_working_capital", ErrReserveRequired.Code, "须写明预留的流动资金、账户或关键设备")
		}
		p.ID, p.Created = fmt.Sprintf("P%d", len(lc.Preservations)+1), now
		lc.Preservations = append(lc.Preservations, p)
	case releaseCmd:
		i := slices.IndexFunc(lc.Preservations, func(p preservation) bool { return p.ID == c.ID })
		if i < 0 {
			return ErrMeasureNotFound
		}
		if lc.Preservations[i].Released {
			return ErrIllegalTransition.WithMessage("保全措施已解除")
		}
		lc.Preservations[i].Released, lc.Preservations[i].ReleasedAt = true, now
	case stepCmd:
		if lc.Type != legalaidv1.CaseType_CASE_TYPE_BANKRUPTCY {
			return ErrNotBankruptcy
		}
		s := c.S
		s.ID = fmt.Sprintf("S%d", len(lc.Steps)+1)
		lc.Steps = append(lc.Steps, s)
	case completeCmd:
		i := slices.IndexFunc(lc.Steps, func(s step) bool { return s.ID == c.ID })
		if i < 0 {
			return ErrStepNotFound
		}
		if lc.Steps[i].Done {
			return ErrIllegalTransition.WithMessage("该事项已完成")
		}
		lc.Steps[i].Done, lc.Steps[i].Result, lc.Steps[i].DoneAt = true, c.Result, now
	case addFileCmd:
		if i := slices.IndexFunc(lc.Files, func(f caseFile) bool { return f.Document == c.Document }); i >= 0 {
			if f := &lc.Files[i]; !f.Hold && c.Held {
				f.Hold, f.Own = true, c.Own // a file recorded before it could be held
			}
			return nil
		}
		lc.Files = append(lc.Files, caseFile{Document: c.Document, Confidential: c.Confidential, Hold: c.Held, Own: c.Held && c.Own, By: by})
	case holdLostCmd:
		for i := range lc.Files {
			if slices.Contains(c.Documents, lc.Files[i].Document) {
				lc.Files[i].Hold, lc.Files[i].Own = false, false
			}
		}
	default:
		return fmt.Errorf("legalaid: unknown command %T", c)
	}
	return nil
}

// docket records an entry; the first on a filed case registers it under its number.
func (lc *legalCase) docket(c docketCmd, by string, r rules, now time.Time) error {
	switch lc.State {
	case legalaidv1.State_STATE_FILED:
		if c.Number == "" {
			return ErrInvalidCaseNumber.WithField("court_case_number", "REQUIRED", "立案登记须填写案号")
		}
		lc.Number, lc.Registered, lc.State = c.Number, now, legalaidv1.State_STATE_REGISTERED
		if r.TrialDays > 0 {
			// 6 months of the Civil Procedure Law, counted in natural days from the date.
			reg := calendar.DateOf(now).Start()
			statutory := int(reg.AddDate(0, 6, 0).Sub(reg).Hours()/24 + 0.5)
			lc.Trial = &trial{
				Clock:     calendar.NewClock(now, calendar.Duration{N: r.TrialDays, Unit: calendar.NaturalDays}),
				Statutory: calendar.NewClock(now, calendar.Duration{N: statutory, Unit: calendar.NaturalDays}),
			}
		}
	case legalaidv1.State_STATE_REGISTERED, legalaidv1.State_STATE_ENFORCING:
		if c.Number != "" && c.Number != lc.Number {
			return ErrCaseNumberMismatch
		}
	default:
		return illegal(c, lc.State)
	}
	lc.Docket = append(lc.Docket, entry{ID: fmt.Sprintf("D%d", len(lc.Docket)+1), Title: c.Title, Document: c.Document,
		Status: legalaidv1.EntryStatus_ENTRY_STATUS_FILED, By: by, At: now})
	return nil
}

// suspend records a lawful suspension of the trial clock.
func (lc *legalCase) suspend(c suspendCmd, now time.Time) error {
	t := lc.Trial
	if t == nil || t.Stopped {
		return ErrNoTrialClock
	}
	if t.Clock.Paused() {
		return ErrAlreadySuspended
	}
	if c.Start.After(now) || (!c.End.IsZero() && c.End.After(now)) {
		return calendar.ErrClockTimeOrder.WithMessage("中止期间不能晚于当前时间；尚未结束的中止不填结束时间")
	}
	end := c.End
	if end.IsZero() {
		end = now
	}
	if end.Sub(c.Start) > time.Duration(t.Clock.Limit.N)*24*time.Hour {
		return ErrSuspensionTooLong.WithMessage("扣除期间 %d 天超过审理期限 %d 天", int(end.Sub(c.Start).Hours()/24), t.Clock.Limit.N)
	}
	if err := t.Clock.Pause(c.Start, calendar.PauseSuspension); err != nil {
		return err
	}
	if !c.End.IsZero() {
		if err := t.Clock.Resume(c.End); err != nil {
			return err
		}
	}
	t.Statutory.Pauses = slices.Clone(t.Clock.Pauses)
	t.Suspensions = append(t.Suspensions, suspension(c))
	return nil
}

// assessFee applies the fee-support rules to lc's hardship facts: eligible when any
// criterion is met, for the rules' percent of the estimated court fee, capped.
func assessFee(lc *legalCase, r FeeSupportRules) feeSupport {
	fee := courtFee(lc.AmountFen)
	out := feeSupport{EstimatedFen: fee}
	for _, c := range r.Criteria {
		have, ok := lc.Hardship[c.Attribute]
		if !ok {
			continue
		}
		got, err1 := parseDecimal(c.Attribute, have)
		want, err2 := parseDecimal(c.Attribute, c.Value)
		if err1 != nil || err2 != nil {
			continue
		}
		met := (c.Operator == "gte" && got >= want) || (c.Operator == "lte" && got <= want) || (c.Operator == "eq" && got == want)
		if met {
			out.Reasons = append(out.Reasons, c.Title)
		}
	}
	if len(out.Reasons) == 0 {
		out.Reasons = []string{"未达到任一困难认定标准"}
		return out
	}
	maxFen, _ := parseYuan("max_amount", r.MaxAmount)
	out.Eligible = true
	out.AmountFen = min(fee*int64(r.Percent)/100, maxFen)
	return out
}
