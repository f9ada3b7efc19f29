package matters

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// groupColumn is the applications column each report grouping reads (fixed text).
var groupColumn = map[mattersv1.ReportGroup]string{
	mattersv1.ReportGroup_REPORT_GROUP_MATTER:     "matter_code",
	mattersv1.ReportGroup_REPORT_GROUP_DEPARTMENT: "department",
	mattersv1.ReportGroup_REPORT_GROUP_TENANT:     "tenant",
	mattersv1.ReportGroup_REPORT_GROUP_HANDLER:    "handler",
}

// MaxReportWindow is the longest window of completions one report covers: a year and a
// day, so a calendar year with a leap day fits.
const MaxReportWindow = 366 * 24 * time.Hour

// ReportMatters reports the completed applications of the tenant's subtree per matter
// (against its promised limit, the seed's targets), department, tenant or handler: how
// many, the median and p90 of the working days used (pauses excluded), and the share
// finished by the promised deadline. It reads the summary columns set at completion.
func (s *service) ReportMatters(ctx context.Context, r *mattersv1.ReportMattersRequest) (*mattersv1.ReportMattersResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	group := r.GetGroupBy()
	if group == mattersv1.ReportGroup_REPORT_GROUP_UNSPECIFIED {
		group = mattersv1.ReportGroup_REPORT_GROUP_MATTER
	}
	col, ok := groupColumn[group]
	if !ok {
		return nil, errs.Invalid("group_by", "INVALID_GROUP", "报表分组应为事项、部门、单位或承办人")
	}
	from, to, err := page.Window(r.GetStartTime(), r.GetEndTime(), s.now(), MaxReportWindow)
	if err != nil {
		return nil, err
	}
	rows, err := s.st.completed(ctx, t, col, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, err
	}
	type acc struct {
		days   []int
		onTime int
	}
	by := map[string]*acc{}
	for _, row := range rows {
		x := by[row.key]
		if x == nil {
			x = &acc{}
			by[row.key] = x
		}
		x.days = append(x.days, row.days)
		x.onTime += row.onTime
	}
	resp := &mattersv1.ReportMattersResponse{}
	for _, key := range slices.Sorted(maps.Keys(by)) {
		x := by[key]
		slices.Sort(x.days)
		rep := &mattersv1.MatterReport{
			Key: key, Completed: int32(len(x.days)), MedianWorkingDays: median(x.days),
			P90WorkingDays: int32(nearestRank(x.days, 90)), WithinTargetShare: float64(x.onTime) / float64(len(x.days)),
		}
		if group == mattersv1.ReportGroup_REPORT_GROUP_MATTER {
			m, err := s.st.matter(ctx, key, 0)
			if err != nil {
				return nil, err
			}
			rep.Matter, rep.Title, rep.Target = m.GetName(), m.GetTitle(), m.GetPromisedLimit()
		}
		resp.Matters = append(resp.Matters, rep)
	}
	return resp, nil
}

// median of sorted, non-empty xs: the middle one, or the mean of the middle two.
func median(xs []int) float64 {
	n := len(xs)
	if n%2 == 1 {
		return float64(xs[n/2])
	}
	return float64(xs[n/2-1]+xs[n/2]) / 2
}

// nearestRank is the p-th percentile of sorted, non-empty xs by the nearest-rank method.
func nearestRank(xs []int, p int) int {
	k := (p*len(xs) + 99) / 100 // ceil(p/100 · n)
	return xs[max(k, 1)-1]
}

type completedRow struct {
	key          string
	days, onTime int
}

// completed reads the summary of every completed application in t's subtree, keyed by
// column col (one of groupColumn's, never user input).
func (st *store) completed(ctx context.Context, t tenancy.ID, col string, fromUs, toUs int64) ([]completedRow, error) {
	where, args := t.SubtreeSQL("tenant", 1)
	return sqlstore.QueryAll(ctx, st.db, func(row sqlstore.Scanner) (completedRow, error) {
		var r completedRow
		var days, onTime int64
		if err := row.Scan(&r.key, &days, &onTime); err != nil {
			return r, err
		}
		r.days, r.onTime = int(days), int(onTime)
		return r, nil
	}, `SELECT `+col+`, working_days, on_time FROM applications WHERE `+where+
		` AND state = 6 AND complete_us >= $3 AND complete_us < $4`, append(args, fromUs, toUs)...)
}
