package tickets

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// The lifecycle's tests need no server: a ticket is a value, and decide a function.

var (
	// lcIntake is when the fixtures were received (Wednesday 2026-11-25 10:00 CST), lcNow
	// when the commands are given.
	lcIntake = time.Date(2026, time.November, 25, 10, 0, 0, 0, calendar.Location)
	lcNow    = lcIntake.Add(26 * time.Hour)
	lcRules  = rules{SLA: SLA{
		Response: calendar.SameDay(), Close: calendar.Duration{N: 5, Unit: calendar.WorkingDays},
		Explain: calendar.Duration{N: 2, Unit: calendar.WorkingDays}, HardClose: calendar.Duration{N: 20, Unit: calendar.WorkingDays},
	}, MaxExtensionDays: 10}
)

const (
	received   = ticketsv1.State_STATE_RECEIVED
	dispatched = ticketsv1.State_STATE_DISPATCHED
	claimed    = ticketsv1.State_STATE_CLAIMED
	inProgress = ticketsv1.State_STATE_IN_PROGRESS
	replied    = ticketsv1.State_STATE_REPLIED
	closed     = ticketsv1.State_STATE_CLOSED
	visited    = ticketsv1.State_STATE_VISITED
	rated      = ticketsv1.State_STATE_RATED

	partDispatched = ticketsv1.PartState_PART_STATE_DISPATCHED
	partClaimed    = ticketsv1.PartState_PART_STATE_CLAIMED
	partDone       = ticketsv1.PartState_PART_STATE_DONE
)

var allStates = []ticketsv1.State{received, dispatched, claimed, inProgress, replied, closed, visited, rated}

// lcTicket is a ticket in state as the flow leaves it there, changed by opts.
func lcTicket(state ticketsv1.State, opts ...func(*ticket)) *ticket {
	tk := &ticket{Tenant: "ahz", ID: "T-20261125-000001", Revision: 4, Source: ticketsv1.Source_SOURCE_HOTLINE_12345,
		Category: "general", Title: "路灯不亮", Description: "小区门口路灯不亮", State: state, Priority: ticketsv1.Priority_PRIORITY_NORMAL,
		ResponseClock: calendar.NewClock(lcIntake, lcRules.SLA.Response), CloseClock: calendar.NewClock(lcIntake, lcRules.SLA.Close),
		CloseDue: calendar.Due{At: lcIntake.AddDate(0, 0, 7)}, Created: lcIntake, Updated: lcIntake}
	if state >= dispatched {
		tk.AssigneeTenant, tk.AssigneeDept = "ahz.s01.c01", "社区服务站"
	}
	if state >= claimed {
		tk.Handler, tk.Responded = "u-community", lcIntake.Add(time.Hour)
	}
	if state >= replied {
		tk.Reply = "已修复"
	}
	if state >= closed {
		tk.CloseSummary, tk.Closed = "已办结", lcIntake.Add(5*time.Hour)
	}
	if state >= visited {
		tk.VisitNote = "已回访"
	}
	if state >= rated {
		tk.Rated, tk.Score, tk.RatingComment = true, 2, "太慢"
	}
	for _, o := range opts {
		o(tk)
	}
	return tk
}

func withPart(st ticketsv1.PartState) func(*ticket) {
	return func(tk *ticket) {
		tk.Parts = append(tk.Parts, &part{Tenant: "ahz.s02", Department: "城管科", State: st, Clock: calendar.NewClock(lcIntake, lcRules.SLA.Close)})
	}
}

func withPause(tk *ticket) {
	tk.CloseClock.Pauses = []calendar.Pause{{Reason: calendar.PauseSupplement, From: lcIntake.Add(2 * time.Hour)}}
}

func withExtension(tk *ticket) {
	tk.Extension = &extension{Days: 3, Reason: "需现场勘查", By: "u-community", Requested: lcIntake.Add(3 * time.Hour)}
}

func withHard(tk *ticket) {
	tk.Hard = &hardCase{Reason: "多部门", Clock: calendar.NewClock(lcIntake, lcRules.SLA.Explain)}
}

// snapshot is tk's stored form, to show that decide leaves its input alone.
func snapshot(t *testing.T, tk *ticket) string {
	t.Helper()
	b, err := json.Marshal(tk)
	require.NoError(t, err)
	return string(b)
}

// requireCode asserts err is the domain error with code, and returns its message.
func requireCode(t *testing.T, err error, code string) string {
	t.Helper()
	var e *errs.Error
	require.True(t, errors.As(err, &e), "want %s, got %v", code, err)
	require.Equal(t, code, e.Code, e.Message)
	return e.Message
}

