package calendar

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// ErrYearNotLoaded refuses GetCalendar for a year without a schedule: guessing one from
// weekends alone (what deadlines do meanwhile, flagged provisional) would look official
// on an administrator's page.
var ErrYearNotLoaded = errs.New(errs.NotFound, "CALENDAR_YEAR_NOT_LOADED", "该年度的工作日历尚未加载（请用 gaoxing calendar load 加载）")

// ReadAPI serves the calendar through a service's contract (GetCalendar). The calendar is
// the platform's, so one service embeds it for all; loading a year stays with the
// administrator's command line, the API only reads.
type ReadAPI struct {
	Calendar *Calendar
}

// GetCalendar describes every date of the year named ("calendars/{year}") and which
// years are loaded.
func (a ReadAPI) GetCalendar(_ context.Context, r *commonv1.GetCalendarRequest) (*commonv1.WorkingCalendar, error) {
	s, ok := strings.CutPrefix(r.GetName(), "calendars/")
	year, err := strconv.Atoi(s)
	if !ok || err != nil || s != strconv.Itoa(year) {
		return nil, errs.Invalid("name", "INVALID_NAME", "name 应为 calendars/{year}，如 calendars/2026")
	}
	if year < MinYear || year > MaxYear {
		return nil, ErrOutOfRange
	}
	var y Year
	var loaded []int32
	found := false
	for _, x := range a.Calendar.Years() {
		loaded = append(loaded, int32(x.Year))
		if x.Year == year {
			y, found = x, true
		}
	}
	if !found {
		return nil, ErrYearNotLoaded.WithMessage("%d 年的工作日历尚未加载（已加载：%s）；请用 gaoxing calendar load 加载", year, yearsText(loaded))
	}
	return describe(y, loaded)
}

// describe lists every date of y with its kind and holiday.
func describe(y Year, loaded []int32) (*commonv1.WorkingCalendar, error) {
	named := map[Date]string{}
	for _, h := range y.Holidays {
		for _, s := range h.DaysOff {
			from, to, problem := parseSpan(s)
			if problem != "" {
				return nil, errs.ErrInternal.Wrap(fmt.Errorf("calendar %d: %s", y.Year, problem))
			}
			for d := from; !d.After(to); d = d.next() {
				named[d] = h.Name
			}
		}
		for _, s := range h.MakeUpDays {
			d, err := ParseDate(strings.TrimSpace(s))
			if err != nil {
				return nil, errs.ErrInternal.Wrap(err)
			}
			named[d] = h.Name
		}
	}
	off, work, err := y.dates()
	if err != nil {
		return nil, errs.ErrInternal.Wrap(err)
	}
	kinds := make(map[Date]commonv1.DayKind, len(off)+len(work))
	for _, d := range off {
		kinds[d] = commonv1.DayKind_DAY_KIND_HOLIDAY
	}
	for _, d := range work {
		kinds[d] = commonv1.DayKind_DAY_KIND_ADJUSTED_WORKING
	}
	out := &commonv1.WorkingCalendar{Name: "calendars/" + strconv.Itoa(y.Year), Year: int32(y.Year),
		SourceTitle: y.Source.Title, SourceNumber: y.Source.Number, LoadedYears: loaded}
	for d := (Date{y.Year, time.January, 1}); d.Year == y.Year; d = d.next() {
		k, ok := kinds[d]
		switch {
		case ok:
		case d.Weekday() == time.Saturday || d.Weekday() == time.Sunday:
			k = commonv1.DayKind_DAY_KIND_WEEKEND
		default:
			k = commonv1.DayKind_DAY_KIND_WORKING
		}
		out.Days = append(out.Days, &commonv1.CalendarDay{Date: d.String(), Kind: k, Holiday: named[d]})
	}
	return out, nil
}

func yearsText(ys []int32) string {
	if len(ys) == 0 {
		return "无"
	}
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(int(y))
	}
	return strings.Join(s, "、")
}
