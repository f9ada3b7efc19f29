package calendar

import (
	"testing"
	"time"
	_ "time/tzdata" // test-only: compare Location with the tz database on any machine

	"github.com/stretchr/testify/require"
)

// at parses "2006-01-02 15:04" in China time.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Location)
	require.NoError(t, err)
	return v
}

func date(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	require.NoError(t, err)
	return d
}

func TestWindowConstants(t *testing.T) {
	t.Parallel()
	require.Equal(t, int64(unixDay0), unixDayOf(MinYear, time.January, 1))
	require.Equal(t, int64(numDays), unixDayOf(MaxYear+1, time.January, 1)-unixDay0)
	require.Equal(t, time.Saturday, Date{MinYear, time.January, 1}.Weekday(), "table.go's weekend rule assumes it")
}

func TestYearIndexEveryDay(t *testing.T) {
	t.Parallel()
	for x := range numDays {
		want := dayStart(x).Year() - MinYear
		if got := yearIndex(x); got != want {
			t.Fatalf("yearIndex(%d) = %d, want %d (%s)", x, got, want, dayStart(x))
		}
	}
}

// The fixed +08:00 zone must agree with Asia/Shanghai on every day of the window.
func TestLocationMatchesAsiaShanghai(t *testing.T) {
	t.Parallel()
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	for x := 0; x < numDays; x++ {
		for _, hour := range []int{0, 12} {
			inst := dayStart(x).Add(time.Duration(hour) * time.Hour)
			_, off := inst.In(sh).Zone()
			if off != utcOffset {
				t.Fatalf("Asia/Shanghai is UTC%+d at %s", off/3600, inst)
			}
		}
	}
}

func TestDateText(t *testing.T) {
	t.Parallel()
	d := date(t, "2026-02-14")
	require.Equal(t, time.Saturday, d.Weekday())
	b, err := d.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "2026-02-14", string(b))
	var back Date
	require.NoError(t, back.UnmarshalText(b))
	require.Equal(t, d, back)
	require.Error(t, back.UnmarshalText([]byte("2026-02-30")))
	require.Equal(t, d, DateOf(at(t, "2026-02-14 23:59")))
	require.Equal(t, d, DateOf(time.Date(2026, 2, 13, 16, 30, 0, 0, time.UTC)), "16:30 UTC is already the 14th in China")
}
