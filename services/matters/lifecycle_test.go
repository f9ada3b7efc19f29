package matters

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// The lifecycle's tests need no server: an application is a value, the calendar is in
// memory, and decide a function.

var (
	// lcFiled is when the fixtures were filed (Wednesday 2026-11-25 10:00 CST), lcNow
	// when the commands are given (Friday 15:00).
	lcFiled = time.Date(2026, time.November, 25, 10, 0, 0, 0, calendar.Location)
	lcNow   = time.Date(2026, time.November, 27, 15, 0, 0, 0, calendar.Location)

	wd = func(n int32) *mattersv1.Limit { return &mattersv1.Limit{N: n, Unit: mattersv1.Unit_UNIT_WORKING_DAYS} }
	// lcMatter has a required, a deferrable and an optional material, and three steps of
	// which the second (公示) does not count toward the limit.
	lcMatter = &mattersv1.Matter{Name: "matters/TEST", Code: "TEST", Version: 1,
		Materials: []*mattersv1.Material{
			{Name: "身份证", Requirement: mattersv1.Requirement_REQUIREMENT_REQUIRED},
			{Name: "营业执照", Requirement: mattersv1.Requirement_REQUIREMENT_DEFERRABLE},
			{Name: "照片", Requirement: mattersv1.Requirement_REQUIREMENT_OPTIONAL},
		},
		Steps: []*mattersv1.Step{
			{Name: "审查", PromisedLimit: wd(2), StatutoryLimit: wd(3), CountsTowardLimit: true},
			{Name: "公示", PromisedLimit: wd(5), StatutoryLimit: wd(5)},
			{Name: "决定", PromisedLimit: wd(1), StatutoryLimit: wd(2), CountsTowardLimit: true},
		},
		PromisedLimit: wd(5), StatutoryLimit: wd(10)}
)

const (
	submitted  = mattersv1.State_STATE_SUBMITTED
	accepted   = mattersv1.State_STATE_ACCEPTED
	deferred   = mattersv1.State_STATE_ACCEPTED_DEFERRED
	correction = mattersv1.State_STATE_CORRECTION_REQUESTED
	rejected   = mattersv1.State_STATE_REJECTED
	completed  = mattersv1.State_STATE_COMPLETED
	withdrawn  = mattersv1.State_STATE_WITHDRAWN
	terminated = mattersv1.State_STATE_TERMINATED

	applicant = "u-applicant"
	clerk     = "u-clerk"
)

var allStates = []mattersv1.State{submitted, accepted, deferred, correction, rejected, completed, withdrawn, terminated}

func lcRules(t *testing.T) rules {
	t.Helper()
	cal, err := calendar.New(calendar.Official()...)
	require.NoError(t, err)
	return rules{Calendar: cal, MaxCommitmentDays: 20, RectificationDays: 5}
}

func material(name string) *mattersv1.SubmittedMaterial {
	return &mattersv1.SubmittedMaterial{Name: name, Document: "tenants/ahz/documents/" + name}
}