// TestDecide: each command from the states it is given in, with the fields it changes
// (want edits a copy of the input into the expected result), or the error it returns.
func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		from    *ticket
		cmd     command
		rules   func(*rules)  // changes lcRules for this case
		want    func(*ticket) // nil for an error
		code    string        // the error's stable code
		publish bool
	}{
		{name: "dispatch with a co-handler", from: lcTicket(received, func(tk *ticket) { tk.Handler = "u-old" }),
			cmd: dispatchCmd{To: "ahz.s01.c01", Department: "社区服务站", CoHandlers: []coHandler{{Tenant: "ahz.s02", Department: "城管科"}}},
			want: func(tk *ticket) {
				tk.State, tk.AssigneeTenant, tk.AssigneeDept, tk.Handler = dispatched, "ahz.s01.c01", "社区服务站", ""
				tk.Parts = []*part{{Tenant: "ahz.s02", Department: "城管科", State: partDispatched, Clock: calendar.NewClock(lcNow, lcRules.SLA.Close)}}
			}, publish: true},
		{name: "claim answers the response clock", from: lcTicket(dispatched), cmd: claimCmd{},
			want:    func(tk *ticket) { tk.State, tk.Handler, tk.Responded = claimed, "u-claimer", lcNow },
			publish: true},
		{name: "claim after a return keeps the first response", from: lcTicket(dispatched, func(tk *ticket) { tk.Responded = lcIntake }), cmd: claimCmd{},
			want:    func(tk *ticket) { tk.State, tk.Handler = claimed, "u-claimer" },
			publish: true},
		{name: "start", from: lcTicket(claimed), cmd: startCmd{}, want: func(tk *ticket) { tk.State = inProgress }, publish: true},
		{name: "reply", from: lcTicket(inProgress, withPart(partDone)), cmd: replyCmd{Reply: "路灯已修复"},
			want: func(tk *ticket) { tk.State, tk.Reply = replied, "路灯已修复" }, publish: true},
		{name: "reply while paused", from: lcTicket(inProgress, withPause), cmd: replyCmd{Reply: "x"}, code: "ILLEGAL_TRANSITION"},
		{name: "reply before the co-handlers finish", from: lcTicket(inProgress, withPart(partClaimed)), cmd: replyCmd{Reply: "x"}, code: "CO_HANDLERS_PENDING"},
		{name: "return resumes a paused clock and forgets the assignment", from: lcTicket(claimed, withPause, withPart(partClaimed), func(tk *ticket) { tk.ReturnCount = 1 }),
			cmd: returnCmd{Reason: "不属于本单位职责"},
			want: func(tk *ticket) {
				tk.CloseClock.Pauses[0].To = lcNow
				tk.State, tk.AssigneeTenant, tk.AssigneeDept, tk.Handler, tk.Parts = received, "", "", "", nil
				tk.ReturnCount, tk.ReturnReason = 2, "不属于本单位职责"
			}, publish: true},
		{name: "pause is a supplement pause", from: lcTicket(inProgress), cmd: pauseCmd{},
			want: func(tk *ticket) {
				tk.CloseClock.Pauses = []calendar.Pause{{Reason: calendar.PauseSupplement, From: lcNow}}
			}},
		{name: "pause twice", from: lcTicket(claimed, withPause), cmd: pauseCmd{}, code: "ALREADY_PAUSED"},
		{name: "resume", from: lcTicket(inProgress, withPause), cmd: resumeCmd{}, want: func(tk *ticket) { tk.CloseClock.Pauses[0].To = lcNow }},
		{name: "resume a running clock", from: lcTicket(inProgress), cmd: resumeCmd{}, code: "NOT_PAUSED"},
		{name: "request an extension", from: lcTicket(inProgress), cmd: requestExtCmd{Days: 10, Reason: "需现场勘查"},
			want: func(tk *ticket) {
				tk.Extension = &extension{Days: 10, Reason: "需现场勘查", By: "u-claimer", Requested: lcNow}
			}},
		{name: "extension of no days", from: lcTicket(inProgress), cmd: requestExtCmd{Days: 0, Reason: "x"}, code: "INVALID_EXTENSION_DAYS"},
		{name: "extension beyond the bound", from: lcTicket(inProgress), cmd: requestExtCmd{Days: 11, Reason: "x"}, code: "INVALID_EXTENSION_DAYS"},
		{name: "the bound is checked before the state", from: lcTicket(closed), cmd: requestExtCmd{Days: 11, Reason: "x"}, code: "INVALID_EXTENSION_DAYS"},
		{name: "second extension request", from: lcTicket(claimed, withExtension), cmd: requestExtCmd{Days: 1, Reason: "x"}, code: "EXTENSION_PENDING"},
		{name: "extension once the deadline passed", from: lcTicket(claimed, func(tk *ticket) { tk.CloseDue.At = lcNow }),
			cmd: requestExtCmd{Days: 1, Reason: "x"}, code: "EXTENSION_AFTER_EXPIRY"},
		{name: "approve an extension", from: lcTicket(inProgress, withExtension, func(tk *ticket) { tk.ExtendedDays = 2 }), cmd: decideExtCmd{Approve: true},
			want: func(tk *ticket) { tk.CloseClock.Limit.N, tk.ExtendedDays, tk.Extension = 8, 5, nil }},
		{name: "refuse an extension", from: lcTicket(inProgress, withExtension), cmd: decideExtCmd{Approve: false},
			want: func(tk *ticket) { tk.Extension = nil }},
		{name: "decide without a request", from: lcTicket(inProgress), cmd: decideExtCmd{Approve: true}, code: "NO_PENDING_EXTENSION"},
		{name: "mark a hard case: limits from intake", from: lcTicket(claimed), cmd: markHardCaseCmd{Reason: "多部门"},
			want: func(tk *ticket) {
				tk.CloseClock.Limit = lcRules.SLA.HardClose
				tk.Hard = &hardCase{Reason: "多部门", Clock: calendar.NewClock(lcIntake, lcRules.SLA.Explain)}
			}},
		{name: "hard-case limits default when unset", from: lcTicket(inProgress), cmd: markHardCaseCmd{Reason: "多部门"},
			rules: func(r *rules) { r.SLA.HardClose, r.SLA.Explain = calendar.Duration{}, calendar.Duration{} },
			want: func(tk *ticket) {
				tk.CloseClock.Limit = DefaultSLA().HardClose
				tk.Hard = &hardCase{Reason: "多部门", Clock: calendar.NewClock(lcIntake, DefaultSLA().Explain)}
			}},
		{name: "mark twice", from: lcTicket(claimed, withHard), cmd: markHardCaseCmd{Reason: "x"}, code: "ALREADY_HARD_CASE"},
		{name: "explain: the source hears it", from: lcTicket(inProgress, withHard), cmd: explainCmd{Explanation: "已会商"},
			want: func(tk *ticket) { tk.Hard.Explanation, tk.Hard.Explained = "已会商", lcNow }, publish: true},
		{name: "explain a normal ticket", from: lcTicket(inProgress), cmd: explainCmd{Explanation: "x"}, code: "NOT_HARD_CASE"},
		{name: "explain twice", from: lcTicket(inProgress, withHard, func(tk *ticket) { tk.Hard.Explanation = "已说明" }),
			cmd: explainCmd{Explanation: "x"}, code: "ALREADY_EXPLAINED"},
		{name: "explain a closed ticket", from: lcTicket(closed, withHard), cmd: explainCmd{Explanation: "x"}, code: "ILLEGAL_TRANSITION"},
		{name: "close drops a pending extension", from: lcTicket(replied, withExtension), cmd: closeCmd{Summary: "已办结"},
			want: func(tk *ticket) { tk.State, tk.CloseSummary, tk.Extension, tk.Closed = closed, "已办结", nil, lcNow }, publish: true},
		{name: "visit", from: lcTicket(closed), cmd: visitCmd{Note: "群众认可"},
			want: func(tk *ticket) { tk.State, tk.VisitNote = visited, "群众认可" }, publish: true},
		{name: "rate", from: lcTicket(visited), cmd: rateCmd{Satisfied: true, Score: 5, Comment: "很好"},
			want: func(tk *ticket) {
				tk.State, tk.Rated, tk.Satisfied, tk.Score, tk.RatingComment = rated, true, true, 5, "很好"
			}, publish: true},
		{name: "reopen an unsatisfied ticket on a fresh clock", from: lcTicket(rated, func(tk *ticket) { tk.ExtendedDays, tk.Reopened = 3, 1 }), cmd: reopenCmd{},
			want: func(tk *ticket) {
				tk.State, tk.Rated, tk.Satisfied, tk.RatingComment, tk.Score, tk.Closed = inProgress, false, false, "", 0, time.Time{}
				tk.Reply, tk.CloseSummary, tk.VisitNote, tk.ExtendedDays, tk.Reopened = "", "", "", 0, 2
				tk.CloseClock = calendar.NewClock(lcNow, lcRules.SLA.Close)
			}, publish: true},
		{name: "reopen a satisfied ticket", from: lcTicket(rated, func(tk *ticket) { tk.Satisfied = true }), cmd: reopenCmd{}, code: "NOT_UNSATISFIED"},
		{name: "urge raises the priority", from: lcTicket(dispatched, func(tk *ticket) { tk.UrgeCount = 1 }), cmd: urgeCmd{Note: "尽快"},
			want: func(tk *ticket) {
				tk.UrgeCount, tk.LastUrge, tk.Priority = 2, "尽快", ticketsv1.Priority_PRIORITY_HIGH
			}},
		{name: "urge at the top priority", from: lcTicket(received, func(tk *ticket) { tk.Priority = ticketsv1.Priority_PRIORITY_URGENT }), cmd: urgeCmd{Note: "尽快"},
			want: func(tk *ticket) { tk.UrgeCount, tk.LastUrge = 1, "尽快" }},
		{name: "merge a duplicate", from: lcTicket(claimed, withExtension), cmd: mergeCmd{Into: "tenants/ahz/tickets/T-20261125-000002"},
			want: func(tk *ticket) {
				tk.State, tk.MergedInto, tk.Extension, tk.Closed = closed, "tenants/ahz/tickets/T-20261125-000002", nil, lcNow
				tk.CloseSummary = "重复诉求，已并入 tenants/ahz/tickets/T-20261125-000002"
			}, publish: true},
		{name: "merge a primary", from: lcTicket(received, func(tk *ticket) { tk.Duplicates = []string{"tenants/ahz/tickets/T-20261125-000003"} }),
			cmd: mergeCmd{Into: "tenants/ahz/tickets/T-20261125-000002"}, code: "ILLEGAL_TRANSITION"},
		{name: "claim a part", from: lcTicket(claimed, withPart(partDispatched)), cmd: claimPartCmd{Tenant: "ahz.s02"},
			want: func(tk *ticket) { tk.Parts[0].State, tk.Parts[0].Handler = partClaimed, "u-claimer" }},
		{name: "claim a part twice", from: lcTicket(claimed, withPart(partClaimed)), cmd: claimPartCmd{Tenant: "ahz.s02"}, code: "ILLEGAL_TRANSITION"},
		{name: "claim a part not dispatched", from: lcTicket(claimed, withPart(partDispatched)), cmd: claimPartCmd{Tenant: "ahz.s03"}, code: "CO_HANDLER_NOT_FOUND"},
		{name: "finish a part", from: lcTicket(inProgress, withPart(partClaimed)), cmd: finishPartCmd{Tenant: "ahz.s02", Result: "已清理"},
			want: func(tk *ticket) { tk.Parts[0].State, tk.Parts[0].Result = partDone, "已清理" }},
		{name: "finish an unclaimed part", from: lcTicket(inProgress, withPart(partDispatched)), cmd: finishPartCmd{Tenant: "ahz.s02", Result: "x"}, code: "ILLEGAL_TRANSITION"},
		{name: "finish a finished part", from: lcTicket(inProgress, withPart(partDone)), cmd: finishPartCmd{Tenant: "ahz.s02", Result: "x"}, code: "ILLEGAL_TRANSITION"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := lcRules
			if tc.rules != nil {
				tc.rules(&r)
			}
			in := snapshot(t, tc.from)
			next, eff, err := decide(tc.from, tc.cmd, "u-claimer", r, lcNow)
			require.Equal(t, in, snapshot(t, tc.from), "decide changed its input")
			if tc.want == nil {
				requireCode(t, err, tc.code)
				require.Nil(t, next)
				return
			}
			require.NoError(t, err)
			want := tc.from.clone()
			tc.want(want)
			require.Equal(t, want, next)
			require.Equal(t, effects{Action: tc.cmd.action(), Publish: tc.publish}, eff)
		})
	}
}

