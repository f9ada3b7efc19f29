package calendar

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sync"
)

// years holds the official schedules the team has checked against the State Council's
// published notices, one file per year; add next year's file when its notice appears
// (admins can load it at run time with Put before a release carries it).
//
//go:embed years/*.json
var years embed.FS

var official = sync.OnceValues(func() ([]Year, error) {
	names, err := fs.Glob(years, "years/*.json")
	if err != nil {
		return nil, err
	}
	out := make([]Year, 0, len(names))
	for _, name := range names {
		raw, err := years.ReadFile(name)
		if err != nil {
			return nil, err
		}
		y, err := ParseYear(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("calendar: embedded %s: %w", name, err)
		}
		out = append(out, y)
	}
	return out, nil
})

// Official returns the embedded official years (2025 and 2026 at least), oldest first.
// They are validated by this package's tests, so an error here is a build defect.
func Official() []Year {
	ys, err := official()
	if err != nil {
		panic(err)
	}
	out := make([]Year, len(ys))
	for i, y := range ys {
		out[i] = y.clone()
	}
	return out
}

func (y Year) clone() Year {
	c := y
	c.Holidays = make([]Holiday, len(y.Holidays))
	for i, h := range y.Holidays {
		c.Holidays[i] = Holiday{Name: h.Name, DaysOff: append([]string(nil), h.DaysOff...), MakeUpDays: append([]string(nil), h.MakeUpDays...)}
	}
	return c
}
