package tickets

import (
	"fmt"
	"slices"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// The ticket's life (工单流转) as pure functions: decide takes a ticket, a command, who
// gives it, the rules of the ticket's tenant and category, and the time, and returns the
// ticket as it becomes and what to record — or the domain error the API returns. It reads
// no database and no clock, so every branch is tested by a table (lifecycle_test.go);
// the handlers load, authorize, call decide, and write the result in one transaction.
//
// 受理 RECEIVED → 派单 DISPATCHED → 签收 CLAIMED → 办理 IN_PROGRESS → 回复 REPLIED →
// 办结 CLOSED → 回访 VISITED → 评价 RATED, with 退单 back to RECEIVED, 重新办理 of an
// unsatisfied rating back to IN_PROGRESS, and merging a duplicate straight to CLOSED.

// command is one thing asked of a ticket; action names its audit record.
type command interface{ action() string }

type (
	// coHandler is one co-handling unit (联办单位) of a dispatch.
	coHandler struct {
		Tenant     tenancy.ID
		Department string
	}
	dispatchCmd struct {
		To         tenancy.ID
		Department string
		CoHandlers []coHandler
	}
	claimCmd      struct{}
	startCmd      struct{}
	replyCmd      struct{ Reply string }
	returnCmd     struct{ Reason string }
	pauseCmd      struct{}
	resumeCmd     struct{}
	requestExtCmd struct {
		Days   int32
		Reason string
	}
	decideExtCmd    struct{ Approve bool }
	markHardCaseCmd struct{ Reason string }
	explainCmd      struct{ Explanation string }
	closeCmd        struct{ Summary string }
	visitCmd        struct{ Note string }
	rateCmd         struct {
		Satisfied bool
		Score     int32
		Comment   string
	}
	reopenCmd struct{}
	urgeCmd   struct{ Note string }
	// mergeCmd closes the ticket as a duplicate of Into (a resource name).
	mergeCmd      struct{ Into string }
	claimPartCmd  struct{ Tenant tenancy.ID }
	finishPartCmd struct {
		Tenant tenancy.ID
		Result string
	}
)

func (dispatchCmd) action() string     { return "tickets.DispatchTicket" }
func (claimCmd) action() string        { return "tickets.ClaimTicket" }
func (startCmd) action() string        { return "tickets.StartTicket" }
func (replyCmd) action() string        { return "tickets.ReplyTicket" }
func (returnCmd) action() string       { return "tickets.ReturnTicket" }
func (pauseCmd) action() string        { return "tickets.PauseTicket" }
func (resumeCmd) action() string       { return "tickets.ResumeTicket" }
func (requestExtCmd) action() string   { return "tickets.RequestExtension" }
func (decideExtCmd) action() string    { return "tickets.DecideExtension" }
func (markHardCaseCmd) action() string { return "tickets.MarkHardCase" }
func (explainCmd) action() string      { return "tickets.ExplainTicket" }
func (closeCmd) action() string        { return "tickets.CloseTicket" }
func (visitCmd) action() string        { return "tickets.VisitTicket" }
func (rateCmd) action() string         { return "tickets.RateTicket" }
func (reopenCmd) action() string       { return "tickets.ReopenTicket" }
func (urgeCmd) action() string         { return "tickets.UrgeTicket" }
func (mergeCmd) action() string        { return "tickets.MergeTicket" }
func (claimPartCmd) action() string    { return "tickets.ClaimPart" }
func (finishPartCmd) action() string   { return "tickets.FinishPart" }

// rules are the settings a transition depends on: the SLA of the ticket's category at its
// tenant (DefaultSLA when the category was removed since) and the extension bound.
type rules struct {
	SLA              SLA
	MaxExtensionDays int
}

// effects are what a transition asks to be recorded besides the new ticket.
type effects struct {
	// Action is the audit record's action ("tickets.ClaimTicket").
	Action string
	// Publish: the public view changed (a new state, or a hard case's explanation); the
	// updates feed and the source platform hear of it.
	Publish bool
}

// decide applies c, given by the subject by at now, to tk under r. tk is not changed: the
// result is a new ticket. Authorization is the caller's (it needs the enforcer); decide
// trusts that by may give c.
func decide(tk *ticket, c command, by string, r rules, now time.Time) (*ticket, effects, error) {
	next := tk.clone()
	eff := effects{Action: c.action()}
	if err := next.apply(c, by, r, now); err != nil {
		return nil, effects{}, err
	}
	_, explained := c.(explainCmd)
	eff.Publish = next.State != tk.State || explained
	return next, eff, nil
}

// apply changes tk in place; on error tk is half-changed and must be dropped (decide
// works on a clone).
func (tk *ticket) apply(c command, by string, r rules, now time.Time) error {
	const (
		received   = ticketsv1.State_STATE_RECEIVED
		dispatched = ticketsv1.State_STATE_DISPATCHED
		claimed    = ticketsv1.State_STATE_CLAIMED
		inProgress = ticketsv1.State_STATE_IN_PROGRESS
		replied    = ticketsv1.State_STATE_REPLIED
		closed     = ticketsv1.State_STATE_CLOSED
		visited    = ticketsv1.State_STATE_VISITED
		rated      = ticketsv1.State_STATE_RATED
	)
	switch c := c.(type) {
	case dispatchCmd:
		if err := inState(tk, "派单", received); err != nil {
			return err
		}
		tk.State, tk.AssigneeTenant, tk.AssigneeDept, tk.Handler = dispatched, c.To, c.Department, ""
		tk.Parts = nil
		for _, co := range c.CoHandlers {
			// Each part runs on the category's close limit from the dispatch.
			tk.Parts = append(tk.Parts, &part{Tenant: co.Tenant, Department: co.Department,
				State: ticketsv1.PartState_PART_STATE_DISPATCHED, Clock: calendar.NewClock(now, r.SLA.Close)})
		}

	case claimCmd:
		if err := inState(tk, "签收", dispatched); err != nil {
			return err
		}
		tk.State, tk.Handler = claimed, by
		if tk.Responded.IsZero() {
			tk.Responded = now
		}

	case startCmd:
		if err := inState(tk, "办理", claimed); err != nil {
			return err
		}
		tk.State = inProgress

	case replyCmd:
		if err := inState(tk, "回复", inProgress); err != nil {
			return err
		}
		if tk.CloseClock.Paused() {
			return ErrIllegalTransition.WithMessage("工单暂停计时中，请先恢复计时")
		}
		for _, pt := range tk.Parts {
			if pt.State != ticketsv1.PartState_PART_STATE_DONE {
				return ErrPartsPending.WithMessage("联办单位 %s 尚未办结其承办部分", pt.Tenant)
			}
		}
		tk.State, tk.Reply = replied, c.Reply

	case returnCmd:
		if err := inState(tk, "退单", dispatched, claimed); err != nil {
			return err
		}
		if tk.CloseClock.Paused() {
			// The wait ends with the assignment; the dispatch centre's clock runs again.
			if err := tk.CloseClock.Resume(now); err != nil {
				return err
			}
		}
		tk.State, tk.AssigneeTenant, tk.AssigneeDept, tk.Handler = received, "", "", ""
		tk.Parts = nil
		tk.ReturnCount++
		tk.ReturnReason = c.Reason

	case pauseCmd:
		if err := inState(tk, "暂停计时", claimed, inProgress); err != nil {
			return err
		}
		if tk.CloseClock.Paused() {
			return ErrAlreadyPaused
		}
		// Waiting for the complainant is a supplement pause (补正) on the close clock.
		return tk.CloseClock.Pause(now, calendar.PauseSupplement)

	case resumeCmd:
		if !tk.CloseClock.Paused() {
			return ErrNotPaused
		}
		return tk.CloseClock.Resume(now)

	case requestExtCmd:
		if most := r.MaxExtensionDays; c.Days <= 0 || int(c.Days) > most {
			return errs.New(errs.InvalidArgument, "INVALID_EXTENSION_DAYS", fmt.Sprintf("延期天数应为 1 到 %d 个工作日", most)).
				WithField("working_days", "INVALID_EXTENSION_DAYS", "延期天数超出范围")
		}
		if err := inState(tk, "申请延期", claimed, inProgress); err != nil {
			return err
		}
		if tk.Extension != nil {
			return ErrExtensionPending
		}
		if !now.Before(tk.CloseDue.At) {
			return ErrExtensionExpired
		}
		tk.Extension = &extension{Days: c.Days, Reason: c.Reason, By: by, Requested: now}

	case decideExtCmd:
		// An approval moves the close deadline by exactly the days requested, counted on
		// the calendar.
		if tk.Extension == nil {
			return ErrNoExtension
		}
		if c.Approve {
			tk.CloseClock.Limit.N += int(tk.Extension.Days)
			tk.ExtendedDays += tk.Extension.Days
		}
		tk.Extension = nil

	case markHardCaseCmd:
		if err := inState(tk, "标记疑难件", claimed, inProgress); err != nil {
			return err
		}
		if tk.Hard != nil {
			return ErrAlreadyHard
		}
		def := DefaultSLA()
		// Both clocks count from intake; the caller computes the new deadlines (computeDues).
		tk.CloseClock.Limit = orDefault(r.SLA.HardClose, def.HardClose)
		tk.Hard = &hardCase{Reason: c.Reason, Clock: calendar.NewClock(tk.CloseClock.Start, orDefault(r.SLA.Explain, def.Explain))}

	case explainCmd:
		switch {
		case tk.Hard == nil:
			return ErrNotHardCase
		case tk.Hard.Explanation != "":
			return ErrAlreadyExplained
		case !tk.open():
			return ErrIllegalTransition.WithMessage("工单已办结，不能再提交情况说明")
		}
		tk.Hard.Explanation, tk.Hard.Explained = c.Explanation, now

	case closeCmd:
		if err := inState(tk, "办结", replied); err != nil {
			return err
		}
		tk.State, tk.CloseSummary, tk.Extension, tk.Closed = closed, c.Summary, nil, now

	case visitCmd:
		if err := inState(tk, "回访", closed); err != nil {
			return err
		}
		tk.State, tk.VisitNote = visited, c.Note

	case rateCmd:
		if err := inState(tk, "评价", visited); err != nil {
			return err
		}
		tk.State, tk.Rated, tk.Satisfied, tk.RatingComment, tk.Score = rated, true, c.Satisfied, c.Comment, c.Score

	case reopenCmd:
		// An unsatisfied ticket goes back to its assignee with a fresh close clock.
		if err := inState(tk, "重新办理", rated); err != nil {
			return err
		}
		if tk.Satisfied {
			return ErrNotUnsatisfied
		}
		tk.State, tk.Rated, tk.Satisfied, tk.RatingComment, tk.Score, tk.Closed = inProgress, false, false, "", 0, time.Time{}
		tk.Reply, tk.CloseSummary, tk.VisitNote, tk.ExtendedDays = "", "", "", 0
		tk.Reopened++
		tk.CloseClock = calendar.NewClock(now, r.SLA.Close)

	case urgeCmd:
		// A supervisor's urging (督办) raises the priority one step.
		if !tk.open() {
			return ErrIllegalTransition.WithMessage("工单已办结，不能督办")
		}
		tk.UrgeCount++
		tk.LastUrge = c.Note
		if tk.Priority < ticketsv1.Priority_PRIORITY_URGENT {
			tk.Priority++
		}

	case mergeCmd:
		if !tk.open() || tk.MergedInto != "" {
			return ErrIllegalTransition.WithMessage("工单已办结或已合并，不能再合并")
		}
		if len(tk.Duplicates) > 0 {
			return ErrIllegalTransition.WithMessage("该工单已有并入的重复件，不能再并入其他工单")
		}
		tk.State, tk.MergedInto, tk.Extension, tk.Closed = closed, c.Into, nil, now
		tk.CloseSummary = "重复诉求，已并入 " + c.Into

	case claimPartCmd:
		if err := inState(tk, "联办签收", dispatched, claimed, inProgress); err != nil {
			return err
		}
		pt, err := partOf(tk, c.Tenant)
		if err != nil {
			return err
		}
		if pt.State != ticketsv1.PartState_PART_STATE_DISPATCHED {
			return ErrIllegalTransition.WithMessage("联办部分已签收")
		}
		pt.State, pt.Handler = ticketsv1.PartState_PART_STATE_CLAIMED, by

	case finishPartCmd:
		if err := inState(tk, "联办办结", dispatched, claimed, inProgress); err != nil {
			return err
		}
		pt, err := partOf(tk, c.Tenant)
		if err != nil {
			return err
		}
		if pt.State != ticketsv1.PartState_PART_STATE_CLAIMED {
			return ErrIllegalTransition.WithMessage("联办部分须先签收且未办结")
		}
		pt.State, pt.Result = ticketsv1.PartState_PART_STATE_DONE, c.Result

	default:
		return fmt.Errorf("tickets: unknown command %T", c)
	}
	return nil
}

// absorb records dup (a resource name) as merged into primary: the primary's side of a
// merge. primary is not changed.
func absorb(primary *ticket, dup string) (*ticket, error) {
	if !primary.open() || primary.MergedInto != "" {
		return nil, ErrIllegalTransition.WithMessage("目标工单已办结或已合并，不能并入")
	}
	next := primary.clone()
	next.Duplicates = append(next.Duplicates, dup)
	return next, nil
}

// inState refuses the transition unless tk is in one of states.
func inState(tk *ticket, verb string, states ...ticketsv1.State) error {
	if slices.Contains(states, tk.State) {
		return nil
	}
	return ErrIllegalTransition.WithMessage("工单处于%s状态，不能%s", stateLabel[tk.State], verb)
}

var stateLabel = map[ticketsv1.State]string{
	ticketsv1.State_STATE_RECEIVED: "受理", ticketsv1.State_STATE_DISPATCHED: "派单", ticketsv1.State_STATE_CLAIMED: "签收",
	ticketsv1.State_STATE_IN_PROGRESS: "办理", ticketsv1.State_STATE_REPLIED: "回复", ticketsv1.State_STATE_CLOSED: "办结",
	ticketsv1.State_STATE_VISITED: "回访", ticketsv1.State_STATE_RATED: "评价",
}

// partOf returns the part of tenant in tk.
func partOf(tk *ticket, tenant tenancy.ID) (*part, error) {
	for _, pt := range tk.Parts {
		if pt.Tenant == tenant {
			return pt, nil
		}
	}
	return nil, ErrNoSuchPart.WithMessage("工单没有联办单位 %s", tenant)
}

// clone is a deep copy of tk: a transition of the copy leaves tk as it was.
func (tk *ticket) clone() *ticket {
	c := *tk
	c.Attachments = slices.Clone(tk.Attachments)
	c.Duplicates = slices.Clone(tk.Duplicates)
	c.ResponseClock, c.CloseClock = cloneClock(tk.ResponseClock), cloneClock(tk.CloseClock)
	if tk.Extension != nil {
		e := *tk.Extension
		c.Extension = &e
	}
	if tk.Hard != nil {
		h := *tk.Hard
		h.Clock = cloneClock(h.Clock)
		c.Hard = &h
	}
	c.Parts = nil
	for _, pt := range tk.Parts {
		p := *pt
		p.Clock = cloneClock(p.Clock)
		c.Parts = append(c.Parts, &p)
	}
	return &c
}

// cloneClock copies k with its own pauses (Pause and Resume change them in place).
func cloneClock(k calendar.Clock) calendar.Clock {
	k.Pauses = slices.Clone(k.Pauses)
	return k
}
