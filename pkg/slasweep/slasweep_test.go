package slasweep_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func official(t *testing.T) *calendar.Calendar {
	t.Helper()
	cal, err := calendar.New(calendar.Official()...)
	require.NoError(t, err)
	return cal
}

func at(day, hour int) time.Time {
	return time.Date(2025, time.November, day, hour, 0, 0, 0, calendar.Location)
}

// fourDays starts Monday 2025-11-03 10:00 with 4 working days (Nov 4–7): 50 % is reached at
// the end of the 5th, 75 % at the end of the 6th, 100 % at the end of the 7th.
func fourDays() calendar.Clock {
	return calendar.NewClock(at(3, 10), calendar.Duration{N: 4, Unit: calendar.WorkingDays})
}

func TestCrossedListsEveryReachedThresholdClockByClock(t *testing.T) {
	cal := official(t)
	late := calendar.NewClock(at(3, 10), calendar.Duration{N: 2, Unit: calendar.WorkingDays}) // due end of Nov 5
	fresh := calendar.NewClock(at(7, 10), calendar.Duration{N: 4, Unit: calendar.WorkingDays})
	clocks := []slasweep.Clock[string]{
		{Name: "close", Clock: fourDays(), Of: "ticket"},
		{Name: "part:ahz.s01.c02", Clock: late, Of: "part"},
		{Name: "step/1/promised", Clock: fresh, Of: "step"},
	}
	type crossing = slasweep.Crossing[string]
	tests := []struct {
		now  time.Time
		want []crossing
	}{
		{at(5, 6), []crossing{{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold50, Of: "part"}}},
		{at(5, 12), []crossing{ // 1.5 of 2 days
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold50, Of: "part"},
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold75, Of: "part"},
		}},
		{at(6, 12), []crossing{
			{Clock: "close", Threshold: calendar.Threshold50, Of: "ticket"},
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold50, Of: "part"},
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold75, Of: "part"},
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold100, Of: "part"},
		}},
		{at(10, 12), []crossing{ // Monday: the weekend adds nothing to the fresh clock
			{Clock: "close", Threshold: calendar.Threshold50, Of: "ticket"},
			{Clock: "close", Threshold: calendar.Threshold75, Of: "ticket"},
			{Clock: "close", Threshold: calendar.Threshold100, Of: "ticket"},
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold50, Of: "part"},
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold75, Of: "part"},
			{Clock: "part:ahz.s01.c02", Threshold: calendar.Threshold100, Of: "part"},
		}},
	}
	for _, tc := range tests {
		got, err := slasweep.Crossed(cal, tc.now, clocks...)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, tc.now)
	}

	none, err := slasweep.Crossed(cal, at(3, 16), clocks...)
	require.NoError(t, err)
	require.Empty(t, none, "the day of acceptance does not count")
}

func TestCrossedRefusesABrokenClock(t *testing.T) {
	broken := fourDays()
	broken.Limit = calendar.Duration{N: -1, Unit: calendar.WorkingDays}
	_, err := slasweep.Crossed(official(t), at(6, 12), slasweep.Clock[bool]{Name: "close", Clock: broken})
	require.ErrorIs(t, err, calendar.ErrInvalidDuration)
}

func TestEarliestIsTheNextThresholdAtOrAfterFrom(t *testing.T) {
	st, err := official(t).Status(fourDays(), at(4, 12))
	require.NoError(t, err)
	end := func(day int) int64 { return at(day+1, 0).UnixMicro() }
	tests := []struct {
		from time.Time
		want int64
	}{
		{at(4, 12), end(5)},
		{at(6, 0), end(5)}, // at the instant: not yet recorded
		{at(6, 0).Add(time.Microsecond), end(6)},
		{at(7, 12), end(7)},
		{at(8, 0).Add(time.Microsecond), slasweep.Never},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, slasweep.Earliest(st, tc.from), tc.from)
	}
	require.Equal(t, slasweep.Never, slasweep.Earliest(calendar.Status{}, at(4, 12)), "no threshold at all")
}

func TestEscalationGoesOneTierUpAndTheDistrictStays(t *testing.T) {
	tests := []struct {
		escalatedTo, handling, want tenancy.ID
	}{
		{"", "ahz.s01.c01", "ahz.s01"},    // community → street
		{"", "ahz.s01", "ahz"},            // street → district
		{"", "ahz", "ahz"},                // the district stays
		{"ahz.s01", "ahz.s01.c01", "ahz"}, // above the last escalation, not the handler
		{"ahz", "ahz.s01.c01", "ahz"},     // escalated to the top: stays there
		{"ahz.s02", "ahz.s01.c01", "ahz"}, // wherever it went last
		{"", "ahz.s02.c07", "ahz.s02"},    // another street's community
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, slasweep.EscalationTarget(tc.escalatedTo, tc.handling), "%s/%s", tc.escalatedTo, tc.handling)
	}
	require.Equal(t, tenancy.ID("ahz.s01"), slasweep.OneUp("ahz.s01.c02"), "a co-handler's superior")
	require.Equal(t, tenancy.ID("ahz"), slasweep.OneUp("ahz"))
}

