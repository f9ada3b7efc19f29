package page_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
)

func TestWindow(t *testing.T) {
	now := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	year := 366 * 24 * time.Hour
	ts := timestamppb.New
	for _, tc := range []struct {
		name       string
		start, end *timestamppb.Timestamp
		from, to   time.Time
		field      string // "" when accepted
	}{
		{"neither: the last span up to now", nil, nil, now.Add(time.Microsecond - year), now.Add(time.Microsecond), ""},
		{"start only", ts(now.AddDate(0, -1, 0)), nil, now.AddDate(0, -1, 0), now.AddDate(0, -1, 0).Add(year), ""},
		{"end only", nil, ts(now), now.Add(-year), now, ""},
		{"both", ts(now.Add(-time.Hour)), ts(now), now.Add(-time.Hour), now, ""},
		{"exactly the span", ts(now.Add(-year)), ts(now), now.Add(-year), now, ""},
		{"longer than the span", ts(now.Add(-year - time.Second)), ts(now), time.Time{}, time.Time{}, page.EndField},
		{"end before start", ts(now), ts(now.Add(-time.Hour)), time.Time{}, time.Time{}, page.EndField},
		{"empty", ts(now), ts(now), time.Time{}, time.Time{}, page.EndField},
		{"start out of range", &timestamppb.Timestamp{Seconds: 1 << 62}, nil, time.Time{}, time.Time{}, page.StartField},
		{"end with bad nanos", nil, &timestamppb.Timestamp{Nanos: -1}, time.Time{}, time.Time{}, page.EndField},
		{"whole history", ts(time.Unix(0, 0)), ts(now), time.Time{}, time.Time{}, page.EndField},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, err := page.Window(tc.start, tc.end, now, year)
			if tc.field == "" {
				require.NoError(t, err)
				require.True(t, tc.from.Equal(from), "%v != %v", tc.from, from)
				require.True(t, tc.to.Equal(to), "%v != %v", tc.to, to)
				return
			}
			require.ErrorIs(t, err, page.ErrInvalidWindow)
			var e *errs.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, "INVALID_WINDOW", e.Code)
			require.Len(t, e.Violations, 1)
			require.Equal(t, tc.field, e.Violations[0].Field)
		})
	}
}
