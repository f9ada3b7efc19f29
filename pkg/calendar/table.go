package calendar

import (
	"math/bits"
	"slices"
)

const numWords = (numDays + 63) / 64

// table is an immutable snapshot of the calendar over the whole window: one bit per day
// (set = working day) and, per 64-day word, the number of working days before it. With
// it, "working days before day x" is one lookup plus a popcount and "the k-th working day"
// is a short search plus a select in one word: no allocation, no loop over days.
// Years without a schedule carry the weekend rule and are marked missing. A new table is
// built (about 14 KB, well under a millisecond) whenever a year is loaded or changed.
type table struct {
	work    [numWords]uint64
	prefix  [numWords + 1]int32 // working days before word i
	loaded  [(numYears + 63) / 64]uint64
	years   []Year        // the schedules in effect, by year
	changed chan struct{} // closed when this table is replaced
}

// newTable builds the snapshot for the given (valid, distinct) years.
func newTable(ys []Year) (*table, error) {
	t := &table{changed: make(chan struct{})}
	for x := range numDays {
		// MinYear-01-01 was a Saturday: x%7 is 0 for Saturdays and 1 for Sundays.
		if x%7 > 1 {
			t.work[x>>6] |= 1 << (x & 63)
		}
	}
	t.years = make([]Year, 0, len(ys))
	for _, y := range ys {
		off, work, err := y.dates()
		if err != nil {
			return nil, err
		}
		for _, d := range off {
			x, _ := d.index()
			t.work[x>>6] &^= 1 << (x & 63)
		}
		for _, d := range work {
			x, _ := d.index()
			t.work[x>>6] |= 1 << (x & 63)
		}
		i := y.Year - MinYear
		t.loaded[i>>6] |= 1 << (i & 63)
		t.years = append(t.years, y.clone())
	}
	slices.SortFunc(t.years, func(a, b Year) int { return a.Year - b.Year })
	for w := range numWords {
		t.prefix[w+1] = t.prefix[w] + int32(bits.OnesCount64(t.work[w]))
	}
	return t, nil
}

// working reports whether window day x is a working day.
func (t *table) working(x int) bool { return t.work[x>>6]&(1<<(x&63)) != 0 }

// cum is the number of working days before window day x, 0 <= x <= numDays.
func (t *table) cum(x int) int {
	w, b := x>>6, uint(x&63)
	if w == numWords {
		return int(t.prefix[numWords])
	}
	return int(t.prefix[w]) + bits.OnesCount64(t.work[w]&(1<<b-1))
}

// total is the number of working days in the window.
func (t *table) total() int { return int(t.prefix[numWords]) }

// nth is the window day of the working day with ordinal k (0-based: cum(nth(k)) == k),
// searching from word hint onwards (prefix[hint] <= k). Callers check k < total().
func (t *table) nth(k, hint int) int {
	k32 := int32(k)
	// Gallop from the hint (deadlines are near their start), then bisect: find the last
	// word whose prefix is <= k.
	lo, step := hint, 1
	hi := lo + step
	for hi < numWords && t.prefix[hi] <= k32 {
		lo = hi
		step <<= 1
		hi = lo + step
	}
	if hi > numWords {
		hi = numWords
	}
	for hi-lo > 1 { // invariant: prefix[lo] <= k < prefix[hi]
		mid := int(uint(lo+hi) >> 1)
		if t.prefix[mid] <= k32 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo<<6 + selectBit(t.work[lo], k-int(t.prefix[lo]))
}

// selectBit is the position of the r-th (0-based) set bit of x; x has more than r bits set.
func selectBit(x uint64, r int) int {
	pos := 0
	for {
		c := bits.OnesCount8(uint8(x))
		if r < c {
			break
		}
		r -= c
		x >>= 8
		pos += 8
	}
	for ; r > 0; r-- {
		x &= x - 1
	}
	return pos + bits.TrailingZeros64(x)
}

// yearLoaded reports whether year index i has a schedule.
func (t *table) yearLoaded(i int) bool { return t.loaded[i>>6]&(1<<(i&63)) != 0 }

// provisional reports whether any year touched by window days x0..x1 lacks a schedule.
func (t *table) provisional(x0, x1 int) bool {
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	x0, x1 = max(x0, 0), min(x1, numDays-1)
	for i := yearIndex(x0); i <= yearIndex(x1); i++ {
		if !t.yearLoaded(i) {
			return true
		}
	}
	return false
}
