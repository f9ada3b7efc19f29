package matters

import (
	"context"
	"maps"
	"slices"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// ReportMatters reports, per matter with completed applications in the tenant's subtree,
// the working days used against the promised limit (the seed's targets).
func (s *service) ReportMatters(ctx context.Context, r *mattersv1.ReportMattersRequest) (*mattersv1.ReportMattersResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	done, err := s.st.completed(ctx, t)
	if err != nil {
		return nil, err
	}
	type acc struct {
		days   []int
		onTime int
	}
	by := map[string]*acc{}
	for _, a := range done {
		x := by[a.GetMatter()]
		if x == nil {
			x = &acc{}
			by[a.GetMatter()] = x
		}
		x.days = append(x.days, int(a.GetWorkingDaysUsed()))
		if !a.GetCompleteTime().AsTime().After(a.GetPromisedDueTime().AsTime()) {
			x.onTime++
		}
	}
	resp := &mattersv1.ReportMattersResponse{}
	for _, name := range slices.Sorted(maps.Keys(by)) {
		x := by[name]
		m, err := s.st.matter(ctx, codeOf(name), 0)
		if err != nil {
			return nil, err
		}
		slices.Sort(x.days)
		resp.Matters = append(resp.Matters, &mattersv1.MatterReport{
			Matter: name, Title: m.GetTitle(), Target: m.GetPromisedLimit(), Completed: int32(len(x.days)),
			MedianWorkingDays: median(x.days), P90WorkingDays: int32(nearestRank(x.days, 90)),
			WithinTargetShare: float64(x.onTime) / float64(len(x.days)),
		})
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

// completed lists the API view of every completed application in t's subtree. It reads
// the rows themselves; at scale this wants summary columns (see the report's limits).
func (st *store) completed(ctx context.Context, t tenancy.ID) ([]*mattersv1.Application, error) {
	where, args := t.SubtreeSQL("tenant", 1)
	rows, err := st.db.Query(ctx, `SELECT `+appColumns+` FROM applications WHERE `+where+` AND state = 6`, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []*mattersv1.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a.App)
	}
	return out, rows.Err()
}
