package calendar

import (
	"fmt"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Unit is what a limit counts.
type Unit string

// The units of a limit.
const (
	// WorkingDays (工作日): the day of acceptance is not counted; the limit ends at 24:00
	// of the N-th working day after it. N = 0 is a 即办件, ending at 24:00 the same day.
	// (民法典 art. 203 would also allow the close of business as the end; 24:00 is used so
	// that what an applicant submits online that evening is on time and so that a
	// deadline does not depend on a tenant's opening hours.)
	WorkingDays Unit = "working_days"
	// NaturalDays (自然日): the day of acceptance is not counted; the limit ends at 24:00
	// of the N-th day after it, and when that day is not a working day, at 24:00 of the
	// next working day (民法典 art. 203: a period whose last day is a holiday ends on the
	// day after the holiday). N = 0 ends the same day.
	NaturalDays Unit = "natural_days"
	// Hours (工作时): office hours of working days, counted from the instant of
	// acceptance (see OfficeHours); a limit of 0 hours ends at acceptance.
	Hours Unit = "hours"
)

// Duration is a limit (时限) such as 3 working days or 48 hours, stored as plain data.
type Duration struct {
	N    int  `json:"n"`
	Unit Unit `json:"unit"`
}

// SameDay is the limit of a 即办件: it ends at 24:00 of the day of acceptance.
func SameDay() Duration { return Duration{N: 0, Unit: WorkingDays} }

// maxDays bounds a limit so that no count can overflow (the window is 200 years).
const maxDays = 20000

// ErrInvalidDuration is returned for a limit with an unknown unit or an N out of range.
var ErrInvalidDuration = errs.New(errs.InvalidArgument, "CALENDAR_DURATION_INVALID", "时限无效")

// Validate checks the unit and that 0 <= N is within bounds (20000 days or hours*24).
func (d Duration) Validate() error {
	limit := maxDays
	switch d.Unit {
	case WorkingDays, NaturalDays:
	case Hours:
		limit = maxDays * 24
	default:
		return ErrInvalidDuration.WithMessage("时限单位 %q 无效，应为 working_days、natural_days 或 hours", d.Unit)
	}
	if d.N < 0 || d.N > limit {
		return ErrInvalidDuration.WithMessage("时限 %d 超出范围 0—%d", d.N, limit)
	}
	return nil
}

func (d Duration) String() string {
	switch {
	case d.Unit == WorkingDays && d.N == 0:
		return "即办"
	case d.Unit == WorkingDays:
		return fmt.Sprintf("%d个工作日", d.N)
	case d.Unit == NaturalDays:
		return fmt.Sprintf("%d个自然日", d.N)
	case d.Unit == Hours:
		return fmt.Sprintf("%d个工作小时", d.N)
	}
	return fmt.Sprintf("%d %s", d.N, d.Unit)
}

// Deadline is the end of limit d counted from start; office gives the office hours for
// a limit in Hours (the zero value means DefaultOfficeHours) and is ignored otherwise.
func (c *Calendar) Deadline(start time.Time, d Duration, office OfficeHours) (Due, error) {
	if d.Unit == WorkingDays { // the common case, without the plan's generality
		if err := d.Validate(); err != nil {
			return Due{}, err
		}
		return c.AddWorkingDays(start, d.N)
	}
	p, err := c.newPlan(start, d, office)
	if err != nil {
		return Due{}, err
	}
	due, _, err := p.due(nil)
	if err != nil {
		return Due{}, err
	}
	return Due{At: instant(due), Provisional: p.provisional(c, due, due, nil)}, nil
}

// measureKind is how a limit measures time: every instant of the window gets a
// cumulative amount of "counted time", so a limit is origin+amount and its end is the
// first instant reaching it. Non-working days (and, for office time, closed hours) add
// nothing, which is how a deadline skips them.
type measureKind uint8

const (
	naturalTime measureKind = iota // every nanosecond counts
	workingTime                    // every nanosecond of a working day counts
	officeTime                     // office hours of working days count
)

type measure struct {
	t      *table
	kind   measureKind
	office OfficeHours // effective, for officeTime
	perDay int64       // counted time in a full working day
	hint   int         // a word at or before every day searched (the origin's)
}

// of is the counted time before ns (window-local nanoseconds, 0 <= ns <= window end).
func (m *measure) of(ns int64) int64 {
	if m.kind == naturalTime {
		return ns
	}
	x := int(ns / nsPerDay)
	tod := ns - int64(x)*nsPerDay
	v := int64(m.t.cum(x)) * m.perDay
	if x < numDays && m.t.working(x) {
		if m.kind == workingTime {
			v += tod
		} else {
			v += m.office.before(tod)
		}
	}
	return v
}

// instant is the earliest window-local time at which counted time v is reached.
func (m *measure) instant(v int64) (int64, error) {
	if m.kind == naturalTime {
		if v > numDays*nsPerDay {
			return 0, ErrOutOfRange
		}
		return v, nil
	}
	k, r := int(v/m.perDay), v%m.perDay
	if r == 0 {
		// Exactly k full days: the close of the k-th working day.
		if k == 0 {
			return 0, nil
		}
		if k > m.t.total() {
			return 0, ErrOutOfRange
		}
		d := m.nth(k - 1)
		if m.kind == workingTime {
			return int64(d+1) * nsPerDay, nil
		}
		return int64(d)*nsPerDay + m.office.at(m.perDay), nil
	}
	if k >= m.t.total() {
		return 0, ErrOutOfRange
	}
	d := m.nth(k)
	if m.kind == workingTime {
		return int64(d)*nsPerDay + r, nil
	}
	return int64(d)*nsPerDay + m.office.at(r), nil
}

func (m *measure) nth(k int) int {
	h := m.hint
	if int(m.t.prefix[h]) > k {
		h = 0
	}
	return m.t.nth(k, h)
}

// plan is a limit laid on the calendar: the counted time at which it starts, how much it
// needs, and whether pauses are taken in whole days.
type plan struct {
	t         *table
	m         measure
	unit      Unit
	n         int
	startNs   int64 // window-local instant of acceptance
	startDay  int   // window day of acceptance
	origin    int64 // counted time when counting starts
	amount    int64 // counted time the limit needs
	dayPauses bool  // pauses exclude whole days (day limits) rather than exact time (hours)
}

func (c *Calendar) newPlan(start time.Time, d Duration, office OfficeHours) (plan, error) {
	if err := d.Validate(); err != nil {
		return plan{}, err
	}
	ns, ok := localNanos(start)
	if !ok {
		return plan{}, ErrOutOfRange
	}
	t := c.cur.Load()
	f := int(ns / nsPerDay)
	p := plan{t: t, unit: d.Unit, n: d.N, startNs: ns, startDay: f, dayPauses: true}
	p.m = measure{t: t, kind: naturalTime, hint: (f + 1) >> 6}
	next := int64(f+1) * nsPerDay // 00:00 after the day of acceptance
	switch {
	case d.N == 0 && d.Unit != Hours: // 即办件: the rest of the day, in plain time
		p.origin, p.amount = ns, next-ns
	case d.Unit == NaturalDays:
		p.origin, p.amount = next, int64(d.N)*nsPerDay
	case d.Unit == WorkingDays:
		p.m.kind, p.m.perDay = workingTime, nsPerDay
		p.origin, p.amount = p.m.of(next), int64(d.N)*nsPerDay
	case d.Unit == Hours:
		oh := office.effective()
		if err := oh.Validate(); err != nil {
			return plan{}, err
		}
		p.m.kind, p.m.office, p.m.perDay, p.m.hint = officeTime, oh, oh.perDay(), f>>6
		p.origin, p.amount = p.m.of(ns), int64(d.N)*int64(time.Hour)
		p.dayPauses = false
	}
	return p, nil
}

// interval is a pause in counted time, [from, to).
type interval struct{ from, to int64 }

// counted is the counted time between the origin and counted time v, less the pauses.
func (p *plan) counted(v int64, pauses []interval) int64 {
	c := v - p.origin
	if c <= 0 {
		return 0
	}
	for _, iv := range pauses {
		if lo, hi := max(iv.from, p.origin), min(iv.to, v); hi > lo {
			c -= hi - lo
		}
	}
	return c
}

// reach is the counted time at which amount has been counted, skipping the pauses
// (sorted and disjoint). A pause that starts after the amount is reached moves nothing.
func (p *plan) reach(amount int64, pauses []interval) int64 {
	x, rem := p.origin, amount
	for _, iv := range pauses {
		if iv.to <= x {
			continue
		}
		from := max(iv.from, x)
		if from-x >= rem {
			break
		}
		rem -= from - x
		x = iv.to
	}
	return x + rem
}

// due is the window-local end of the limit and the counted time it needs in total
// (more than amount when a period of natural days is carried past a holiday).
func (p *plan) due(pauses []interval) (at, total int64, err error) {
	at, err = p.instant(p.reach(p.amount, pauses))
	if err != nil {
		return 0, 0, err
	}
	if p.unit != NaturalDays || p.n == 0 {
		return at, p.amount, nil
	}
	last := int(at/nsPerDay) - 1
	if !p.t.working(last) {
		k := p.t.cum(last + 1)
		if k >= p.t.total() {
			return 0, 0, ErrOutOfRange
		}
		at = int64(p.t.nth(k, (last+1)>>6)+1) * nsPerDay
	}
	return at, p.counted(at, pauses), nil
}

// instant is the earliest time counted time v is reached, never before acceptance (a
// limit of 0 hours accepted after closing ends at acceptance, not at the last close).
func (p *plan) instant(v int64) (int64, error) {
	at, err := p.m.instant(v)
	return max(at, p.startNs), err
}

// provisional reports (and remembers) whether the calendar days the plan consulted
// include a year without a schedule: for day and hour limits, every day from the start
// of counting to the later of end and ns (the elapsed time up to ns counts days too); for
// natural days, only the days a last day was carried over.
func (p *plan) provisional(c *Calendar, end, ns int64, pauses []interval) bool {
	switch {
	case p.unit != Hours && p.n == 0:
		return false
	case p.unit == NaturalDays:
		raw, err := p.m.instant(p.reach(p.amount, pauses))
		if err != nil {
			return true
		}
		return c.provisional(p.t, int(raw/nsPerDay)-1, int((end-1)/nsPerDay))
	case p.unit == Hours:
		return c.provisional(p.t, p.startDay, int((max(end, ns)-1)/nsPerDay))
	}
	return c.provisional(p.t, p.startDay+1, int((max(end, ns)-1)/nsPerDay))
}
