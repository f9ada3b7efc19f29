package calendar

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func shipped(t testing.TB) *Calendar {
	t.Helper()
	cal, err := New(Official()...)
	require.NoError(t, err)
	return cal
}

// endOf is 24:00 of day s, the instant a period ending on s closes.
func endOf(t testing.TB, s string) time.Time {
	t.Helper()
	return date(t, s).Start().AddDate(0, 0, 1)
}

// The expected days below are worked out by hand from the notices:
// 2025: Sat 09-27 off, Sun 09-28 make-up, 10-01..10-08 off, Sat 10-11 make-up.
// 2026: Sat 02-14 make-up, 02-15..02-23 off, Sat 02-28 make-up.
func TestAddWorkingDaysOnRealDates(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	tests := []struct {
		name string
		from string
		n    int
		last string // the working day the period ends on (at 24:00)
	}{
		{"Friday afternoon before National Day: the make-up Sunday is the first day", "2025-09-26 15:30", 1, "2025-09-28"},
		{"Friday afternoon, 2 days", "2025-09-26 15:30", 2, "2025-09-29"},
		{"Friday afternoon, 4 days jumps the 8-day holiday", "2025-09-26 15:30", 4, "2025-10-09"},
		{"Tuesday before the holiday: 1 day is the first day after it", "2025-09-30 10:00", 1, "2025-10-09"},
		{"Tuesday before the holiday, 3 days: the make-up Saturday counts", "2025-09-30 10:00", 3, "2025-10-11"},
		{"Tuesday before the holiday, 4 days: Sunday 10-12 does not", "2025-09-30 10:00", 4, "2025-10-13"},
		{"accepted on a holiday: counting starts the next working day", "2025-10-03 11:00", 1, "2025-10-09"},
		{"accepted on the make-up Sunday itself: that day is not counted", "2025-09-28 09:00", 1, "2025-09-29"},
		{"Friday before Spring Festival 2026: the make-up Saturday 02-14", "2026-02-13 16:00", 1, "2026-02-14"},
		{"Friday before Spring Festival 2026, 2 days: after 02-15..02-23", "2026-02-13 16:00", 2, "2026-02-24"},
		{"Friday before Spring Festival 2026, 5 days", "2026-02-13 16:00", 5, "2026-02-27"},
		{"Friday 02-27: the make-up Saturday 02-28", "2026-02-27 17:00", 1, "2026-02-28"},
		{"Friday 02-27, 2 days: Sunday skipped", "2026-02-27 17:00", 2, "2026-03-02"},
		{"late at night is still the same day", "2025-09-26 23:59", 1, "2025-09-28"},
		{"midnight starts a new day", "2025-09-27 00:00", 1, "2025-09-28"},
		{"across the year end: 2025-12-31 to the 2026 New Year make-up Sunday", "2025-12-31 09:00", 1, "2026-01-04"},
		{"即办件 ends the same day", "2025-09-26 15:30", 0, "2025-09-26"},
		{"即办件 on a holiday still ends that day", "2025-10-03 11:00", 0, "2025-10-03"},
		{"company start-up, 1 working day from Monday", "2025-11-03 09:00", 1, "2025-11-04"},
		{"building project, 40 working days (with 09-20 and 10-10 make-up days)", "2026-09-01 09:00", 40, "2026-11-02"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			due, err := cal.AddWorkingDays(at(t, tc.from), tc.n)
			require.NoError(t, err)
			require.Equal(t, endOf(t, tc.last), due.At)
			require.Equal(t, date(t, tc.last), due.LastDay())
			require.False(t, due.Provisional)
			require.Equal(t, Location, due.At.Location())

			d, err := cal.Deadline(at(t, tc.from), Duration{N: tc.n, Unit: WorkingDays}, OfficeHours{})
			require.NoError(t, err)
			require.Equal(t, due, d)
		})
	}
}

func TestOneWorkingDayIsNeverTwentyFourHours(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	from := at(t, "2025-09-26 15:30")
	due, err := cal.AddWorkingDays(from, 1)
	require.NoError(t, err)
	require.NotEqual(t, from.Add(24*time.Hour), due.At)
	require.Equal(t, 56*time.Hour+30*time.Minute, due.At.Sub(from))
}

