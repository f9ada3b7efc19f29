package calendar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// year2027 is the made-up 2027 schedule of testdata (the real one is not out yet).
func year2027(t testing.TB) Year {
	t.Helper()
	raw, err := os.ReadFile("testdata/2027-test.yaml")
	require.NoError(t, err)
	y, err := ParseYear(bytes.NewReader(raw))
	require.NoError(t, err)
	return y
}

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestWatchSeedsTheOfficialYears(t *testing.T) {
	t.Parallel()
	e := testenv.StartEtcd(t)
	ctx := timeout(t)
	cal, err := Watch(ctx, e.Client())
	require.NoError(t, err)
	require.True(t, cal.Loaded(2025))
	require.True(t, cal.Loaded(2026))
	require.Equal(t, Official(), cal.Years())

	stored, err := List(ctx, e.Client())
	require.NoError(t, err)
	require.Equal(t, Official(), stored)

	wrote, err := Seed(ctx, e.Client())
	require.NoError(t, err)
	require.Empty(t, wrote, "a second seed writes nothing")
}

func TestSeedKeepsAnAdminCorrection(t *testing.T) {
	t.Parallel()
	e := testenv.StartEtcd(t)
	ctx := timeout(t)
	corrected := Official()[1]
	require.Equal(t, 2026, corrected.Year)
	corrected.Holidays = append(corrected.Holidays, Holiday{Name: "临时调整（测试）", DaysOff: []string{"2026-12-31"}})
	require.NoError(t, Put(ctx, e.Client(), corrected))

	cal, err := Watch(ctx, e.Client())
	require.NoError(t, err)
	w, _ := cal.IsWorkingDay(date(t, "2026-12-31"))
	require.False(t, w, "the corrected 2026 stays")
	require.True(t, cal.Loaded(2025), "the missing official year is seeded")
}

// The DESIGN §2 promise: a deadline in a year without data is provisional, reported,
// and recomputed with the flag cleared once an admin loads the year.
func TestProvisionalDeadlineIsRecomputedWhenTheYearIsLoaded(t *testing.T) {
	t.Parallel()
	e := testenv.StartEtcd(t)
	ctx := timeout(t)
	cal, err := Watch(ctx, e.Client())
	require.NoError(t, err)
	reader := sdkmetric.NewManualReader()
	reg, err := cal.RegisterMetrics(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = reg.Unregister() })
	require.Equal(t, int64(0), gauge(t, reader, "gaoxing.calendar.provisional_years"))

	from := at(t, "2026-12-24 10:00")
	due, err := cal.AddWorkingDays(from, 10)
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2027-01-07"), Provisional: true}, due)
	require.Equal(t, []int{2027}, cal.ProvisionalYears())
	require.Equal(t, int64(1), gauge(t, reader, "gaoxing.calendar.provisional_years"))
	changed := cal.Changed()

	// An admin loads 2027 from a file through another client (as the CLI would).
	admin := e.Client()
	y2027 := year2027(t)
	put := time.Now()
	require.NoError(t, Put(ctx, admin, y2027))
	require.Eventually(t, func() bool { return cal.Loaded(2027) }, time.Second, 2*time.Millisecond,
		"the watch delivers within a second")
	t.Logf("2027 visible to the watching calendar %v after Put began", time.Since(put).Round(time.Microsecond))
	select {
	case <-changed:
	default:
		t.Fatal("Changed not closed by the load")
	}

	due, err = cal.AddWorkingDays(from, 10)
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2027-01-08")}, due, "Jan 1 2027 is now a holiday")
	require.Empty(t, cal.ProvisionalYears())
	require.Equal(t, int64(0), gauge(t, reader, "gaoxing.calendar.provisional_years"))

	// Deleting the year makes it missing again.
	_, err = admin.Delete(ctx, Key(2027))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !cal.Loaded(2027) }, 10*time.Second, 5*time.Millisecond)
	due, err = cal.AddWorkingDays(from, 10)
	require.NoError(t, err)
	require.True(t, due.Provisional)
}

