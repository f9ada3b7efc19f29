package calendar

import (
	"fmt"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// OfficeHours are a tenant's opening periods on a working day (办公时间), used to count
// limits given in hours. The zero value means DefaultOfficeHours. In configuration and in
// JSON it is written "09:00-12:00,13:30-17:30".
type OfficeHours struct {
	Periods []Period
}

// Period is one opening period, as offsets from midnight.
type Period struct {
	Open, Close time.Duration
}

// DefaultOfficeHours are the usual hall hours: 09:00–12:00 and 13:30–17:30.
var DefaultOfficeHours = OfficeHours{Periods: []Period{
	{9 * time.Hour, 12 * time.Hour},
	{13*time.Hour + 30*time.Minute, 17*time.Hour + 30*time.Minute},
}}

// ErrInvalidOfficeHours is returned for office hours that are not ordered, disjoint
// periods inside one day.
var ErrInvalidOfficeHours = errs.New(errs.InvalidArgument, "CALENDAR_OFFICE_HOURS_INVALID", "办公时间格式不正确，应为 09:00-12:00,13:30-17:30")

// ParseOfficeHours reads "09:00-12:00,13:30-17:30".
func ParseOfficeHours(s string) (OfficeHours, error) {
	var oh OfficeHours
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		open, err1 := parseClock(a)
		closing, err2 := parseClock(b)
		if !ok || err1 != nil || err2 != nil {
			return OfficeHours{}, ErrInvalidOfficeHours.WithMessage("办公时间 %q 格式不正确，应为 09:00-12:00,13:30-17:30", s)
		}
		oh.Periods = append(oh.Periods, Period{open, closing})
	}
	return oh, oh.Validate()
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "24:00" {
		return 24 * time.Hour, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Validate checks that the periods are non-empty, ordered, disjoint and within a day.
func (oh OfficeHours) Validate() error {
	prev := time.Duration(0)
	for i, p := range oh.Periods {
		if p.Open < prev || p.Close <= p.Open || p.Close > 24*time.Hour {
			return ErrInvalidOfficeHours.WithMessage("办公时间第 %d 段 %s 无效：各段须按时间先后排列、互不重叠且在当天之内", i+1, p)
		}
		prev = p.Close
	}
	return nil
}

func (p Period) String() string { return clockString(p.Open) + "-" + clockString(p.Close) }

func clockString(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func (oh OfficeHours) String() string {
	parts := make([]string, len(oh.effective().Periods))
	for i, p := range oh.effective().Periods {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// IsZero reports whether oh is unset (and so means DefaultOfficeHours).
func (oh OfficeHours) IsZero() bool { return len(oh.Periods) == 0 }

// MarshalText writes "09:00-12:00,13:30-17:30" (empty for the zero value).
func (oh OfficeHours) MarshalText() ([]byte, error) {
	if oh.IsZero() {
		return []byte{}, nil
	}
	return []byte(oh.String()), nil
}

// UnmarshalText reads what MarshalText writes.
func (oh *OfficeHours) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*oh = OfficeHours{}
		return nil
	}
	v, err := ParseOfficeHours(string(b))
	if err != nil {
		return err
	}
	*oh = v
	return nil
}

func (oh OfficeHours) effective() OfficeHours {
	if oh.IsZero() {
		return DefaultOfficeHours
	}
	return oh
}

// perDay is the office time of one working day, in nanoseconds.
func (oh OfficeHours) perDay() int64 {
	var s time.Duration
	for _, p := range oh.Periods {
		s += p.Close - p.Open
	}
	return int64(s)
}

// before is the office time in [00:00, tod) of a working day.
func (oh OfficeHours) before(tod int64) int64 {
	var s int64
	for _, p := range oh.Periods {
		switch {
		case tod >= int64(p.Close):
			s += int64(p.Close - p.Open)
		case tod > int64(p.Open):
			s += tod - int64(p.Open)
		}
	}
	return s
}

// at is the earliest time of day by which office time r has passed, 0 < r <= perDay():
// the close of a period rather than the next opening when r ends exactly on it.
func (oh OfficeHours) at(r int64) int64 {
	for _, p := range oh.Periods {
		n := int64(p.Close - p.Open)
		if r <= n {
			return int64(p.Open) + r
		}
		r -= n
	}
	return int64(oh.Periods[len(oh.Periods)-1].Close)
}