func TestWorkingDaysBetween(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	tests := []struct {
		from, to string
		want     int
	}{
		{"2025-09-26 15:00", "2025-09-26 17:00", 0},
		{"2025-09-26 15:00", "2025-09-28 10:00", 1}, // the make-up Sunday
		{"2025-09-26 15:00", "2025-10-09 10:00", 4}, // 28, 29, 30, Oct 9
		{"2026-02-13 09:00", "2026-03-02 09:00", 7}, // 14, 24, 25, 26, 27, 28, Mar 2
		{"2025-10-09 10:00", "2025-09-26 15:00", -4},
	}
	for _, tc := range tests {
		n, err := cal.WorkingDaysBetween(at(t, tc.from), at(t, tc.to))
		require.NoError(t, err)
		require.Equal(t, Count{Days: tc.want}, n, "%s → %s", tc.from, tc.to)
	}
}

func TestIsWorkingDay(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	for s, want := range map[string]bool{
		"2025-09-27": false, "2025-09-28": true, "2025-10-01": false, "2025-10-08": false, "2025-10-11": true,
		"2026-02-14": true, "2026-02-16": false, "2026-02-28": true, "2026-03-01": false, "2026-03-02": true,
	} {
		w, p := cal.IsWorkingDay(date(t, s))
		require.Equal(t, want, w, s)
		require.False(t, p, s)
	}
	w, p := cal.IsWorkingDay(date(t, "2027-01-01"))
	require.True(t, w, "a Friday, on weekends only")
	require.True(t, p)
}

// The bitset, the gallop and the select are checked against the plain definition: walk
// day by day and count working days.
func TestAddWorkingDaysMatchesADayByDayWalk(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	rng := rand.New(rand.NewPCG(1, 2))
	lo := at(t, "2024-06-01 00:00")
	span := at(t, "2027-06-01 00:00").Sub(lo)
	for range 5000 {
		from := lo.Add(time.Duration(rng.Int64N(int64(span))))
		n := rng.IntN(300)
		got, err := cal.AddWorkingDays(from, n)
		require.NoError(t, err)

		d, counted, provisional := DateOf(from), 0, false
		for counted < n {
			d = d.next()
			w, p := cal.IsWorkingDay(d)
			provisional = provisional || p
			if w {
				counted++
			}
		}
		require.Equal(t, d.Start().AddDate(0, 0, 1), got.At, "from %s + %d", from, n)
		require.Equal(t, provisional, got.Provisional, "from %s + %d", from, n)

		between, err := cal.WorkingDaysBetween(from, got.At.Add(-time.Nanosecond))
		require.NoError(t, err)
		require.Equal(t, n, between.Days)
	}
}

func TestProvisionalYearIsWeekendsOnly(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	require.Equal(t, []int{2027}, cal.MissingYears(at(t, "2026-11-20 10:00")))
	require.Empty(t, cal.ProvisionalYears())

	// Thu 2026-12-24 + 10 working days, 2027 on weekends only: Dec 25, 28, 29, 30, 31,
	// Jan 1 (a Friday), 4, 5, 6, 7.
	from := at(t, "2026-12-24 10:00")
	due, err := cal.AddWorkingDays(from, 10)
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2027-01-07"), Provisional: true}, due)
	require.Equal(t, []int{2027}, cal.ProvisionalYears())

	// Ending before the new year does not touch it.
	due, err = cal.AddWorkingDays(from, 5)
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2026-12-31")}, due)

	// Loading 2027 (the test schedule: Jan 1–3 off) clears the flag and moves the day.
	require.NoError(t, cal.replace(append(Official(), year2027(t))))
	due, err = cal.AddWorkingDays(from, 10)
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2027-01-08")}, due)
	require.Empty(t, cal.ProvisionalYears())
	require.Empty(t, cal.MissingYears(at(t, "2026-11-20 10:00")))
}

func TestOutOfRangeAndBadInput(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	_, err := cal.AddWorkingDays(at(t, "1999-12-31 10:00"), 1)
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = cal.AddWorkingDays(at(t, "2199-12-30 10:00"), 5)
	require.ErrorIs(t, err, ErrOutOfRange)
	_, err = cal.AddWorkingDays(at(t, "2025-01-02 10:00"), -1)
	require.ErrorIs(t, err, ErrNegative)
	_, err = cal.Deadline(at(t, "2025-01-02 10:00"), Duration{N: 1, Unit: "weeks"}, OfficeHours{})
	require.ErrorIs(t, err, ErrInvalidDuration)
	_, err = cal.Deadline(at(t, "2025-01-02 10:00"), Duration{N: maxDays + 1, Unit: WorkingDays}, OfficeHours{})
	require.ErrorIs(t, err, ErrInvalidDuration)
	_, err = cal.Deadline(at(t, "2025-01-02 10:00"), Duration{N: 1, Unit: Hours}, OfficeHours{Periods: []Period{{14 * time.Hour, 12 * time.Hour}}})
	require.ErrorIs(t, err, ErrInvalidOfficeHours)
}

