package slasweep

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Never is the next check (Unix microseconds) of a case no running clock calls for.
const Never = int64(math.MaxInt64)

// PageSize is how many due cases a pass reads at once.
const PageSize = 200

// Workers is how many cases of a page are swept at once: each is its own short
// transaction on its own row, so a wave of escalations is bound by round trips, not by
// the database, and a few in flight cut its time several-fold.
const Workers = 4

// ErrStale reports that a case changed between reading and writing it; the pass rolls
// its alerts back and the next pass looks at it anew. Sweeps skip it, uncounted.
var ErrStale = errors.New("slasweep: case changed during the sweep")

// Loop calls pass now, then every interval and whenever cal changes (a newly loaded year
// redates provisional deadlines), until ctx ends. all is set on the first pass and on a
// pass after a calendar change: those must look at every case, not only the due ones.
// The pass logs its own errors: the loop goes on.
func Loop(ctx context.Context, interval time.Duration, cal *calendar.Calendar, pass func(ctx context.Context, all bool)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	all := true
	for {
		changed := cal.Changed() // before the pass, so a change during it is not missed
		pass(ctx, all)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			all = false
		case <-changed:
			all = true
		}
	}
}

// Pages sweeps every case read returns, page after page, until a page shorter than
// PageSize; read keeps its own cursor (taken from a page's last case before sweep
// changes it). The cases of a page are swept Workers at a time. Pages returns the sum of
// what sweep returned and the first error, after the rest of that page.
func Pages[T any](ctx context.Context, read func(ctx context.Context, limit int) ([]T, error), sweep func(ctx context.Context, c T) (int, error)) (int, error) {
	total := 0
	for {
		page, err := read(ctx, PageSize)
		if err != nil {
			return total, err
		}
		n, err := sweepPage(ctx, page, sweep)
		total += n
		if err != nil || len(page) < PageSize {
			return total, err
		}
	}
}

func sweepPage[T any](ctx context.Context, page []T, sweep func(ctx context.Context, c T) (int, error)) (int, error) {
	var (
		mu       sync.Mutex
		total    int
		firstErr error
		wg       sync.WaitGroup
	)
	slots := make(chan struct{}, Workers)
	for _, c := range page {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			n, err := sweep(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	return total, firstErr
}

// Clock is one running clock of a case under the name its alerts carry ("response",
// "close#2", "step/3/promised"…), with Of, what the service needs back with each of its
// crossings (whose part it is, whether it escalates).
type Clock[K any] struct {
	Name  string
	Clock calendar.Clock
	Of    K
}

// Crossing is one threshold of one named clock reached: the unit an alert records once.
type Crossing[K any] struct {
	Clock     string
	Threshold calendar.Threshold
	Of        K
}

// Crossed lists every threshold of clocks reached at now, clock by clock in the order
// given, thresholds in order. Past ones are listed again: the alert's unique key, not
// this list, makes each recorded once.
func Crossed[K any](cal *calendar.Calendar, now time.Time, clocks ...Clock[K]) ([]Crossing[K], error) {
	var out []Crossing[K]
	for _, c := range clocks {
		st, err := cal.Status(c.Clock, now)
		if err != nil {
			return nil, err
		}
		for _, th := range calendar.Thresholds {
			if st.Crossed >= th {
				out = append(out, Crossing[K]{Clock: c.Name, Threshold: th, Of: c.Of})
			}
		}
	}
	return out, nil
}

// Earliest is the first threshold of st reached at or after from, in Unix microseconds,
// or Never. A sweep that recorded everything up to now passes now+1µs to look only ahead.
func Earliest(st calendar.Status, from time.Time) int64 {
	for _, r := range st.Reached {
		if !r.IsZero() && !r.Before(from) {
			return r.UnixMicro()
		}
	}
	return Never
}

// OneUp is the tier above t (社区 community → 街道 street → 区 district); the district,
// having none above, stays.
func OneUp(t tenancy.ID) tenancy.ID {
	if up := t.Parent(); up != "" {
		return up
	}
	return t
}

// EscalationTarget is one tier above where a case stands at 100 %: above its last
// escalation, else above the tenant handling it.
func EscalationTarget(escalatedTo, handling tenancy.ID) tenancy.ID {
	if escalatedTo == "" {
		return OneUp(handling)
	}
	return OneUp(escalatedTo)
}
