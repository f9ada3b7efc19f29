package page

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Field names of a report's time window, used in field violations.
const (
	StartField = "start_time"
	EndField   = "end_time"
)

// ErrInvalidWindow refuses a report window that is malformed, empty or longer than the
// report allows.
var ErrInvalidWindow = errs.New(errs.InvalidArgument, "INVALID_WINDOW", "统计时间范围不正确")

// Window is the half-open time window [from, to) a report or statistic covers, from the
// request's optional start and end: a missing end is start+maxSpan (or, without a start,
// just after now, so what happened this instant counts), a missing start is end−maxSpan. The window must be valid timestamps, start
// before end, and at most maxSpan long, so no report ever reads more than maxSpan of
// history in one call (INVALID_WINDOW otherwise, on the field at fault).
func Window(start, end *timestamppb.Timestamp, now time.Time, maxSpan time.Duration) (from, to time.Time, err error) {
	for _, f := range []struct {
		name string
		ts   *timestamppb.Timestamp
	}{{StartField, start}, {EndField, end}} {
		if f.ts != nil && f.ts.CheckValid() != nil {
			return time.Time{}, time.Time{}, windowError(f.name, "时间格式不正确")
		}
	}
	switch {
	case start != nil && end != nil:
		from, to = start.AsTime(), end.AsTime()
	case start != nil:
		from = start.AsTime()
		to = from.Add(maxSpan)
	case end != nil:
		to = end.AsTime()
		from = to.Add(-maxSpan)
	default:
		to = now.Add(time.Microsecond) // the stores keep microseconds
		from = to.Add(-maxSpan)
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, windowError(EndField, "结束时间应晚于开始时间")
	}
	if to.Sub(from) > maxSpan {
		return time.Time{}, time.Time{}, windowError(EndField, fmt.Sprintf("一次最多统计 %d 天", int(maxSpan/(24*time.Hour))))
	}
	return from, to, nil
}

func windowError(field, desc string) error {
	return ErrInvalidWindow.WithMessage("统计时间范围不正确：%s", desc).WithField(field, ErrInvalidWindow.Code, desc)
}