func gauge(t testing.TB, r *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(t.Context(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				g, ok := m.Data.(metricdata.Gauge[int64])
				require.True(t, ok)
				require.Len(t, g.DataPoints, 1)
				return g.DataPoints[0].Value
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestContradictoryScheduleIsRefusedAndEtcdUnchanged(t *testing.T) {
	t.Parallel()
	e := testenv.StartEtcd(t)
	ctx := timeout(t)
	cli := e.Client()
	cal, err := Watch(ctx, cli)
	require.NoError(t, err)
	before, err := cli.Get(ctx, Prefix, clientv3.WithPrefix())
	require.NoError(t, err)

	bad := Year{Year: 2026, Source: Source{Title: "自相矛盾的安排（测试用）"}, Holidays: []Holiday{
		{Name: "国庆节", DaysOff: []string{"2026-10-01..2026-10-07"}, MakeUpDays: []string{"2026-10-03", "2026-10-10"}},
	}}
	err = Put(ctx, cli, bad)
	require.ErrorIs(t, err, ErrInvalidYear)
	var e2 *errs.Error
	require.True(t, errors.As(err, &e2))
	require.Equal(t, errs.InvalidArgument, e2.Kind)
	require.Equal(t, "DATE_OFF_AND_WORK", e2.Violations[0].Code)
	require.Equal(t, "holidays[0].make_up_days[0]", e2.Violations[0].Field)

	for _, y := range []Year{
		{Year: 2027, Source: Source{Title: "x"}, Holidays: []Holiday{{Name: "A", DaysOff: []string{"2027-01-01"}, MakeUpDays: []string{"2027-01-04"}}}}, // a Monday
		{Year: 2027, Source: Source{Title: "x"}, Holidays: []Holiday{{Name: "A", DaysOff: []string{"2026-12-31"}}}},
		{Year: 2027, Source: Source{Title: "x"}, Holidays: []Holiday{{Name: "A", DaysOff: []string{"2027-01-01", "2027-01-01"}}}},
		{Year: 2027, Source: Source{Title: "x"}, Holidays: []Holiday{{Name: "A", DaysOff: []string{"2027-02-30"}}}},
	} {
		require.ErrorIs(t, Put(ctx, cli, y), ErrInvalidYear)
	}

	after, err := cli.Get(ctx, Prefix, clientv3.WithPrefix())
	require.NoError(t, err)
	require.Equal(t, before.Header.Revision, after.Header.Revision, "nothing was written")
	require.Equal(t, before.Kvs, after.Kvs)
	w, _ := cal.IsWorkingDay(date(t, "2026-10-03"))
	require.False(t, w)
}

func TestWatchKeepsTheLastGoodScheduleAndSurvivesARestart(t *testing.T) {
	t.Parallel()
	e := testenv.StartEtcd(t)
	ctx := timeout(t)
	cli := e.Client()
	cal, err := Watch(ctx, cli, WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	require.NoError(t, err)
	t0 := time.Now()
	phase := func(name string) { t.Logf("%s: %v", name, time.Since(t0).Round(time.Millisecond)); t0 = time.Now() }

	// A value written around Put (not a valid Year) is ignored: 2026 stays as it was.
	_, err = cli.Put(ctx, Key(2026), `{"year": 2026, "holidays": "garbage"}`)
	require.NoError(t, err)
	require.NoError(t, Put(ctx, cli, year2027(t)))
	require.Eventually(t, func() bool { return cal.Loaded(2027) }, 10*time.Second, 5*time.Millisecond)
	require.True(t, cal.Loaded(2026))
	w, _ := cal.IsWorkingDay(date(t, "2026-02-14"))
	require.True(t, w, "2026's make-up Saturday is still known")
	_, err = List(ctx, cli)
	require.Error(t, err, "List reports the bad value")
	phase("invalid value ignored")

	// During an outage the calendar keeps answering; after it, changes flow again.
	e.Stop()
	due, err := cal.AddWorkingDays(at(t, "2026-02-13 16:00"), 1)
	require.NoError(t, err)
	require.Equal(t, Due{At: endOf(t, "2026-02-14")}, due)
	e.Restart()
	phase("restart")
	require.NoError(t, Put(ctx, cli, Official()[1]))
	y2028 := Year{Year: 2028, Source: Source{Title: "测试用 2028"}, Holidays: []Holiday{{Name: "元旦", DaysOff: []string{"2028-01-01..2028-01-03"}}}}
	require.NoError(t, Put(ctx, cli, y2028))
	require.Eventually(t, func() bool { return cal.Loaded(2028) }, 20*time.Second, 10*time.Millisecond)
	phase("put after restart seen")

}

// A watcher that falls behind a compaction (after a long disconnect) cannot resume from
// its revision; it must reload everything.
func TestWatcherBehindACompactionReloads(t *testing.T) {
	t.Parallel()
	e := testenv.StartEtcd(t)
	ctx := timeout(t)
	cli := e.Client()
	_, err := Seed(ctx, cli)
	require.NoError(t, err)
	c := &Calendar{log: slog.New(slog.NewTextHandler(t.Output(), nil))}
	w := &watcher{c: c, cli: cli, stored: map[int]Year{}}
	rev, err := w.load(ctx)
	require.NoError(t, err)

	require.NoError(t, Put(ctx, cli, year2027(t)))
	_, err = cli.Delete(ctx, Key(2025))
	require.NoError(t, err)
	e.Compact(ctx)

	go w.run(ctx, rev)
	require.Eventually(t, func() bool { return c.Loaded(2027) && !c.Loaded(2025) }, 10*time.Second, 5*time.Millisecond)
}

func TestCrossingsCounter(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	c, err := NewCrossings(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test"), "tickets")
	require.NoError(t, err)
	c.Add(t.Context(), "ahz.s01", "close", Threshold100)
	c.Add(t.Context(), "ahz.s01", "close", Threshold100)
	c.Add(t.Context(), "ahz.s02", "response", Threshold50)
	Crossings{}.Add(t.Context(), "ahz", "close", Threshold100) // the zero value counts nothing

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "gaoxing.sla.crossings" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				tenant, _ := dp.Attributes.Value("tenant")
				clock, _ := dp.Attributes.Value("clock")
				th, _ := dp.Attributes.Value("threshold")
				svc, _ := dp.Attributes.Value("service")
				got[fmt.Sprintf("%s %s %s %d", svc.AsString(), tenant.AsString(), clock.AsString(), th.AsInt64())] = dp.Value
			}
		}
	}
	require.Equal(t, map[string]int64{"tickets ahz.s01 close 100": 2, "tickets ahz.s02 response 50": 1}, got)
}
