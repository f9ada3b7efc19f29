package calendar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Year is one calendar year's official schedule (节假日安排): which dates are off and
// which weekend dates are make-up working days (调休上班). Every other Monday–Friday is a
// working day and every other Saturday and Sunday is not.
//
// The file format, in JSON or YAML (ParseYear reads both; the embedded years/2025.json is
// an example):
//
//	{
//	  "year": 2025,
//	  "source": {
//	    "title": "国务院办公厅关于2025年部分节假日安排的通知",  // required: where the dates come from
//	    "number": "国办发明电〔2024〕12号",                    // optional: document number (文号)
//	    "published": "2024-11-12",                            // optional: date of the notice
//	    "note": "..."                                         // optional
//	  },
//	  "holidays": [                                           // one entry per holiday of the notice
//	    {
//	      "name": "春节",                                      // required
//	      "days_off": ["2025-01-28..2025-02-04"],             // a date or an inclusive range A..B
//	      "make_up_days": ["2025-01-26", "2025-02-08"]        // 调休上班: weekends that are working days
//	    }
//	  ]
//	}
//
// Every date must lie in the file's year: when a notice moves a day in another year (a
// New Year holiday starting on 30 December), that date goes in that year's file. A date
// may appear once, either off or work. Weekend dates inside a holiday range are fine;
// a make-up working day must be a Saturday or a Sunday. Unknown fields are refused. (The
// keys avoid "off"/"on", which YAML 1.1 reads as booleans.)
type Year struct {
	Year     int       `json:"year"`
	Source   Source    `json:"source"`
	Holidays []Holiday `json:"holidays"`
}

