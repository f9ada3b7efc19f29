package calendar

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func status(t testing.TB, cal *Calendar, k Clock, when string) Status {
	t.Helper()
	st, err := cal.Status(k, at(t, when))
	require.NoError(t, err)
	return st
}

func TestPauseMovesTheDeadlineByThePausedWorkingDays(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	// Wed 2025-09-24, 5 working days: Sep 25, 26, 28 (make-up Sunday), 29, 30.
	k := NewClock(at(t, "2025-09-24 09:30"), Duration{N: 5, Unit: WorkingDays})
	before := status(t, cal, k, "2025-09-25 10:00").Due
	require.Equal(t, Due{At: endOf(t, "2025-09-30")}, before)

	// 补正 from Friday afternoon to Monday morning: the days after Friday up to and
	// including Monday are out of the clock: Sat (off), Sun 09-28 (make-up), Mon 09-29,
	// so 2 working days.
	require.NoError(t, k.Pause(at(t, "2025-09-26 16:00"), PauseSupplement))
	require.NoError(t, k.Resume(at(t, "2025-09-29 10:00")))
	paused, err := cal.WorkingDaysBetween(at(t, "2025-09-26 16:00"), at(t, "2025-09-29 10:00"))
	require.NoError(t, err)
	require.Equal(t, 2, paused.Days)

	after := status(t, cal, k, "2025-09-29 11:00").Due
	// Sep 25, 26, [28, 29 paused], 30, Oct 9, Oct 10.
	require.Equal(t, Due{At: endOf(t, "2025-10-10")}, after)
	moved, err := cal.WorkingDaysBetween(before.At.Add(-time.Nanosecond), after.At.Add(-time.Nanosecond))
	require.NoError(t, err)
	require.Equal(t, 2, moved.Days, "moved by exactly the paused working days")
}

func TestPauseRules(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	// Mon 2025-11-03, 5 working days: Nov 4..7, 10.
	start := at(t, "2025-11-03 10:00")
	tests := []struct {
		name          string
		pause, resume string
		last          string
	}{
		{"same-day pause moves nothing", "2025-11-04 09:00", "2025-11-04 17:00", "2025-11-10"},
		{"Tuesday to Thursday: Wed and Thu out", "2025-11-04 11:00", "2025-11-06 15:00", "2025-11-12"},
		{"paused on the day of acceptance, resumed next day", "2025-11-03 15:00", "2025-11-04 09:00", "2025-11-11"},
		{"over a weekend: only Monday is a working day", "2025-11-07 11:00", "2025-11-10 09:00", "2025-11-11"},
		{"after the deadline: nothing moves", "2025-11-11 09:00", "2025-11-13 09:00", "2025-11-10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := NewClock(start, Duration{N: 5, Unit: WorkingDays})
			require.NoError(t, k.Pause(at(t, tc.pause), PauseCommitment))
			require.NoError(t, k.Resume(at(t, tc.resume)))
			require.Equal(t, Due{At: endOf(t, tc.last)}, status(t, cal, k, "2025-11-20 09:00").Due)
		})
	}
}