// TestDecideStates: every command in every state. In the states it is given in (with
// what else it needs set up by ready) it succeeds; in the others it is refused with
// ILLEGAL_TRANSITION and a message naming the state, and the ticket is unchanged.
func TestDecideStates(t *testing.T) {
	t.Parallel()
	open := []ticketsv1.State{received, dispatched, claimed, inProgress, replied}
	inHand := []ticketsv1.State{dispatched, claimed, inProgress}
	tests := []struct {
		cmd   command
		ready []func(*ticket)
		legal []ticketsv1.State
		verb  string // in the message of a refusal by state; "" when the message is the command's own
	}{
		{cmd: dispatchCmd{To: "ahz.s01.c01", Department: "社区服务站"}, legal: []ticketsv1.State{received}, verb: "派单"},
		{cmd: claimCmd{}, legal: []ticketsv1.State{dispatched}, verb: "签收"},
		{cmd: startCmd{}, legal: []ticketsv1.State{claimed}, verb: "办理"},
		{cmd: replyCmd{Reply: "x"}, legal: []ticketsv1.State{inProgress}, verb: "回复"},
		{cmd: returnCmd{Reason: "x"}, legal: []ticketsv1.State{dispatched, claimed}, verb: "退单"},
		{cmd: pauseCmd{}, legal: []ticketsv1.State{claimed, inProgress}, verb: "暂停计时"},
		{cmd: resumeCmd{}, ready: []func(*ticket){withPause}, legal: allStates}, // the state is not checked
		{cmd: requestExtCmd{Days: 1, Reason: "x"}, legal: []ticketsv1.State{claimed, inProgress}, verb: "申请延期"},
		{cmd: decideExtCmd{Approve: true}, ready: []func(*ticket){withExtension}, legal: allStates},
		{cmd: markHardCaseCmd{Reason: "x"}, legal: []ticketsv1.State{claimed, inProgress}, verb: "标记疑难件"},
		{cmd: explainCmd{Explanation: "x"}, ready: []func(*ticket){withHard}, legal: open},
		{cmd: closeCmd{Summary: "x"}, legal: []ticketsv1.State{replied}, verb: "办结"},
		{cmd: visitCmd{Note: "x"}, legal: []ticketsv1.State{closed}, verb: "回访"},
		{cmd: rateCmd{Score: 3}, legal: []ticketsv1.State{visited}, verb: "评价"},
		{cmd: reopenCmd{}, legal: []ticketsv1.State{rated}, verb: "重新办理"},
		{cmd: urgeCmd{Note: "x"}, legal: open},
		{cmd: mergeCmd{Into: "tenants/ahz/tickets/T-20261125-000002"}, legal: open},
		{cmd: claimPartCmd{Tenant: "ahz.s02"}, ready: []func(*ticket){withPart(partDispatched)}, legal: inHand, verb: "联办签收"},
		{cmd: finishPartCmd{Tenant: "ahz.s02", Result: "x"}, ready: []func(*ticket){withPart(partClaimed)}, legal: inHand, verb: "联办办结"},
	}
	for _, tc := range tests {
		for _, st := range allStates {
			t.Run(tc.cmd.action()+"/"+st.String(), func(t *testing.T) {
				tk := lcTicket(st, tc.ready...)
				in := snapshot(t, tk)
				next, _, err := decide(tk, tc.cmd, "u-claimer", lcRules, lcNow)
				require.Equal(t, in, snapshot(t, tk))
				if slices.Contains(tc.legal, st) {
					require.NoError(t, err)
					require.NotNil(t, next)
					return
				}
				msg := requireCode(t, err, "ILLEGAL_TRANSITION")
				if tc.verb != "" {
					require.Equal(t, "工单处于"+stateLabel[st]+"状态，不能"+tc.verb, msg)
				}
			})
		}
	}
}

// TestAbsorb: the primary of a merge lists its duplicate, unless it is closed or merged
// itself.
func TestAbsorb(t *testing.T) {
	t.Parallel()
	dup := "tenants/ahz/tickets/T-20261125-000003"
	primary := lcTicket(claimed, func(tk *ticket) { tk.Duplicates = []string{"tenants/ahz/tickets/T-20261125-000002"} })
	in := snapshot(t, primary)
	next, err := absorb(primary, dup)
	require.NoError(t, err)
	require.Equal(t, in, snapshot(t, primary))
	require.Equal(t, []string{"tenants/ahz/tickets/T-20261125-000002", dup}, next.Duplicates)

	_, err = absorb(lcTicket(closed), dup)
	requireCode(t, err, "ILLEGAL_TRANSITION")
	_, err = absorb(lcTicket(dispatched, func(tk *ticket) { tk.MergedInto = "tenants/ahz/tickets/T-20261125-000009" }), dup)
	requireCode(t, err, "ILLEGAL_TRANSITION")
}