// rows is a keyset-paged table of n cases 1..n: read resumes after the last one returned.
type rows struct {
	n, after int
	reads    int
}

func (r *rows) read(_ context.Context, limit int) ([]int, error) {
	r.reads++
	var page []int
	for id := r.after + 1; id <= r.n && len(page) < limit; id++ {
		page = append(page, id)
	}
	if len(page) > 0 {
		r.after = page[len(page)-1]
	}
	return page, nil
}

func TestPagesSweepsEveryCaseOnceAFewAtATime(t *testing.T) {
	tests := []struct {
		n, reads int
	}{
		{0, 1},
		{1, 1},
		{slasweep.PageSize - 1, 1},
		{slasweep.PageSize, 2}, // a full page may have more behind it
		{2*slasweep.PageSize + 50, 3},
	}
	for _, tc := range tests {
		r := &rows{n: tc.n}
		var (
			mu             sync.Mutex
			seen           = map[int]int{}
			inFlight, most int
		)
		total, err := slasweep.Pages(t.Context(), r.read, func(_ context.Context, id int) (int, error) {
			mu.Lock()
			seen[id]++
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			runtime.Gosched() // let the others in; the bound must hold whatever the timing
			mu.Lock()
			inFlight--
			mu.Unlock()
			return id % 3, nil // crossings recorded for this case
		})
		require.NoError(t, err)
		want := 0
		for id := 1; id <= tc.n; id++ {
			want += id % 3
			require.Equal(t, 1, seen[id], "case %d of %d", id, tc.n)
		}
		require.Len(t, seen, tc.n)
		require.Equal(t, want, total)
		require.Equal(t, tc.reads, r.reads, "pages read for %d cases", tc.n)
		require.LessOrEqual(t, most, slasweep.Workers)
	}
}

func TestPagesStopsAtTheFirstErrorAfterItsPage(t *testing.T) {
	boom := errors.New("boom")
	r := &rows{n: 3 * slasweep.PageSize}
	var swept atomic.Int32
	total, err := slasweep.Pages(t.Context(), r.read, func(_ context.Context, id int) (int, error) {
		swept.Add(1)
		if id == 10 {
			return 0, boom
		}
		return 1, nil
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, r.reads, "no page after the failing one")
	require.Equal(t, int32(slasweep.PageSize), swept.Load(), "the rest of the page is still swept")
	require.Equal(t, slasweep.PageSize-1, total, "what was recorded is counted")

	readErr := errors.New("read failed")
	total, err = slasweep.Pages(t.Context(), func(context.Context, int) ([]int, error) { return nil, readErr },
		func(context.Context, int) (int, error) { t.Fatal("nothing to sweep"); return 0, nil })
	require.ErrorIs(t, err, readErr)
	require.Zero(t, total)
}

// passes returns a pass for Loop that reports, call by call, whether it was to look at all.
func passes(t *testing.T) (chan bool, func(context.Context, bool)) {
	t.Helper()
	got := make(chan bool, 16)
	return got, func(_ context.Context, all bool) { got <- all }
}

func next(t *testing.T, got <-chan bool) bool {
	t.Helper()
	select {
	case all := <-got:
		return all
	case <-time.After(10 * time.Second):
		t.Fatal("no pass within 10 s")
		return false
	}
}

func TestLoopLooksAtEverythingFirstThenOnlyWhatIsDue(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	got, pass := passes(t)
	done := make(chan struct{})
	go func() { defer close(done); slasweep.Loop(ctx, 5*time.Millisecond, official(t), pass) }()
	require.True(t, next(t, got), "the first pass looks at every case")
	require.False(t, next(t, got), "a tick looks at the due ones")
	require.False(t, next(t, got))
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Loop did not end with its context")
	}
}

func TestLoopLooksAtEverythingAfterACalendarChange(t *testing.T) {
	e := testenv.StartEtcd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	cal, err := calendar.Watch(ctx, e.Client())
	require.NoError(t, err)
	got, pass := passes(t)
	go slasweep.Loop(ctx, time.Hour, cal, pass) // no tick during the test: only the change wakes it
	require.True(t, next(t, got))

	// An admin loads a year again (as the CLI would): every deadline may move.
	require.NoError(t, calendar.Put(ctx, e.Client(), calendar.Official()[0]))
	require.True(t, next(t, got), "a calendar change redates every case")
}