func TestOpenPauseFreezesElapsedAndDueAsIfResumedNow(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	k := NewClock(at(t, "2025-11-03 10:00"), Duration{N: 4, Unit: WorkingDays})
	require.NoError(t, k.Pause(at(t, "2025-11-04 18:00"), PauseExtension))
	require.True(t, k.Paused())

	// Nov 4 counted in full (the day the clock stopped), then frozen.
	for _, when := range []string{"2025-11-05 09:00", "2025-11-06 16:00", "2025-11-07 12:00"} {
		st := status(t, cal, k, when)
		require.True(t, st.Paused)
		require.InDelta(t, 0.25, st.Elapsed, 1e-12, when)
	}
	// Evaluated on Friday Nov 7 while paused: as if resumed that day, so Nov 5–7 are out:
	// Nov 4, 10, 11, 12.
	require.Equal(t, Due{At: endOf(t, "2025-11-12")}, status(t, cal, k, "2025-11-07 12:00").Due)

	require.ErrorIs(t, k.Pause(at(t, "2025-11-07 12:00"), PauseSupplement), ErrClockPaused)
	require.NoError(t, k.Resume(at(t, "2025-11-07 12:00")))
	require.ErrorIs(t, k.Resume(at(t, "2025-11-07 13:00")), ErrClockNotPaused)
	st := status(t, cal, k, "2025-11-10 12:00")
	require.False(t, st.Paused)
	require.Equal(t, Due{At: endOf(t, "2025-11-12")}, st.Due)
	require.InDelta(t, 1.5/4, st.Elapsed, 1e-12)
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	// Mon 2025-11-03, 4 working days: Nov 4, 5, 6, 7.
	k := NewClock(at(t, "2025-11-03 10:00"), Duration{N: 4, Unit: WorkingDays})
	st := status(t, cal, k, "2025-11-03 16:00")
	require.Equal(t, [3]time.Time{endOf(t, "2025-11-05"), endOf(t, "2025-11-06"), endOf(t, "2025-11-07")}, st.Reached)
	tests := []struct {
		when    string
		elapsed float64
		crossed Threshold
	}{
		{"2025-11-03 16:00", 0, ThresholdNone}, // the day of acceptance does not count
		{"2025-11-04 12:00", 0.125, ThresholdNone},
		{"2025-11-05 23:59", 0.5 - 1.0/(4*24*60), ThresholdNone},
		{"2025-11-06 00:00", 0.5, Threshold50},
		{"2025-11-06 12:00", 0.625, Threshold50},
		{"2025-11-07 00:00", 0.75, Threshold75},
		{"2025-11-08 00:00", 1, Threshold100},
		{"2025-11-09 12:00", 1, Threshold100}, // the weekend adds nothing
		{"2025-11-10 12:00", 1.125, Threshold100},
	}
	for _, tc := range tests {
		st := status(t, cal, k, tc.when)
		require.InDelta(t, tc.elapsed, st.Elapsed, 1e-9, tc.when)
		require.Equal(t, tc.crossed, st.Crossed, tc.when)
	}
}

func TestThresholdsOfAnHourLimit(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	// A ticket answered within 4 office hours, raised Friday 2025-09-26 at 15:30:
	// 2 hours that day, then the make-up Sunday from 09:00.
	k := NewClock(at(t, "2025-09-26 15:30"), Duration{N: 4, Unit: Hours})
	st := status(t, cal, k, "2025-09-26 15:30")
	require.Equal(t, [3]time.Time{at(t, "2025-09-26 17:30"), at(t, "2025-09-28 10:00"), at(t, "2025-09-28 11:00")}, st.Reached)
	require.Equal(t, Threshold50, status(t, cal, k, "2025-09-27 12:00").Crossed)
	require.InDelta(t, 0.5, status(t, cal, k, "2025-09-27 12:00").Elapsed, 1e-12)

	// Pauses of an hour limit take exactly the office time out: 09:30–10:15 on Sunday.
	require.NoError(t, k.Pause(at(t, "2025-09-28 09:30"), PauseSupplement))
	require.NoError(t, k.Resume(at(t, "2025-09-28 10:15")))
	require.Equal(t, Due{At: at(t, "2025-09-28 11:45")}, status(t, cal, k, "2025-09-28 10:30").Due)
}

func TestSameDayClock(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	k := NewClock(at(t, "2025-11-03 10:00"), SameDay())
	st := status(t, cal, k, "2025-11-03 17:00")
	require.Equal(t, Due{At: endOf(t, "2025-11-03")}, st.Due)
	require.InDelta(t, 0.5, st.Elapsed, 1e-12)
	require.Equal(t, Threshold50, st.Crossed)
	require.Equal(t, Threshold100, status(t, cal, k, "2025-11-04 00:00").Crossed)
}