// lcApp is an application in state as the flow leaves it there (handled in its first
// step once accepted), changed by opts.
func lcApp(state mattersv1.State, opts ...func(*application)) *application {
	a := &application{Tenant: "ahz", ID: "M-20261125-000001", Revision: 3, App: &mattersv1.Application{
		Name: "tenants/ahz/applications/M-20261125-000001", Matter: "matters/TEST", MatterVersion: 1, State: state,
		Applicant: &mattersv1.Applicant{Name: "钱七", Subject: applicant}, Channel: mattersv1.Channel_CHANNEL_WINDOW,
		Materials: []*mattersv1.SubmittedMaterial{material("身份证"), material("营业执照")},
	}, Clocks: clocks{Statutory: calendar.NewClock(lcFiled, limitOf(wd(10))), Promised: calendar.NewClock(lcFiled, limitOf(wd(5)))}}
	started := lcFiled.Add(time.Hour)
	switch state {
	case accepted, deferred, completed:
		a.App.Handler, a.App.CurrentStep = clerk, 0
		a.App.Steps = []*mattersv1.StepRecord{{Name: "审查", StartTime: ts(started)}}
		a.Clocks.StepStart = started
		a.Clocks.StepPromised, a.Clocks.StepStatutory = calendar.NewClock(started, limitOf(wd(2))), calendar.NewClock(started, limitOf(wd(3)))
	case correction:
		a.Clocks.Corrections = 1
		for _, k := range []*calendar.Clock{&a.Clocks.Statutory, &a.Clocks.Promised} {
			k.Pauses = []calendar.Pause{{Reason: calendar.PauseSupplement, From: started}}
		}
	}
	if state == deferred {
		a.App.Materials = a.App.Materials[:1]
		a.App.MissingMaterials, a.App.CommitmentDocument = []string{"营业执照"}, "tenants/ahz/documents/承诺书"
		a.App.CommitmentDueTime = ts(lcNow.AddDate(0, 0, 5))
	}
	if state == completed {
		a.App.CurrentStep, a.App.CompleteTime = 2, ts(lcNow.Add(-time.Hour))
		a.Clocks.StepPromised, a.Clocks.StepStatutory = calendar.Clock{}, calendar.Clock{}
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func withMaterials(names ...string) func(*application) {
	return func(a *application) {
		a.App.Materials = nil
		for _, n := range names {
			a.App.Materials = append(a.App.Materials, material(n))
		}
	}
}

// snapshot is a's stored form, to show that decide leaves its input alone.
func snapshot(t *testing.T, a *application) string {
	t.Helper()
	app, err := protojson.Marshal(a.App)
	require.NoError(t, err)
	cl, err := json.Marshal(a.Clocks)
	require.NoError(t, err)
	return string(app) + string(cl)
}

// requireCode asserts err is the domain error with code (its own, or its field
// violation's for a bad argument), and returns its message.
func requireCode(t *testing.T, err error, code string) string {
	t.Helper()
	var e *errs.Error
	require.True(t, errors.As(err, &e), "want %s, got %v", code, err)
	codes := []string{e.Code}
	for _, v := range e.Violations {
		codes = append(codes, v.Code)
	}
	require.Contains(t, codes, code, e.Message)
	return e.Message
}

// TestDecide: each command from the states it is given in, with the fields it changes
// (want edits a copy of the input into the expected result), or the error it returns.
func TestDecide(t *testing.T) {
	t.Parallel()
	r := lcRules(t)
	due := func(n int) time.Time {
		d, err := r.Calendar.AddWorkingDays(lcNow, n)
		require.NoError(t, err)
		return d.At
	}
	// step starts step i at now, as startStep does.
	step := func(a *application, i int32) {
		st := lcMatter.GetSteps()[i]
		a.App.Steps = append(a.App.Steps, &mattersv1.StepRecord{Name: st.GetName(), StartTime: ts(lcNow)})
		a.App.CurrentStep, a.Clocks.StepStart = i, lcNow
		a.Clocks.StepPromised = calendar.NewClock(lcNow, limitOf(st.GetPromisedLimit()))
		a.Clocks.StepStatutory = calendar.NewClock(lcNow, limitOf(st.GetStatutoryLimit()))
	}
	// closeStep records the end of the current step as CompleteStep does (two working
	// days, Wednesday to Friday).
	closeStep := func(a *application) {
		rec := a.App.Steps[a.App.CurrentStep]
		rec.Handler, rec.Result, rec.EndTime, rec.WorkingDaysUsed = "王科长", "同意", ts(lcNow), 2
		a.Clocks.StepPromised, a.Clocks.StepStatutory = calendar.Clock{}, calendar.Clock{}
	}
	// inStep puts an accepted application in step i (started on filing day).
	inStep := func(i int32) func(*application) {
		return func(a *application) {
			a.App.CurrentStep = i
			for _, st := range lcMatter.GetSteps()[1 : i+1] {
				a.App.Steps = append(a.App.Steps, &mattersv1.StepRecord{Name: st.GetName(), StartTime: ts(lcFiled.Add(time.Hour))})
			}
			if i == 1 {
				for _, k := range []*calendar.Clock{&a.Clocks.Statutory, &a.Clocks.Promised} {
					k.Pauses = []calendar.Pause{{Reason: calendar.PauseExtension, From: lcFiled.Add(time.Hour)}}
				}
			}
		}
	}
	pausedBoth := func(reason calendar.PauseReason, from, to time.Time) func(*application) {
		return func(a *application) {
			for _, k := range []*calendar.Clock{&a.Clocks.Statutory, &a.Clocks.Promised} {
				k.Pauses = []calendar.Pause{{Reason: reason, From: from, To: to}}
			}
		}
	}
	complete := completeStepCmd{Step: 0, Handler: "王科长", Result: "同意", ResultDocuments: []string{"tenants/ahz/documents/决定书"}}
	tests := []struct {
		name    string
		from    *application
		cmd     command
		by      string
		want    func(*application) // nil for an error
		code    string
		publish bool
	}{
		{name: "accept starts the first step with the acceptor", from: lcApp(submitted), cmd: acceptCmd{},
			want: func(a *application) {
				a.App.State, a.App.Handler = accepted, clerk
				step(a, 0)
			}, publish: true},
		{name: "accept keeps the assigned handler", from: lcApp(submitted, func(a *application) { a.App.Handler = "u-assigned" }), cmd: acceptCmd{},
			want: func(a *application) { a.App.State = accepted; step(a, 0) }, publish: true},
		{name: "accept with a material missing", from: lcApp(submitted, withMaterials("身份证")), cmd: acceptCmd{}, code: "MISSING_MATERIAL"},
		{name: "accept deferred", from: lcApp(submitted, withMaterials("身份证")),
			cmd: acceptDeferredCmd{Missing: []string{"营业执照"}, CommitmentDocument: "tenants/ahz/documents/承诺书", DueWorkingDays: 3},
			want: func(a *application) {
				a.App.State, a.App.MissingMaterials, a.App.Handler = deferred, []string{"营业执照"}, clerk
				a.App.CommitmentDocument, a.App.CommitmentDueTime = "tenants/ahz/documents/承诺书", ts(due(3))
				step(a, 0)
			}, publish: true},
		{name: "deferral of no days", from: lcApp(submitted, withMaterials("身份证")), cmd: acceptDeferredCmd{Missing: []string{"营业执照"}, DueWorkingDays: 0}, code: "INVALID_DUE"},
		{name: "deferral beyond the bound", from: lcApp(submitted, withMaterials("身份证")), cmd: acceptDeferredCmd{Missing: []string{"营业执照"}, DueWorkingDays: 21}, code: "INVALID_DUE"},
		{name: "defer a material the matter lacks", from: lcApp(submitted, withMaterials("身份证")), cmd: acceptDeferredCmd{Missing: []string{"户口本"}, DueWorkingDays: 3}, code: "UNKNOWN_MATERIAL"},
		{name: "defer a required material", from: lcApp(submitted, withMaterials()), cmd: acceptDeferredCmd{Missing: []string{"身份证", "营业执照"}, DueWorkingDays: 3}, code: "MATERIAL_NOT_DEFERRABLE"},
		{name: "defer a material handed in", from: lcApp(submitted), cmd: acceptDeferredCmd{Missing: []string{"营业执照"}, DueWorkingDays: 3}, code: "MATERIAL_NOT_MISSING"},
		{name: "defer leaving a required one missing", from: lcApp(submitted, withMaterials()), cmd: acceptDeferredCmd{Missing: []string{"营业执照"}, DueWorkingDays: 3}, code: "MISSING_MATERIAL"},
		{name: "supply the deferred materials", from: lcApp(deferred), cmd: supplyDeferredCmd{Materials: []*mattersv1.SubmittedMaterial{material("营业执照")}},
			want: func(a *application) {
				a.App.State, a.App.MissingMaterials = accepted, nil
				a.App.Materials = append(a.App.Materials, material("营业执照"))
			}, publish: true},
		{name: "supply after the commitment expired", from: lcApp(deferred, func(a *application) { a.App.CommitmentDueTime = ts(lcNow) }),
			cmd: supplyDeferredCmd{Materials: []*mattersv1.SubmittedMaterial{material("营业执照")}}, code: "COMMITMENT_EXPIRED"},
		{name: "supply a material the matter lacks", from: lcApp(deferred), cmd: supplyDeferredCmd{Materials: []*mattersv1.SubmittedMaterial{material("户口本")}}, code: "UNKNOWN_MATERIAL"},
		{name: "supply too little", from: lcApp(deferred), cmd: supplyDeferredCmd{Materials: []*mattersv1.SubmittedMaterial{material("照片")}}, code: "MISSING_MATERIAL"},
		{name: "request correction stops both clocks", from: lcApp(submitted, withMaterials("身份证")), cmd: requestCorrectionCmd{Missing: []string{"营业执照"}, Note: "请补营业执照"},
			want: func(a *application) {
				a.App.State, a.App.MissingMaterials, a.App.CorrectionNote = correction, []string{"营业执照"}, "请补营业执照"
				a.Clocks.Corrections = 1
				pausedBoth(calendar.PauseSupplement, lcNow, time.Time{})(a)
			}, publish: true},
		{name: "request correction twice", from: lcApp(submitted, func(a *application) { a.Clocks.Corrections = 1 }), cmd: requestCorrectionCmd{Missing: []string{"营业执照"}}, code: "CORRECTION_ALREADY_REQUESTED"},
		{name: "request a material the matter lacks", from: lcApp(submitted), cmd: requestCorrectionCmd{Missing: []string{"户口本"}}, code: "UNKNOWN_MATERIAL"},
		{name: "resubmit restarts the clocks", from: lcApp(correction, withMaterials("身份证"), func(a *application) { a.App.MissingMaterials = []string{"营业执照"} }),
			cmd: resubmitCmd{Materials: []*mattersv1.SubmittedMaterial{material("营业执照")}},
			want: func(a *application) {
				a.App.State, a.App.MissingMaterials = submitted, nil
				a.App.Materials = append(a.App.Materials, material("营业执照"))
				pausedBoth(calendar.PauseSupplement, lcFiled.Add(time.Hour), lcNow)(a)
			}, publish: true},
		{name: "resubmit a material the matter lacks", from: lcApp(correction), cmd: resubmitCmd{Materials: []*mattersv1.SubmittedMaterial{material("户口本")}}, code: "UNKNOWN_MATERIAL"},
		{name: "reject after correction", from: lcApp(correction), cmd: rejectCmd{Reasons: []string{"不属于受理范围"}},
			want: func(a *application) {
				a.App.State, a.App.RejectionReasons = rejected, []string{"不属于受理范围"}
			}, publish: true},
		{name: "complete the first step: the 公示 stops the clocks", from: lcApp(accepted), cmd: complete,
			want: func(a *application) {
				closeStep(a)
				a.App.ResultDocuments = []string{"tenants/ahz/documents/决定书"}
				step(a, 1)
				pausedBoth(calendar.PauseExtension, lcNow, time.Time{})(a)
			}},
		{name: "complete the 公示: the clocks run again", from: lcApp(accepted, inStep(1)), cmd: completeStepCmd{Step: 1, Handler: "王科长", Result: "同意"},
			want: func(a *application) {
				closeStep(a)
				pausedBoth(calendar.PauseExtension, lcFiled.Add(time.Hour), lcNow)(a)
				step(a, 2)
			}},
		{name: "complete the last step completes the application", from: lcApp(accepted, inStep(2)), cmd: completeStepCmd{Step: 2, Handler: "王科长", Result: "同意"},
			want: func(a *application) {
				closeStep(a)
				a.App.State, a.App.CompleteTime, a.App.WorkingDaysUsed = completed, ts(lcNow), 2
			}, publish: true},
		{name: "step out of range", from: lcApp(accepted), cmd: completeStepCmd{Step: 3}, code: "INVALID_STEP"},
		{name: "a closed step", from: lcApp(accepted, inStep(2)), cmd: completeStepCmd{Step: 1}, code: "STEP_ALREADY_CLOSED"},
		{name: "a step ahead", from: lcApp(accepted), cmd: completeStepCmd{Step: 1}, code: "ILLEGAL_TRANSITION"},
		{name: "the last step before the deferred materials", from: lcApp(deferred, inStep(2)), cmd: completeStepCmd{Step: 2}, code: "DEFERRED_MATERIALS_PENDING"},
		{name: "withdraw", from: lcApp(deferred), cmd: withdrawCmd{}, want: func(a *application) { a.App.State = withdrawn }, publish: true},
		{name: "assign", from: lcApp(correction), cmd: assignCmd{Handler: "u-other", Window: "3号窗口"},
			want: func(a *application) { a.App.Handler, a.App.Window = "u-other", "3号窗口" }},
		{name: "assign a completed application", from: lcApp(completed), cmd: assignCmd{Handler: "u-other"}, code: "ILLEGAL_TRANSITION"},
		{name: "a good rating", from: lcApp(completed), by: applicant, cmd: rateCmd{Score: 5, Comment: "满意"},
			want: func(a *application) { a.App.Rating, a.App.RatingComment = 5, "满意" }},
		{name: "a poor rating opens a rectification", from: lcApp(completed), by: applicant, cmd: rateCmd{Score: 2, Comment: "太慢"},
			want: func(a *application) {
				a.App.Rating, a.App.RatingComment = 2, "太慢"
				a.App.Rectification = &mattersv1.Rectification{Open: true}
				a.Clocks.Rectification = calendar.NewClock(lcNow, calendar.Duration{N: 5, Unit: calendar.WorkingDays})
			}},
		{name: "rated by someone else", from: lcApp(completed), by: clerk, cmd: rateCmd{Score: 5}, code: "NOT_APPLICANT"},
		{name: "rated by no one", from: lcApp(completed, func(a *application) { a.App.Applicant.Subject = "" }), by: "", cmd: rateCmd{Score: 5}, code: "NOT_APPLICANT"},
		{name: "rate during the rectification", by: applicant, cmd: rateCmd{Score: 4},
			from: lcApp(completed, func(a *application) { a.App.Rating, a.App.Rectification = 1, &mattersv1.Rectification{Open: true} }), code: "RECTIFICATION_PENDING"},
		{name: "the follow-up rating", by: applicant, cmd: rateCmd{Score: 4, Comment: "改进了"},
			from: lcApp(completed, func(a *application) {
				a.App.Rating, a.App.Rectification = 1, &mattersv1.Rectification{Note: "已整改"}
			}),
			want: func(a *application) { a.App.FollowUpRating, a.App.FollowUpComment = 4, "改进了" }},
		{name: "rate a third time", by: applicant, cmd: rateCmd{Score: 4},
			from: lcApp(completed, func(a *application) {
				a.App.Rating, a.App.FollowUpRating, a.App.Rectification = 1, 3, &mattersv1.Rectification{Note: "已整改"}
			}), code: "ALREADY_RATED"},
		{name: "rate again without a rectification", by: applicant, cmd: rateCmd{Score: 4},
			from: lcApp(completed, func(a *application) { a.App.Rating = 5 }), code: "ALREADY_RATED"},
		{name: "rectify", cmd: rectifyCmd{Note: "已加派人手"},
			from: lcApp(completed, func(a *application) {
				a.App.Rating, a.App.Rectification = 1, &mattersv1.Rectification{Open: true}
				a.Clocks.Rectification = calendar.NewClock(lcFiled, calendar.Duration{N: 5, Unit: calendar.WorkingDays})
			}),
			want: func(a *application) {
				a.App.Rectification = &mattersv1.Rectification{Note: "已加派人手", Handler: clerk, CloseTime: ts(lcNow)}
				a.Clocks.Rectification = calendar.Clock{}
			}},
		{name: "rectify without a task", from: lcApp(completed), cmd: rectifyCmd{Note: "x"}, code: "NO_OPEN_RECTIFICATION"},
		{name: "mail the certificate", from: lcApp(completed), cmd: mailCmd{Carrier: "EMS", TrackingNumber: "EMS123456"},
			want: func(a *application) {
				a.App.Mailing = &mattersv1.Mailing{Carrier: "EMS", TrackingNumber: "EMS123456", MailTime: ts(lcNow)}
			}},
		{name: "mail twice", from: lcApp(completed, func(a *application) { a.App.Mailing = &mattersv1.Mailing{Carrier: "EMS"} }),
			cmd: mailCmd{Carrier: "EMS", TrackingNumber: "EMS123456"}, code: "ALREADY_MAILED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			by := tc.by
			if by == "" && tc.code != "NOT_APPLICANT" {
				by = clerk
			}
			in := snapshot(t, tc.from)
			next, eff, err := decide(tc.from, lcMatter, tc.cmd, by, r, lcNow)
			require.Equal(t, in, snapshot(t, tc.from), "decide changed its input")
			if tc.want == nil {
				requireCode(t, err, tc.code)
				require.Nil(t, next)
				return
			}
			require.NoError(t, err)
			want := tc.from.clone()
			tc.want(want)
			require.Equal(t, snapshot(t, want), snapshot(t, next))
			require.Equal(t, effects{Action: tc.cmd.action(), Publish: tc.publish}, eff)
		})
	}
}

// TestDecideStates: every command in every state. In the states it is given in (with
// what else it needs set up by ready) it succeeds; in the others it is refused with
// ILLEGAL_TRANSITION and a message naming the state, and the application is unchanged.
func TestDecideStates(t *testing.T) {
	t.Parallel()
	r := lcRules(t)
	open := []mattersv1.State{submitted, accepted, deferred, correction}
	poorRating := func(a *application) { a.App.Rating, a.App.Rectification = 1, &mattersv1.Rectification{Open: true} }
	tests := []struct {
		cmd   command
		ready []func(*application)
		by    string
		legal []mattersv1.State
		verb  string // in the message of a refusal by state; "" when the state is not checked
	}{
		{cmd: acceptCmd{}, legal: []mattersv1.State{submitted}, verb: "受理"},
		{cmd: acceptDeferredCmd{Missing: []string{"营业执照"}, DueWorkingDays: 3}, ready: []func(*application){withMaterials("身份证")},
			legal: []mattersv1.State{submitted}, verb: "容缺受理"},
		{cmd: supplyDeferredCmd{Materials: []*mattersv1.SubmittedMaterial{material("营业执照")}}, legal: []mattersv1.State{deferred}, verb: "补齐容缺材料"},
		{cmd: requestCorrectionCmd{Missing: []string{"营业执照"}}, ready: []func(*application){func(a *application) { a.Clocks.Corrections = 0 }},
			legal: []mattersv1.State{submitted}, verb: "要求补正"},
		{cmd: resubmitCmd{}, legal: []mattersv1.State{correction}, verb: "重新提交"},
		{cmd: rejectCmd{Reasons: []string{"x"}}, legal: []mattersv1.State{submitted, correction}, verb: "不予受理"},
		{cmd: completeStepCmd{Step: 0, Handler: "x", Result: "x"}, legal: []mattersv1.State{accepted, deferred}, verb: "办理环节"},
		{cmd: withdrawCmd{}, legal: open, verb: "撤回"},
		{cmd: assignCmd{Handler: "x"}, legal: open, verb: "分办"},
		{cmd: rateCmd{Score: 5}, by: applicant, legal: []mattersv1.State{completed}, verb: "评价"},
		{cmd: rectifyCmd{Note: "x"}, ready: []func(*application){poorRating}, legal: allStates},
		{cmd: mailCmd{Carrier: "EMS", TrackingNumber: "EMS123456"}, legal: []mattersv1.State{completed}, verb: "邮寄证照"},
	}
	for _, tc := range tests {
		for _, st := range allStates {
			t.Run(tc.cmd.action()+"/"+st.String(), func(t *testing.T) {
				a := lcApp(st, tc.ready...)
				by := tc.by
				if by == "" {
					by = clerk
				}
				in := snapshot(t, a)
				next, _, err := decide(a, lcMatter, tc.cmd, by, r, lcNow)
				require.Equal(t, in, snapshot(t, a))
				if slices.Contains(tc.legal, st) {
					require.NoError(t, err)
					require.NotNil(t, next)
					return
				}
				msg := requireCode(t, err, "ILLEGAL_TRANSITION")
				require.Equal(t, "办件处于"+stateLabel[st]+"状态，不能"+tc.verb, msg)
			})
		}
	}
}
