package calendar_test

import (
	"fmt"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
)

func ExampleCalendar_AddWorkingDays() {
	cal, err := calendar.New(calendar.Official()...)
	if err != nil {
		panic(err)
	}
	// Accepted on Friday 2025-09-26 at 15:30, before the National Day holiday: Saturday is
	// off, Sunday 09-28 is a make-up working day (调休上班), so 1 working day ends there.
	accepted := time.Date(2025, 9, 26, 15, 30, 0, 0, calendar.Location)
	due, err := cal.AddWorkingDays(accepted, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(due.LastDay(), due.LastDay().Weekday(), due.At.Format(time.RFC3339), due.Provisional)
	// Output: 2025-09-28 Sunday 2025-09-29T00:00:00+08:00 false
}

func ExampleCalendar_Status() {
	cal, err := calendar.New(calendar.Official()...)
	if err != nil {
		panic(err)
	}
	day := func(d int, h int) time.Time { return time.Date(2025, 11, d, h, 0, 0, 0, calendar.Location) }
	clock := calendar.NewClock(day(3, 10), calendar.Duration{N: 5, Unit: calendar.WorkingDays})
	_ = clock.Pause(day(4, 11), calendar.PauseSupplement) // 补正 notice on Tuesday
	_ = clock.Resume(day(6, 15))                          // materials back on Thursday
	st, err := cal.Status(clock, day(7, 12))
	if err != nil {
		panic(err)
	}
	fmt.Printf("due %s, %.0f%% used, crossed %d%%\n", st.Due.LastDay(), st.Elapsed*100, st.Crossed)
	// Output: due 2025-11-12, 30% used, crossed 0%
}