func TestClockIsPlainData(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	custom, err := ParseOfficeHours("08:30-12:00,14:00-18:00")
	require.NoError(t, err)
	k := NewClock(at(t, "2025-09-24 09:30"), Duration{N: 12, Unit: Hours})
	k.Office = custom
	require.NoError(t, k.Pause(at(t, "2025-09-25 10:00"), PauseSupplement))
	require.NoError(t, k.Resume(at(t, "2025-09-26 10:00")))
	require.NoError(t, k.Pause(at(t, "2025-09-28 15:00"), PauseCommitment))

	raw, err := json.Marshal(k)
	require.NoError(t, err)
	require.JSONEq(t, `{
		"start": "2025-09-24T09:30:00+08:00",
		"limit": {"n": 12, "unit": "hours"},
		"office": "08:30-12:00,14:00-18:00",
		"pauses": [
			{"reason": "supplement", "from": "2025-09-25T10:00:00+08:00", "to": "2025-09-26T10:00:00+08:00"},
			{"reason": "commitment", "from": "2025-09-28T15:00:00+08:00"}
		]}`, string(raw))
	var back Clock
	require.NoError(t, json.Unmarshal(raw, &back))
	require.True(t, back.Paused())
	when := at(t, "2025-09-29 10:00")
	want, err := cal.Status(k, when)
	require.NoError(t, err)
	got, err := cal.Status(back, when)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// Replayed at an earlier instant, only the pauses begun by then count.
	early, err := cal.Status(back, at(t, "2025-09-25 09:00"))
	require.NoError(t, err)
	require.False(t, early.Paused)
	require.NotEqual(t, got.Due, early.Due)
}

func TestClockRefusesDisorder(t *testing.T) {
	t.Parallel()
	start := at(t, "2025-11-03 10:00")
	k := NewClock(start, Duration{N: 3, Unit: WorkingDays})
	require.ErrorIs(t, k.Pause(start.Add(-time.Minute), PauseSupplement), ErrClockTimeOrder)
	require.ErrorIs(t, k.Pause(start, "lunch"), ErrUnknownReason)
	require.NoError(t, k.Pause(start.Add(time.Hour), PauseSupplement))
	require.ErrorIs(t, k.Resume(start), ErrClockTimeOrder)
	require.NoError(t, k.Resume(start.Add(2*time.Hour)))
	require.ErrorIs(t, k.Pause(start.Add(90*time.Minute), PauseSupplement), ErrClockTimeOrder)

	cal := shipped(t)
	bad := Clock{Start: start, Limit: Duration{N: 3, Unit: WorkingDays}, Pauses: []Pause{
		{Reason: PauseSupplement, From: start.Add(time.Hour)},
		{Reason: PauseSupplement, From: start.Add(2 * time.Hour), To: start.Add(3 * time.Hour)},
	}}
	_, err := cal.Status(bad, start)
	require.ErrorIs(t, err, ErrClockTimeOrder, "only the last pause may be open")
	_, err = cal.Status(Clock{Limit: Duration{N: 1, Unit: WorkingDays}}, start)
	require.ErrorIs(t, err, ErrClockInvalid)
}

func TestStatusIsProvisionalIntoAMissingYear(t *testing.T) {
	t.Parallel()
	cal := shipped(t)
	// Mon 2026-12-28 + 3 working days is Dec 29, 30, 31: it closes at 2027-01-01 00:00
	// but counts no 2027 day, so it is final.
	k := NewClock(at(t, "2026-12-28 10:00"), Duration{N: 3, Unit: WorkingDays})
	st := status(t, cal, k, "2026-12-28 11:00")
	require.Equal(t, Due{At: endOf(t, "2026-12-31")}, st.Due)
	// + 4 counts Fri 2027-01-01, a working day only on weekends-only rules.
	k.Limit.N = 4
	st = status(t, cal, k, "2026-12-28 11:00")
	require.Equal(t, Due{At: endOf(t, "2027-01-01"), Provisional: true}, st.Due)
}
