package calendar

import (
	"fmt"
	"testing"
	"time"
)

var sinkDue Due

// Starts spread over 2025–2026 so the gallop and the select see many positions.
func benchStarts(b *testing.B) []time.Time {
	starts := make([]time.Time, 512)
	base := at(b, "2025-01-02 09:30")
	for i := range starts {
		starts[i] = base.Add(time.Duration(i*37) * 34 * time.Hour)
	}
	return starts
}

func BenchmarkAddWorkingDays(b *testing.B) {
	cal := shipped(b)
	starts := benchStarts(b)
	for _, n := range []int{1, 5, 40} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				d, err := cal.AddWorkingDays(starts[i&511], n)
				if err != nil {
					b.Fatal(err)
				}
				sinkDue = d
				i++
			}
		})
	}
}

func BenchmarkDeadline(b *testing.B) {
	cal := shipped(b)
	starts := benchStarts(b)
	for _, d := range []Duration{{3, WorkingDays}, {90, NaturalDays}, {48, Hours}} {
		b.Run(string(d.Unit), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				due, err := cal.Deadline(starts[i&511], d, OfficeHours{})
				if err != nil {
					b.Fatal(err)
				}
				sinkDue = due
				i++
			}
		})
	}
}

var sinkStatus Status

func BenchmarkStatus(b *testing.B) {
	cal := shipped(b)
	k := NewClock(at(b, "2025-09-24 09:30"), Duration{N: 5, Unit: WorkingDays})
	if err := k.Pause(at(b, "2025-09-26 16:00"), PauseSupplement); err != nil {
		b.Fatal(err)
	}
	if err := k.Resume(at(b, "2025-09-29 10:00")); err != nil {
		b.Fatal(err)
	}
	now := at(b, "2025-10-09 11:00")
	b.ReportAllocs()
	for b.Loop() {
		st, err := cal.Status(k, now)
		if err != nil {
			b.Fatal(err)
		}
		sinkStatus = st
	}
}
