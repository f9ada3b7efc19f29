package calendar

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

func TestOfficialYearsMatchTheNotices(t *testing.T) {
	t.Parallel()
	ys := Official()
	require.GreaterOrEqual(t, len(ys), 2)
	byYear := map[int]Year{}
	for _, y := range ys {
		require.NoError(t, y.Validate())
		require.NotEmpty(t, y.Source.Title)
		require.NotEmpty(t, y.Source.Published)
		byYear[y.Year] = y
	}
	// The dates of 国办发明电〔2024〕12号 (2025) and of the notice of 2025-11-04 (2026),
	// written out day by day so a typo in a range shows up here.
	tests := []struct {
		year      int
		off, work []string
		workDays  int // working days in the year
	}{
		{2025, []string{
			"2025-01-01",
			"2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04",
			"2025-04-04", "2025-04-05", "2025-04-06",
			"2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04", "2025-05-05",
			"2025-05-31", "2025-06-01", "2025-06-02",
			"2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08",
		}, []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"}, 248},
		{2026, []string{
			"2026-01-01", "2026-01-02", "2026-01-03",
			"2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",
			"2026-04-04", "2026-04-05", "2026-04-06",
			"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
			"2026-06-19", "2026-06-20", "2026-06-21",
			"2026-09-25", "2026-09-26", "2026-09-27",
			"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07",
		}, []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}, 248},
	}
	for _, tc := range tests {
		y, ok := byYear[tc.year]
		require.True(t, ok, "year %d is embedded", tc.year)
		off, work, err := y.dates()
		require.NoError(t, err)
		require.Equal(t, tc.off, strs(off), "%d off", tc.year)
		require.Equal(t, tc.work, strs(work), "%d make-up days", tc.year)

		cal, err := New(y)
		require.NoError(t, err)
		n, err := cal.WorkingDaysBetween(at(t, itoa(tc.year-1)+"-12-31 12:00"), at(t, itoa(tc.year)+"-12-31 12:00"))
		require.NoError(t, err)
		require.Equal(t, Count{Days: tc.workDays}, n)
	}
}

func strs(ds []Date) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func itoa(y int) string { return Date{y, 1, 1}.String()[:4] }

func TestParseYearReadsYAMLAndJSON(t *testing.T) {
	t.Parallel()
	y := year2027(t)
	require.Equal(t, 2027, y.Year)
	require.Equal(t, []string{"2027-01-01..2027-01-03"}, y.Holidays[0].DaysOff, "unquoted YAML dates stay strings")
	require.Equal(t, []string{"2027-02-14", "2027-02-20"}, y.Holidays[1].MakeUpDays)

	raw, err := os.ReadFile("years/2025.json")
	require.NoError(t, err)
	y, err = ParseYear(strings.NewReader(string(raw)))
	require.NoError(t, err)
	require.Equal(t, 2025, y.Year)
}

