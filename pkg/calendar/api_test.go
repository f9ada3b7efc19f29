package calendar_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

func TestGetCalendar(t *testing.T) {
	cal, err := calendar.New(calendar.Official()...)
	require.NoError(t, err)
	api := calendar.ReadAPI{Calendar: cal}
	ctx := context.Background()

	c, err := api.GetCalendar(ctx, &commonv1.GetCalendarRequest{Name: "calendars/2026"})
	require.NoError(t, err)
	require.Equal(t, "calendars/2026", c.GetName())
	require.EqualValues(t, 2026, c.GetYear())
	require.Len(t, c.GetDays(), 365)
	require.Contains(t, c.GetLoadedYears(), int32(2026))
	require.NotEmpty(t, c.GetSourceTitle())
	days := map[string]*commonv1.CalendarDay{}
	for _, d := range c.GetDays() {
		days[d.GetDate()] = d
	}
	for _, tc := range []struct {
		date    string
		kind    commonv1.DayKind
		holiday string
	}{
		{"2026-01-01", commonv1.DayKind_DAY_KIND_HOLIDAY, "元旦"},
		{"2026-01-04", commonv1.DayKind_DAY_KIND_ADJUSTED_WORKING, "元旦"}, // a Sunday worked
		{"2026-01-05", commonv1.DayKind_DAY_KIND_WORKING, ""},
		{"2026-01-10", commonv1.DayKind_DAY_KIND_WEEKEND, ""},
		{"2026-10-01", commonv1.DayKind_DAY_KIND_HOLIDAY, "国庆节"},
		{"2026-10-04", commonv1.DayKind_DAY_KIND_HOLIDAY, "国庆节"}, // a Sunday inside the holiday
		{"2026-10-10", commonv1.DayKind_DAY_KIND_ADJUSTED_WORKING, "国庆节"},
		{"2026-12-31", commonv1.DayKind_DAY_KIND_WORKING, ""},
	} {
		t.Run(tc.date, func(t *testing.T) {
			d := days[tc.date]
			require.NotNil(t, d)
			require.Equal(t, tc.kind, d.GetKind())
			require.Equal(t, tc.holiday, d.GetHoliday())
		})
	}

	for _, tc := range []struct {
		name, code string
		kind       errs.Kind
	}{
		{"calendars/2031", "CALENDAR_YEAR_NOT_LOADED", errs.NotFound},
		{"calendars/1999", "CALENDAR_OUT_OF_RANGE", errs.InvalidArgument},
		{"calendars/twenty", "INVALID_ARGUMENT", errs.InvalidArgument},
		{"calendars/02026", "INVALID_ARGUMENT", errs.InvalidArgument},
		{"years/2026", "INVALID_ARGUMENT", errs.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := api.GetCalendar(ctx, &commonv1.GetCalendarRequest{Name: tc.name})
			e := errs.From(err)
			require.Equal(t, tc.code, e.Code, "%v", err)
			require.Equal(t, tc.kind, e.Kind)
		})
	}
}
