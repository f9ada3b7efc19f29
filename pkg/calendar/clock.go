package calendar

import (
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Clock is the SLA clock (时限计时) of one application or ticket, as plain data a service
// stores beside the record (it marshals to JSON) and hands to Calendar.Status whenever it
// needs the deadline or the elapsed fraction; nothing else is kept anywhere.
//
// Pauses take the time a case waits on someone else out of the clock: 补正 (waiting for
// corrected materials), 容缺 (accepted with materials promised later), 延期 (an approved
// extension). For a limit in days, a pause excludes whole days as acceptance does: the day
// the clock stops still counts, and the days after it up to and including the day it
// resumes do not, so the deadline moves by exactly the working days paused (a pause that
// ends the day it began moves nothing). For a limit in hours, it excludes exactly the
// office time between Pause and Resume.
type Clock struct {
	Start  time.Time   `json:"start"`
	Limit  Duration    `json:"limit"`
	Office OfficeHours `json:"office,omitzero"` // for limits in Hours; zero means DefaultOfficeHours
	Pauses []Pause     `json:"pauses,omitempty"`
}

// Pause is one stop of a Clock. To is zero while the clock is stopped.
type Pause struct {
	Reason PauseReason `json:"reason"`
	From   time.Time   `json:"from"`
	To     time.Time   `json:"to,omitzero"`
}

// PauseReason says why a clock stopped.
type PauseReason string

// The reasons a clock may stop.
const (
	PauseSupplement PauseReason = "supplement" // 补正: waiting for corrected or missing materials
	PauseCommitment PauseReason = "commitment" // 容缺: accepted on a signed promise to supply materials
	PauseExtension  PauseReason = "extension"  // 延期: an approved extension
	// PauseSuspension: a period the law does not count in a trial-time limit (审限扣除:
	// 公告, 鉴定, 管辖权异议, 中止诉讼, 和解期间).
	PauseSuspension PauseReason = "suspension"
)

// Errors of Clock.
var (
	ErrClockPaused     = errs.New(errs.FailedPrecondition, "CLOCK_ALREADY_PAUSED", "计时已暂停，不能重复暂停")
	ErrClockNotPaused  = errs.New(errs.FailedPrecondition, "CLOCK_NOT_PAUSED", "计时未暂停，无需恢复")
	ErrClockTimeOrder  = errs.New(errs.InvalidArgument, "CLOCK_TIME_ORDER", "计时的暂停、恢复时间先后顺序有误")
	ErrClockInvalid    = errs.New(errs.InvalidArgument, "CLOCK_INVALID", "计时数据无效")
	ErrUnknownReason   = errs.New(errs.InvalidArgument, "CLOCK_PAUSE_REASON", "暂停原因无效，应为补正、容缺、延期或审限扣除")
	errClockStartUnset = ErrClockInvalid.WithMessage("计时缺少起始时间")
)

// NewClock starts a clock at start (the moment of acceptance) for limit.
func NewClock(start time.Time, limit Duration) Clock {
	return Clock{Start: start, Limit: limit}
}

// Paused reports whether the clock is stopped now.
func (k Clock) Paused() bool {
	return len(k.Pauses) > 0 && k.Pauses[len(k.Pauses)-1].To.IsZero()
}

// Pause stops the clock at at.
func (k *Clock) Pause(at time.Time, reason PauseReason) error {
	switch {
	case k.Paused():
		return ErrClockPaused
	case !reason.valid():
		return ErrUnknownReason
	case at.Before(k.Start):
		return ErrClockTimeOrder.WithMessage("暂停时间 %s 早于计时开始时间 %s", at.In(Location).Format(time.DateTime), k.Start.In(Location).Format(time.DateTime))
	case len(k.Pauses) > 0 && at.Before(k.Pauses[len(k.Pauses)-1].To):
		return ErrClockTimeOrder.WithMessage("暂停时间早于上次恢复时间")
	}
	k.Pauses = append(k.Pauses, Pause{Reason: reason, From: at})
	return nil
}

// Resume restarts a stopped clock at at.
func (k *Clock) Resume(at time.Time) error {
	if !k.Paused() {
		return ErrClockNotPaused
	}
	p := &k.Pauses[len(k.Pauses)-1]
	if at.Before(p.From) {
		return ErrClockTimeOrder.WithMessage("恢复时间早于暂停时间")
	}
	p.To = at
	return nil
}

func (r PauseReason) valid() bool {
	return r == PauseSupplement || r == PauseCommitment || r == PauseExtension || r == PauseSuspension
}

// Validate checks a stored clock: a start, a valid limit and office hours, and pauses in
// order, not overlapping, only the last one open.
func (k Clock) Validate() error {
	if k.Start.IsZero() {
		return errClockStartUnset
	}
	if err := k.Limit.Validate(); err != nil {
		return err
	}
	if err := k.Office.Validate(); err != nil {
		return err
	}
	prev := k.Start
	for i, p := range k.Pauses {
		if !p.Reason.valid() {
			return ErrUnknownReason
		}
		open := p.To.IsZero()
		if p.From.Before(prev) || (!open && p.To.Before(p.From)) || (open && i != len(k.Pauses)-1) {
			return ErrClockTimeOrder.WithMessage("第 %d 次暂停的时间先后顺序有误", i+1)
		}
		prev = p.To
	}
	return nil
}

// Threshold is a share of the limit, in percent, at which reminders and escalation fire.
type Threshold int

// The thresholds, in order.
const (
	ThresholdNone Threshold = 0
	Threshold50   Threshold = 50  // 过半: remind the handler
	Threshold75   Threshold = 75  // 临期: warn, escalate one tier up
	Threshold100  Threshold = 100 // 超期: the deadline has passed
)

// Thresholds are the thresholds Status reports, in order.
var Thresholds = [3]Threshold{Threshold50, Threshold75, Threshold100}

// Status is a Clock evaluated at one instant.
type Status struct {
	// Due is the deadline with every pause so far; while paused, as if the clock resumed at
	// the instant evaluated.
	Due Due
	// Elapsed is the share of the limit used: 0 at the start, 1 at Due, above 1 when overdue.
	Elapsed float64
	// Crossed is the highest threshold reached (ThresholdNone before 50 %).
	Crossed Threshold
	// Reached[i] is when Thresholds[i] is (or was) reached, with the pauses as for Due,
	// so a sweeper can schedule the next reminder.
	Reached [len(Thresholds)]time.Time
	// Paused reports whether the clock is stopped at the instant evaluated.
	Paused bool
}

// Status evaluates clock k at at. Only pauses that began at or before at count, so a
// stored clock can be replayed at any earlier instant.
func (c *Calendar) Status(k Clock, at time.Time) (Status, error) {
	if err := k.Validate(); err != nil {
		return Status{}, err
	}
	p, err := c.newPlan(k.Start, k.Limit, k.Office)
	if err != nil {
		return Status{}, err
	}
	atNs, ok := localNanos(at)
	if !ok {
		return Status{}, ErrOutOfRange
	}
	var st Status
	var buf [4]interval
	pauses := buf[:0]
	for _, ps := range k.Pauses {
		from, ok1 := localNanos(ps.From)
		to, ok2 := atNs, true
		if !ps.To.IsZero() {
			to, ok2 = localNanos(ps.To)
		}
		if !ok1 || !ok2 {
			return Status{}, ErrOutOfRange
		}
		if from > atNs {
			break
		}
		if ps.To.IsZero() || to > atNs {
			to, st.Paused = atNs, true
		}
		pauses = append(pauses, p.pause(from, to))
	}
	end, total, err := p.due(pauses)
	if err != nil {
		return Status{}, err
	}
	used := p.counted(p.m.of(atNs), pauses)
	st.Due = Due{At: instant(end), Provisional: p.provisional(c, end, atNs+1, pauses)}
	switch {
	case total > 0:
		st.Elapsed = float64(used) / float64(total)
	case atNs >= end:
		st.Elapsed = 1
	}
	for i, th := range Thresholds {
		need := total/100*int64(th) + total%100*int64(th)/100
		reach, err := p.instant(p.reach(need, pauses))
		if err != nil {
			return Status{}, err
		}
		if th == Threshold100 {
			reach = end // carried past a holiday for natural days
		}
		st.Reached[i] = instant(reach)
		if atNs >= reach {
			st.Crossed = th
		}
	}
	return st, nil
}

// pause maps a pause [from, to] (window-local) to counted time: whole days (from's day,
// to's day] for day limits, exact office time for hours.
func (p *plan) pause(from, to int64) interval {
	if p.dayPauses {
		from, to = (from/nsPerDay+1)*nsPerDay, (to/nsPerDay+1)*nsPerDay
	}
	return interval{p.m.of(from), p.m.of(max(from, to))}
}
