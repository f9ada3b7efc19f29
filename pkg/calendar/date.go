package calendar

import (
	"fmt"
	"time"
)

// Location is China Standard Time, UTC+8, the zone every count is made in.
//
// It is a fixed zone rather than time.LoadLocation("Asia/Shanghai") on purpose: China has
// kept UTC+8 without daylight saving since 1991, so over the calendar's window (MinYear to
// MaxYear) the two agree on every instant (TestLocationMatchesAsiaShanghai checks it
// against the tz database), while a fixed zone needs no tzdata on the host (embedding
// time/tzdata would add about 410 KB to every binary, measured) and lets the hot path turn
// an instant into a day with one division.
var Location = time.FixedZone("CST", utcOffset)

const utcOffset = 8 * 60 * 60 // seconds east of UTC

// The calendar's window. Years outside it cannot be loaded and instants outside it are
// refused with ErrOutOfRange; a government deadline never gets near either end.
const (
	MinYear = 2000
	MaxYear = 2199
)

const (
	numYears = MaxYear - MinYear + 1
	nsPerDay = int64(24 * time.Hour)
	// unixDay0 is the day number (days since 1970-01-01) of MinYear-01-01.
	unixDay0 = 10957
	// numDays is the number of days in the window, MinYear-01-01 to MaxYear-12-31.
	numDays = 73049
)

// yearStart[i] is the window day index of Jan 1 of MinYear+i; yearStart[numYears] = numDays.
var yearStart = func() (s [numYears + 1]int32) {
	for i := range s {
		s[i] = int32(unixDayOf(MinYear+i, time.January, 1) - unixDay0)
	}
	return s
}()

func unixDayOf(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// windowStart and windowEnd bound the instants the calendar accepts, in Unix seconds.
const (
	windowStart = unixDay0*86400 - utcOffset
	windowEnd   = (unixDay0+numDays)*86400 - utcOffset
)

// localNanos is t as nanoseconds since MinYear-01-01 00:00 China time, if t is in the window.
func localNanos(t time.Time) (int64, bool) {
	s := t.Unix()
	if s < windowStart || s >= windowEnd {
		return 0, false
	}
	return t.UnixNano() - windowStart*int64(time.Second), true
}

// instant turns window-local nanoseconds back into a time in Location.
func instant(ns int64) time.Time {
	return time.Unix(windowStart, ns).In(Location)
}

// dayStart is the instant a window day begins (00:00 China time).
func dayStart(x int) time.Time {
	return time.Unix(windowStart+int64(x)*86400, 0).In(Location)
}

// yearIndex is the index (year - MinYear) of window day x, 0 <= x < numDays.
func yearIndex(x int) int {
	i := x * 400 / 146097 // 400 Gregorian years have 146097 days; MinYear starts a cycle
	if i+1 <= numYears && int(yearStart[i+1]) <= x {
		i++
	} else if int(yearStart[i]) > x {
		i--
	}
	return i
}

// Date is a civil date (a day, without a time of day) in China time, written 2006-01-02.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the China-time date of t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Location).Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02" and refuses dates that do not exist (2025-02-29).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("calendar: %q is not a date of the form 2006-01-02", s)
	}
	y, m, d := t.Date()
	return Date{y, m, d}, nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Start is 00:00 of d in China time.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Location) }

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday { return d.Start().Weekday() }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// MarshalText writes d as 2006-01-02.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads 2006-01-02.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// index is d's window day index, or false outside the window.
func (d Date) index() (int, bool) {
	x := unixDayOf(d.Year, d.Month, d.Day) - unixDay0
	return int(x), x >= 0 && x < numDays
}