func TestNaturalDays(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	tests := []struct {
		name string
		from string
		n    int
		last string
	}{
		{"3 days ending on a working day", "2025-09-22 10:00", 3, "2025-09-25"},
		{"ending on the make-up Sunday: no carry", "2025-09-24 10:00", 4, "2025-09-28"},
		{"ending on an ordinary Saturday: carried to Monday", "2025-11-05 10:00", 3, "2025-11-10"},
		{"ending inside National Day: carried past the holiday", "2025-09-26 10:00", 5, "2025-10-09"},
		{"same day", "2025-10-03 10:00", 0, "2025-10-03"},
		{"90-day trial target", "2026-01-05 09:00", 90, "2026-04-07"}, // Apr 5 is in 清明 (04-04..06)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			due, err := cal.Deadline(at(t, tc.from), Duration{N: tc.n, Unit: NaturalDays}, OfficeHours{})
			require.NoError(t, err)
			require.Equal(t, Due{At: endOf(t, tc.last)}, due)
		})
	}
	// Natural days consult the calendar only for the last day.
	due, err := cal.Deadline(at(t, "2026-11-20 10:00"), Duration{N: 30, Unit: NaturalDays}, OfficeHours{})
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2026-12-21")}, due, "Dec 20 is a Sunday")
	due, err = cal.Deadline(at(t, "2026-12-20 10:00"), Duration{N: 20, Unit: NaturalDays}, OfficeHours{})
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2027-01-11"), Provisional: true}, due, "Jan 9–10 2027 is a weekend; 2027 is not loaded")
}

func TestHours(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	custom, err := ParseOfficeHours("08:30-12:00, 14:00-18:00")
	require.NoError(t, err)
	tests := []struct {
		name   string
		from   string
		n      int
		office OfficeHours
		want   string
	}{
		{"within the afternoon", "2025-11-03 14:00", 2, OfficeHours{}, "2025-11-03 16:00"},
		{"over lunch", "2025-11-03 11:00", 2, OfficeHours{}, "2025-11-03 14:30"},
		{"exactly to noon ends at noon, not at 13:30", "2025-11-03 09:00", 3, OfficeHours{}, "2025-11-03 12:00"},
		{"exactly a day ends at closing", "2025-11-03 09:00", 7, OfficeHours{}, "2025-11-03 17:30"},
		{"Friday afternoon into the make-up Sunday", "2025-09-26 16:00", 4, OfficeHours{}, "2025-09-28 11:30"},
		{"to the end of the make-up Sunday", "2025-09-26 16:00", 8, OfficeHours{}, "2025-09-28 17:00"},
		{"accepted on a Saturday starts at the next opening", "2025-09-27 10:00", 1, OfficeHours{}, "2025-09-28 10:00"},
		{"across National Day", "2025-09-30 17:00", 1, OfficeHours{}, "2025-10-09 09:30"},
		{"before opening", "2025-11-03 07:00", 1, OfficeHours{}, "2025-11-03 10:00"},
		{"48 hours are 7 office days minus 1 hour", "2025-11-03 09:00", 48, OfficeHours{}, "2025-11-11 16:30"},
		{"tenant hours", "2025-11-03 11:00", 2, custom, "2025-11-03 15:00"},
		{"0 hours ends at acceptance", "2025-11-03 20:00", 0, OfficeHours{}, "2025-11-03 20:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			due, err := cal.Deadline(at(t, tc.from), Duration{N: tc.n, Unit: Hours}, tc.office)
			require.NoError(t, err)
			require.Equal(t, Due{At: at(t, tc.want)}, due)
		})
	}
}

func TestOfficeHoursText(t *testing.T) {
	t.Parallel()
	oh, err := ParseOfficeHours("09:00-12:00,13:30-17:30")
	require.NoError(t, err)
	require.Equal(t, DefaultOfficeHours, oh)
	b, err := oh.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "09:00-12:00,13:30-17:30", string(b))
	for _, bad := range []string{"", "9-12", "12:00-09:00", "09:00-12:00,11:00-13:00", "09:00-25:00"} {
		_, err := ParseOfficeHours(bad)
		require.ErrorIs(t, err, ErrInvalidOfficeHours, bad)
	}
}

func TestChangedIsClosedByAReplace(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	ch := cal.Changed()
	select {
	case <-ch:
		t.Fatal("closed before any change")
	default:
	}
	require.NoError(t, cal.replace(Official()[:1]))
	select {
	case <-ch:
	default:
		t.Fatal("not closed by a change")
	}
	require.False(t, cal.Loaded(2026))
}