func TestParseYearRefusesMalformedFiles(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"unknown field":  `{"year": 2027, "source": {"title": "x"}, "holidays": [], "extra": 1}`,
		"not a document": `{"year": `,
		"wrong type":     `{"year": "2027", "source": {"title": "x"}}`,
		"two documents":  `{"year": 2027, "source": {"title": "x"}} {"year": 2028}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseYear(strings.NewReader(doc))
			require.ErrorIs(t, err, ErrInvalidYear)
			require.True(t, errs.IsKind(err, errs.InvalidArgument))
		})
	}
	_, err := ParseYear(strings.NewReader(strings.Repeat(" ", maxYearFile+1)))
	require.ErrorIs(t, err, ErrInvalidYear)
}

func TestValidateRefusesContradictions(t *testing.T) {
	t.Parallel()
	base := func(h ...Holiday) Year {
		return Year{Year: 2027, Source: Source{Title: "测试"}, Holidays: h}
	}
	tests := []struct {
		name  string
		year  Year
		field string
		code  string
	}{
		{"date both off and make-up", base(Holiday{Name: "国庆节", DaysOff: []string{"2027-10-01..2027-10-07"}, MakeUpDays: []string{"2027-10-02"}}),
			"holidays[0].make_up_days[0]", "DATE_OFF_AND_WORK"},
		{"off and make-up in different holidays", base(
			Holiday{Name: "A", DaysOff: []string{"2027-01-02"}}, Holiday{Name: "B", DaysOff: []string{"2027-01-09"}, MakeUpDays: []string{"2027-01-02"}}),
			"holidays[1].make_up_days[0]", "DATE_OFF_AND_WORK"},
		{"make-up day on a weekday", base(Holiday{Name: "劳动节", DaysOff: []string{"2027-05-01..2027-05-05"}, MakeUpDays: []string{"2027-04-28"}}),
			"holidays[0].make_up_days[0]", "WORKDAY_NOT_WEEKEND"},
		{"holiday outside the year", base(Holiday{Name: "元旦", DaysOff: []string{"2026-12-31..2027-01-01"}}),
			"holidays[0].days_off[0]", "DATE_OUTSIDE_YEAR"},
		{"make-up day outside the year", base(Holiday{Name: "元旦", DaysOff: []string{"2027-01-01"}, MakeUpDays: []string{"2026-12-27"}}),
			"holidays[0].make_up_days[0]", "DATE_OUTSIDE_YEAR"},
		{"duplicate date across holidays", base(Holiday{Name: "A", DaysOff: []string{"2027-06-09..2027-06-11"}}, Holiday{Name: "B", DaysOff: []string{"2027-06-11"}}),
			"holidays[1].days_off[0]", "DATE_DUPLICATE"},
		{"duplicate make-up day", base(Holiday{Name: "A", DaysOff: []string{"2027-06-09"}, MakeUpDays: []string{"2027-06-12", "2027-06-12"}}),
			"holidays[0].make_up_days[1]", "DATE_DUPLICATE"},
		{"impossible date", base(Holiday{Name: "A", DaysOff: []string{"2027-02-29"}}), "holidays[0].days_off[0]", "DATE_INVALID"},
		{"not a date", base(Holiday{Name: "A", DaysOff: []string{"10月1日"}}), "holidays[0].days_off[0]", "DATE_INVALID"},
		{"reversed range", base(Holiday{Name: "A", DaysOff: []string{"2027-10-07..2027-10-01"}}), "holidays[0].days_off[0]", "DATE_INVALID"},
		{"bad make-up date", base(Holiday{Name: "A", DaysOff: []string{"2027-10-01"}, MakeUpDays: []string{"2027-13-01"}}), "holidays[0].make_up_days[0]", "DATE_INVALID"},
		{"no name", base(Holiday{DaysOff: []string{"2027-10-01"}}), "holidays[0].name", "REQUIRED"},
		{"no dates off", base(Holiday{Name: "A"}), "holidays[0].days_off", "REQUIRED"},
		{"no source", Year{Year: 2027, Holidays: []Holiday{{Name: "A", DaysOff: []string{"2027-10-01"}}}}, "source.title", "REQUIRED"},
		{"year out of range", Year{Year: 1999, Source: Source{Title: "x"}}, "year", "YEAR_OUT_OF_RANGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.year.Validate()
			require.ErrorIs(t, err, ErrInvalidYear)
			var e *errs.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, errs.InvalidArgument, e.Kind)
			require.Contains(t, e.Violations, errs.FieldViolation{Field: tc.field, Code: tc.code, Description: findDesc(e, tc.field, tc.code)})
			require.Contains(t, e.Message, "未作任何修改")
		})
	}
}

func findDesc(e *errs.Error, field, code string) string {
	for _, v := range e.Violations {
		if v.Field == field && v.Code == code {
			return v.Description
		}
	}
	return "<no violation " + field + " " + code + ">"
}

func TestValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/contradictory-2026.json")
	require.NoError(t, err)
	_, err = ParseYear(strings.NewReader(string(raw)))
	var e *errs.Error
	require.True(t, errors.As(err, &e))
	require.Len(t, e.Violations, 1)
	require.Equal(t, "DATE_OFF_AND_WORK", e.Violations[0].Code)
	require.Contains(t, e.Message, "2026-10-03 既是放假日又是调休上班日")

	y := Year{Year: 2027, Holidays: []Holiday{{Name: "A", DaysOff: []string{"2027-02-30", "2026-01-01"}, MakeUpDays: []string{"2027-03-03"}}}}
	err = y.Validate()
	require.True(t, errors.As(err, &e))
	require.Len(t, e.Violations, 4, "source, bad date, outside year, weekday make-up: %v", e.Violations)
	require.Contains(t, e.Message, "另有 3 处问题")
}

func TestNewRefusesTheSameYearTwice(t *testing.T) {
	t.Parallel()
	ys := Official()
	_, err := New(ys[0], ys[0])
	require.ErrorIs(t, err, ErrInvalidYear)
}

func TestHolidayWeekendDatesAreFine(t *testing.T) {
	t.Parallel()
	// 2025-04-05/06 (Sat/Sun) are inside 清明节's range: allowed, and nothing changes.
	cal, err := New(Official()...)
	require.NoError(t, err)
	w, p := cal.IsWorkingDay(date(t, "2025-04-05"))
	require.False(t, w)
	require.False(t, p)
	require.Equal(t, time.Saturday, date(t, "2025-04-05").Weekday())
}