// Source says which notice a Year was taken from, so anyone can check it.
type Source struct {
	Title     string `json:"title"`
	Number    string `json:"number,omitempty"`
	Published string `json:"published,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Holiday is one holiday of a notice (元旦, 春节, ...) with its dates off and its make-up
// working days. DaysOff entries are "2006-01-02" or an inclusive range "2006-01-02..2006-01-08".
type Holiday struct {
	Name       string   `json:"name"`
	DaysOff    []string `json:"days_off"`
	MakeUpDays []string `json:"make_up_days,omitempty"`
}

// ErrInvalidYear is returned by Validate, ParseYear and Put for a schedule that is
// malformed or contradicts itself; its field violations list every problem found.
var ErrInvalidYear = errs.New(errs.InvalidArgument, "CALENDAR_YEAR_INVALID", "节假日安排有误，未作任何修改")

// maxYearFile bounds what ParseYear reads; a real year file is about 2 KB.
const maxYearFile = 1 << 20

// ParseYear reads one Year from a JSON or YAML document (see Year for the format) and
// validates it. It is what the admin CLI calls before Put.
func ParseYear(r io.Reader) (Year, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxYearFile+1))
	if err != nil {
		return Year{}, fmt.Errorf("calendar: read year file: %w", err)
	}
	if len(raw) > maxYearFile {
		return Year{}, ErrInvalidYear.WithMessage("节假日安排文件超过 %d 字节", maxYearFile)
	}
	js := raw
	if trimmed := bytes.TrimLeft(raw, " \t\r\n\ufeff"); len(trimmed) == 0 || trimmed[0] != '{' {
		// YAML: converted to JSON, unquoted dates stay strings.
		if js, err = yaml.YAMLToJSON(raw); err != nil {
			return Year{}, ErrInvalidYear.WithMessage("节假日安排文件不是有效的 JSON 或 YAML：%v", err).Wrap(err)
		}
	}
	var y Year
	if err := decodeStrict(js, &y); err != nil {
		return Year{}, ErrInvalidYear.WithMessage("节假日安排文件格式不正确：%v", err).Wrap(err)
	}
	if err := y.Validate(); err != nil {
		return Year{}, err
	}
	return y, nil
}

func decodeStrict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one document")
	}
	return nil
}

// Validate checks that y is well formed and consistent; the error lists every problem
// as a field violation (field paths such as "holidays[1].work[0]").
func (y Year) Validate() error {
	_, _, err := y.dates()
	return err
}

// dates expands y into its sorted dates off and make-up working days, validating as it goes.
func (y Year) dates() (off, work []Date, err error) {
	var v violations
	if y.Year < MinYear || y.Year > MaxYear {
		v.add("year", "YEAR_OUT_OF_RANGE", fmt.Sprintf("年份 %d 超出支持范围 %d—%d", y.Year, MinYear, MaxYear))
		return nil, nil, v.err(y.Year)
	}
	if strings.TrimSpace(y.Source.Title) == "" {
		v.add("source.title", "REQUIRED", "请注明节假日安排的来源（通知标题）")
	}
	if p := y.Source.Published; p != "" {
		if _, perr := ParseDate(p); perr != nil {
			v.add("source.published", "DATE_INVALID", fmt.Sprintf("%q 不是有效日期（应为 2006-01-02）", p))
		}
	}
	type mention struct {
		field  string
		isWork bool
	}
	seen := map[Date]mention{} // date → where it was first named
	use := func(field string, d Date, isWork bool) {
		switch {
		case d.Year != y.Year:
			v.add(field, "DATE_OUTSIDE_YEAR", fmt.Sprintf("%s 不在 %d 年内", d, y.Year))
			return
		case isWork && d.Weekday() != time.Saturday && d.Weekday() != time.Sunday:
			v.add(field, "WORKDAY_NOT_WEEKEND", fmt.Sprintf("%s 是%s，本来就是工作日，不能作为调休上班日", d, weekdayName[d.Weekday()]))
			return
		}
		if first, dup := seen[d]; dup {
			if first.isWork != isWork {
				v.add(field, "DATE_OFF_AND_WORK", fmt.Sprintf("%s 既是放假日又是调休上班日（见 %s）", d, first.field))
			} else {
				v.add(field, "DATE_DUPLICATE", fmt.Sprintf("%s 重复出现（见 %s）", d, first.field))
			}
			return
		}
		seen[d] = mention{field, isWork}
		if isWork {
			work = append(work, d)
		} else {
			off = append(off, d)
		}
	}
	for i, h := range y.Holidays {
		at := fmt.Sprintf("holidays[%d]", i)
		if strings.TrimSpace(h.Name) == "" {
			v.add(at+".name", "REQUIRED", "请填写节日名称")
		}
		if len(h.DaysOff) == 0 {
			v.add(at+".days_off", "REQUIRED", "请填写放假日期")
		}
		for j, s := range h.DaysOff {
			field := fmt.Sprintf("%s.days_off[%d]", at, j)
			from, to, perr := parseSpan(s)
			if perr != "" {
				v.add(field, "DATE_INVALID", perr)
				continue
			}
			for d := from; !d.After(to); d = d.next() {
				use(field, d, false)
			}
		}
		for j, s := range h.MakeUpDays {
			field := fmt.Sprintf("%s.make_up_days[%d]", at, j)
			d, perr := ParseDate(strings.TrimSpace(s))
			if perr != nil {
				v.add(field, "DATE_INVALID", fmt.Sprintf("%q 不是有效日期（应为 2006-01-02）", s))
				continue
			}
			use(field, d, true)
		}
	}
	if err := v.err(y.Year); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(off, Date.compare)
	slices.SortFunc(work, Date.compare)
	return off, work, nil
}

// maxSpan bounds a range of dates off; the longest holiday is well under a month.
const maxSpan = 31

// parseSpan reads "2006-01-02" or "2006-01-02..2006-01-08"; the message is for clerks.
func parseSpan(s string) (from, to Date, problem string) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "..")
	from, err := ParseDate(strings.TrimSpace(a))
	if err != nil {
		return from, to, fmt.Sprintf("%q 不是有效日期或日期区间（应为 2006-01-02 或 2006-01-02..2006-01-08）", s)
	}
	if !isRange {
		return from, from, ""
	}
	to, err = ParseDate(strings.TrimSpace(b))
	if err != nil {
		return from, to, fmt.Sprintf("%q 不是有效日期或日期区间（应为 2006-01-02 或 2006-01-02..2006-01-08）", s)
	}
	switch days := to.Start().Sub(from.Start()).Hours() / 24; {
	case days < 0:
		return from, to, fmt.Sprintf("%q 的结束日期早于开始日期", s)
	case days >= maxSpan:
		return from, to, fmt.Sprintf("%q 超过 %d 天，不像一个假期", s, maxSpan)
	}
	return from, to, ""
}

func (d Date) next() Date { return DateOf(d.Start().AddDate(0, 0, 1)) }

func (d Date) compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return d.Year - e.Year
	case d.Month != e.Month:
		return int(d.Month) - int(e.Month)
	}
	return d.Day - e.Day
}

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.compare(e) > 0 }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.compare(e) < 0 }

var weekdayName = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

type violations []errs.FieldViolation

func (v *violations) add(field, code, desc string) {
	*v = append(*v, errs.FieldViolation{Field: field, Code: code, Description: desc})
}

// err is nil without violations, else ErrInvalidYear carrying them all; its message
// names the first so a CLI user sees what to fix without reading the details.
func (v violations) err(year int) error {
	if len(v) == 0 {
		return nil
	}
	e := ErrInvalidYear.WithMessage("%d 年节假日安排有误，未作任何修改：%s", year, v[0].Description)
	if len(v) > 1 {
		e = e.WithMessage("%s（另有 %d 处问题）", e.Message, len(v)-1)
	}
	e.Violations = append([]errs.FieldViolation(nil), v...)
	return e
}
