package calendar

import (
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Calendar is the official working-day calendar (工作日历) a service counts with. Its
// methods are safe for concurrent use and never block; the schedule behind them is
// replaced atomically when Watch sees a change in etcd.
type Calendar struct {
	cur atomic.Pointer[table]
	// used marks years without a schedule that a computation has fallen into, for the
	// alert (ProvisionalYears); a bit is read before it is set, so the hot path only
	// writes shared memory the first time a missing year is met.
	used [(numYears + 63) / 64]atomic.Uint64
	log  *slog.Logger
}

// Due is the end of a period.
type Due struct {
	// At is the instant the period ends; work done before At is on time. For periods of
	// days it is 24:00 (the next 00:00) of the last day, for hours an instant in office
	// hours.
	At time.Time
	// Provisional is set when the count crossed a year whose schedule is not loaded:
	// that part was counted on weekends only and will change once the year is loaded.
	Provisional bool
}

// LastDay is the China-time date on which the period ends (the day At closes).
func (d Due) LastDay() Date { return DateOf(d.At.Add(-time.Nanosecond)) }

// Count is a number of working days.
type Count struct {
	Days        int
	Provisional bool // as for Due
}

// Errors of the computations.
var (
	ErrOutOfRange = errs.New(errs.InvalidArgument, "CALENDAR_OUT_OF_RANGE", "日期超出工作日历支持的范围（2000—2199 年）")
	ErrNegative   = errs.New(errs.InvalidArgument, "CALENDAR_NEGATIVE_DAYS", "天数不能为负数")
)

// New is a calendar with exactly the given schedules (no etcd): New(Official()...) is the
// shipped calendar; tests pass their own years. Each year is validated and may appear once.
func New(years ...Year) (*Calendar, error) {
	c := &Calendar{log: slog.Default()}
	if err := c.replace(years); err != nil {
		return nil, err
	}
	return c, nil
}

// replace validates ys and swaps in their table; the current one stays on error.
func (c *Calendar) replace(ys []Year) error {
	seen := map[int]bool{}
	for _, y := range ys {
		if seen[y.Year] {
			return ErrInvalidYear.WithMessage("%d 年的节假日安排出现了两次", y.Year).WithField("year", "YEAR_DUPLICATE", "同一年份只能有一份节假日安排")
		}
		seen[y.Year] = true
	}
	t, err := newTable(ys)
	if err != nil {
		return err
	}
	if old := c.cur.Swap(t); old != nil {
		close(old.changed)
	}
	return nil
}

// AddWorkingDays is the end of the n-th working day after the day of from: the day of
// from is not counted (even when it is a working day), and the period ends at 24:00 of
// that working day. n = 0 is a 即办件: it ends at 24:00 of from's own day.
func (c *Calendar) AddWorkingDays(from time.Time, n int) (Due, error) {
	t := c.cur.Load()
	ns, ok := localNanos(from)
	if !ok {
		return Due{}, ErrOutOfRange
	}
	if n < 0 {
		return Due{}, ErrNegative
	}
	f := int(ns / nsPerDay)
	if n == 0 {
		return Due{At: dayStart(f + 1)}, nil
	}
	k := t.cum(f+1) + n - 1
	if k >= t.total() {
		return Due{}, ErrOutOfRange
	}
	d := t.nth(k, (f+1)>>6)
	return Due{At: dayStart(d + 1), Provisional: c.provisional(t, f+1, d)}, nil
}

// WorkingDaysBetween counts the working days after from's day up to and including to's
// day (so accepted on Friday, done on Monday is 1); it is negative when to is earlier.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) (Count, error) {
	t := c.cur.Load()
	a, ok1 := localNanos(from)
	b, ok2 := localNanos(to)
	if !ok1 || !ok2 {
		return Count{}, ErrOutOfRange
	}
	f, l := int(a/nsPerDay), int(b/nsPerDay)
	return Count{Days: t.cum(l+1) - t.cum(f+1), Provisional: f != l && c.provisional(t, min(f, l)+1, max(f, l))}, nil
}

// IsWorkingDay reports whether d is a working day. Outside the window, and in a year
// without a schedule, the weekend rule answers and provisional is true.
func (c *Calendar) IsWorkingDay(d Date) (working, provisional bool) {
	t := c.cur.Load()
	x, ok := d.index()
	if !ok {
		wd := d.Weekday()
		return wd != time.Saturday && wd != time.Sunday, true
	}
	return t.working(x), c.provisional(t, x, x)
}

// provisional is t.provisional(x0, x1) that also remembers the missing years it met.
func (c *Calendar) provisional(t *table, x0, x1 int) bool {
	if !t.provisional(x0, x1) {
		return false
	}
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	for i := yearIndex(max(x0, 0)); i <= yearIndex(min(x1, numDays-1)); i++ {
		if !t.yearLoaded(i) {
			w, bit := &c.used[i>>6], uint64(1)<<(i&63)
			if w.Load()&bit == 0 {
				w.Or(bit)
			}
		}
	}
	return true
}

// Years returns the schedules in effect, oldest first.
func (c *Calendar) Years() []Year {
	t := c.cur.Load()
	out := make([]Year, len(t.years))
	for i, y := range t.years {
		out[i] = y.clone()
	}
	return out
}

// Loaded reports whether year has a schedule.
func (c *Calendar) Loaded(year int) bool {
	return year >= MinYear && year <= MaxYear && c.cur.Load().yearLoaded(year-MinYear)
}

// MissingYears lists the years among now's year and the next one that have no schedule:
// what an admin page shows ("2027 not loaded yet"). The next year is normally missing
// until its notice appears, around November.
func (c *Calendar) MissingYears(now time.Time) []int {
	var out []int
	y := DateOf(now).Year
	for _, year := range []int{y, y + 1} {
		if !c.Loaded(year) {
			out = append(out, year)
		}
	}
	return out
}

// ProvisionalYears lists the years without a schedule that this process has counted
// into: deadlines in them are provisional now. It is what the alert watches (see
// RegisterMetrics); a year leaves the list when its schedule is loaded.
func (c *Calendar) ProvisionalYears() []int {
	t := c.cur.Load()
	var out []int
	for i := range numYears {
		if c.used[i>>6].Load()&(1<<(i&63)) != 0 && !t.yearLoaded(i) {
			out = append(out, MinYear+i)
		}
	}
	return out
}

// Changed returns a channel closed at the next change of the schedule, so services can
// recompute their provisional deadlines:
//
//	for {
//		ch := cal.Changed()
//		recomputeProvisional(ctx, cal)
//		select { case <-ch: case <-ctx.Done(): return }
//	}
func (c *Calendar) Changed() <-chan struct{} { return c.cur.Load().changed }
