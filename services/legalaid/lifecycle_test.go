package legalaid

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// caseIn is a case in state st; a registered one has a 90-day trial clock from t0.
func caseIn(st legalaidv1.State) *legalCase {
	lc := &legalCase{Tenant: "ahz", ID: "L-20261125-000001", Revision: 1, State: st,
		Type: legalaidv1.CaseType_CASE_TYPE_COMMERCIAL, AmountFen: 125000050, Hardship: map[string]string{"revenue_drop_percent": "42.5"}}
	if st >= legalaidv1.State_STATE_FILED {
		lc.Court = "gaoxin_court"
	}
	if st >= legalaidv1.State_STATE_REGISTERED {
		lc.Number, lc.Registered = "（2026）辽0391民初1号", t0
		lc.Trial = &trial{Clock: calendar.NewClock(t0, calendar.Duration{N: 90, Unit: calendar.NaturalDays}),
			Statutory: calendar.NewClock(t0, calendar.Duration{N: 181, Unit: calendar.NaturalDays})}
	}
	if st >= legalaidv1.State_STATE_ENFORCING {
		lc.Trial.Stopped = true
	}
	return lc
}

var testRules = rules{TrialDays: 90, FeeSupport: DefaultSettings().FeeSupport}

// TestDecide: every command from the states it is given in, what it makes, and what it
// refuses; the input case never changes.
func TestDecide(t *testing.T) {
	t.Parallel()
	const (
		received   = legalaidv1.State_STATE_RECEIVED
		assigned   = legalaidv1.State_STATE_ASSIGNED
		filed      = legalaidv1.State_STATE_FILED
		registered = legalaidv1.State_STATE_REGISTERED
		enforcing  = legalaidv1.State_STATE_ENFORCING
		closed     = legalaidv1.State_STATE_CLOSED
	)
	now := t0.Add(10 * 24 * time.Hour)
	production := preservation{Kind: legalaidv1.MeasureKind_MEASURE_KIND_SEAL, Asset: "数控机床", Production: true,
		Flexibility: legalaidv1.Flexibility_FLEXIBILITY_LIVE_SEAL}
	withReserve := production
	withReserve.ReservedCapitalFen = 20000000
	for _, c := range []struct {
		name  string
		from  legalaidv1.State
		cmd   command
		to    legalaidv1.State
		err   string
		check func(t *testing.T, lc *legalCase)
	}{
		{name: "assign a new case", from: received, cmd: assignCmd{Assignee: "u-l", Role: legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LAWYER}, to: assigned},
		{name: "reassign keeps the state", from: registered, cmd: assignCmd{Assignee: "u-m", Role: legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LEGAL_ADVISER}, to: registered,
			check: func(t *testing.T, lc *legalCase) { require.Equal(t, "u-m", lc.Assignee) }},
		{name: "file", from: assigned, cmd: fileCmd{Court: "gaoxin_court"}, to: filed},
		{name: "file before assignment", from: received, cmd: fileCmd{Court: "gaoxin_court"}, err: "ILLEGAL_TRANSITION"},
		{name: "docketing registers", from: filed, cmd: docketCmd{Number: "（2026）辽0391民初9号", Title: "立案"}, to: registered,
			check: func(t *testing.T, lc *legalCase) {
				require.Equal(t, now, lc.Registered)
				require.Equal(t, 90, lc.Trial.Clock.Limit.N)
				require.Len(t, lc.Docket, 1)
			}},
		{name: "registration needs a number", from: filed, cmd: docketCmd{Title: "立案"}, err: "INVALID_CASE_NUMBER"},
		{name: "a later entry", from: registered, cmd: docketCmd{Title: "答辩状"}, to: registered},
		{name: "another number", from: registered, cmd: docketCmd{Number: "（2026）辽0391民初2号", Title: "x"}, err: "CASE_NUMBER_MISMATCH"},
		{name: "docket before filing", from: assigned, cmd: docketCmd{Number: "（2026）辽0391民初9号", Title: "x"}, err: "ILLEGAL_TRANSITION"},
		{name: "docket on a closed case", from: closed, cmd: docketCmd{Title: "x"}, err: "CASE_CLOSED"},
		{name: "strike unknown entry", from: registered, cmd: strikeCmd{Entry: "D9", Reason: "x"}, err: "DOCKET_ENTRY_NOT_FOUND"},
		{name: "hearing on a court day", from: registered, cmd: reserveCmd{Start: now, Courtroom: "第一法庭", CourtDay: true}, to: registered,
			check: func(t *testing.T, lc *legalCase) { require.Equal(t, "H1", lc.Hearings[0].ID) }},
		{name: "hearing on a non-court day", from: registered, cmd: reserveCmd{Start: now, Courtroom: "第一法庭"}, err: "NON_COURT_DAY"},
		{name: "hearing on a non-court day, overridden", from: registered, cmd: reserveCmd{Start: now, Courtroom: "第一法庭", Override: "当事人申请"}, to: registered,
			check: func(t *testing.T, lc *legalCase) { require.Equal(t, "当事人申请", lc.Hearings[0].Override) }},
		{name: "hearing before registration", from: filed, cmd: reserveCmd{Start: now, CourtDay: true}, err: "ILLEGAL_TRANSITION"},
		{name: "notify unknown hearing", from: registered, cmd: notifyCmd{Hearing: "H7"}, err: "HEARING_NOT_FOUND"},
		{name: "suspension recorded", from: registered, cmd: suspendCmd{Reason: legalaidv1.SuspensionReason_SUSPENSION_REASON_APPRAISAL, Start: t0.Add(24 * time.Hour), End: t0.Add(8 * 24 * time.Hour)}, to: registered,
			check: func(t *testing.T, lc *legalCase) {
				require.Len(t, lc.Trial.Clock.Pauses, 1)
				require.Equal(t, lc.Trial.Clock.Pauses, lc.Trial.Statutory.Pauses)
				require.False(t, lc.Trial.Clock.Paused())
			}},
		{name: "open suspension", from: registered, cmd: suspendCmd{Reason: legalaidv1.SuspensionReason_SUSPENSION_REASON_SUSPENSION, Start: t0.Add(24 * time.Hour)}, to: registered,
			check: func(t *testing.T, lc *legalCase) { require.True(t, lc.Trial.Clock.Paused()) }},
		{name: "suspension longer than the clock", from: registered, cmd: suspendCmd{Reason: legalaidv1.SuspensionReason_SUSPENSION_REASON_PUBLIC_NOTICE, Start: t0.Add(-100 * 24 * time.Hour), End: t0.Add(-1)}, err: "SUSPENSION_TOO_LONG"},
		{name: "suspension in the future", from: registered, cmd: suspendCmd{Reason: legalaidv1.SuspensionReason_SUSPENSION_REASON_SUSPENSION, Start: now.Add(time.Hour)}, err: "CLOCK_TIME_ORDER"},
		{name: "suspension before filing", from: filed, cmd: suspendCmd{Reason: legalaidv1.SuspensionReason_SUSPENSION_REASON_SUSPENSION, Start: t0}, err: "NO_TRIAL_CLOCK"},
		{name: "resume a running clock", from: registered, cmd: resumeCmd{}, err: "NOT_SUSPENDED"},
		{name: "extension", from: registered, cmd: extendCmd{Days: 30, Reason: "案情复杂", Approval: "院长批准"}, to: registered,
			check: func(t *testing.T, lc *legalCase) {
				require.Equal(t, 120, lc.Trial.Clock.Limit.N)
				require.Equal(t, 211, lc.Trial.Statutory.Limit.N)
			}},
		{name: "judgment closes", from: registered, cmd: judgmentCmd{Outcome: "判决被告支付货款"}, to: closed,
			check: func(t *testing.T, lc *legalCase) { require.True(t, lc.Trial.Stopped) }},
		{name: "judgment to enforce", from: registered, cmd: judgmentCmd{Outcome: "判决", Enforcement: true}, to: enforcing},
		{name: "judgment before registration", from: filed, cmd: judgmentCmd{Outcome: "x"}, err: "ILLEGAL_TRANSITION"},
		{name: "enforcement concluded", from: enforcing, cmd: enforcementCmd{Status: legalaidv1.EnforcementStatus_ENFORCEMENT_STATUS_CONCLUDED}, to: closed},
		{name: "enforcement ongoing", from: enforcing, cmd: enforcementCmd{Status: legalaidv1.EnforcementStatus_ENFORCEMENT_STATUS_ONGOING}, to: enforcing},
		{name: "production asset without reserve", from: registered, cmd: preserveCmd{P: production}, err: "RESERVE_REQUIRED"},
		{name: "production asset with reserve", from: registered, cmd: preserveCmd{P: withReserve}, to: registered,
			check: func(t *testing.T, lc *legalCase) { require.Equal(t, "P1", lc.Preservations[0].ID) }},
		{name: "release unknown measure", from: registered, cmd: releaseCmd{ID: "P3"}, err: "PRESERVATION_NOT_FOUND"},
		{name: "bankruptcy step on a commercial case", from: registered, cmd: stepCmd{S: step{Kind: legalaidv1.StepKind_STEP_KIND_TAX}}, err: "NOT_BANKRUPTCY"},
		{name: "fee support granted", from: received, cmd: feeCmd{Approve: true}, to: received,
			check: func(t *testing.T, lc *legalCase) {
				require.True(t, lc.Fee.Eligible)
				require.Equal(t, int64(1605000), lc.Fee.EstimatedFen)
				require.Equal(t, int64(802500), lc.Fee.AmountFen) // 50 % of 16,050.00
				require.Equal(t, []string{"营业收入同比下降30%以上"}, lc.Fee.Reasons)
			}},
		{name: "fee support refused", from: received, cmd: feeCmd{Approve: false}, to: received,
			check: func(t *testing.T, lc *legalCase) {
				require.False(t, lc.Fee.Eligible)
				require.Zero(t, lc.Fee.AmountFen)
			}},
		{name: "fee support on a closed case", from: closed, cmd: feeCmd{Approve: true}, err: "CASE_CLOSED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			lc := caseIn(c.from)
			before := lc.clone()
			got, eff, err := decide(lc, c.cmd, "u-actor", testRules, now)
			require.Equal(t, before, lc, "decide changed its input")
			if c.err != "" {
				require.Error(t, err)
				require.Equal(t, c.err, errs.From(err).Code)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.to, got.State)
			require.Equal(t, c.to != c.from, eff.StateChanged)
			require.Equal(t, c.cmd.action(), eff.Action)
			if c.check != nil {
				c.check(t, got)
			}
		})
	}
}

// TestFeeSupportCriteria: not meeting any criterion refuses an approval, with the reason.
func TestFeeSupportCriteria(t *testing.T) {
	t.Parallel()
	lc := caseIn(legalaidv1.State_STATE_RECEIVED)
	lc.Hardship = map[string]string{"revenue_drop_percent": "12"}
	_, _, err := decide(lc, feeCmd{Approve: true}, "u", testRules, t0)
	require.Equal(t, "NOT_ELIGIBLE", errs.From(err).Code)
	lc.Hardship["months_in_arrears"] = "4"
	got, _, err := decide(lc, feeCmd{Approve: true}, "u", testRules, t0)
	require.NoError(t, err)
	require.Equal(t, []string{"连续3个月以上欠缴社保或工资"}, got.Fee.Reasons)
	_, _, err = decide(got, feeCmd{Approve: true}, "u", testRules, t0)
	require.Equal(t, "FEE_SUPPORT_DECIDED", errs.From(err).Code)
}
