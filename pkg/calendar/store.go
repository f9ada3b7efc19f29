package calendar

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/etcdwatch"
)

// Prefix is where the schedules live in etcd: one key per year, Prefix+"2026", holding
// the Year as JSON.
const Prefix = "/gaoxing/calendar/years/"

// Key is the etcd key of year's schedule.
func Key(year int) string { return Prefix + strconv.Itoa(year) }

// Put validates y and stores it, replacing any schedule of that year; every watching
// Calendar picks it up within a second. An invalid y is refused with ErrInvalidYear
// (listing every problem) and nothing is written.
func Put(ctx context.Context, cli *clientv3.Client, y Year) error {
	if err := y.Validate(); err != nil {
		return err
	}
	val, err := json.Marshal(y)
	if err != nil {
		return fmt.Errorf("calendar: encode %d: %w", y.Year, err)
	}
	if _, err := cli.Put(ctx, Key(y.Year), string(val)); err != nil {
		return errs.ErrUnavailable.Wrap(fmt.Errorf("calendar: put %d: %w", y.Year, err))
	}
	return nil
}

// Seed stores each embedded official year that etcd does not have yet and returns the
// years it wrote. A year already there (possibly corrected by an admin) is left alone.
func Seed(ctx context.Context, cli *clientv3.Client) ([]int, error) {
	var wrote []int
	for _, y := range Official() {
		val, err := json.Marshal(y)
		if err != nil {
			return wrote, fmt.Errorf("calendar: encode %d: %w", y.Year, err)
		}
		key := Key(y.Year)
		resp, err := cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, string(val))).
			Commit()
		if err != nil {
			return wrote, errs.ErrUnavailable.Wrap(fmt.Errorf("calendar: seed %d: %w", y.Year, err))
		}
		if resp.Succeeded {
			wrote = append(wrote, y.Year)
		}
	}
	return wrote, nil
}

// List returns the schedules stored in etcd, oldest first; a stored value that is not a
// valid Year is reported as an error naming its key.
func List(ctx context.Context, cli *clientv3.Client) ([]Year, error) {
	resp, err := cli.Get(ctx, Prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, errs.ErrUnavailable.Wrap(fmt.Errorf("calendar: list: %w", err))
	}
	out := make([]Year, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		y, err := decodeStored(string(kv.Key), kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	slices.SortFunc(out, func(a, b Year) int { return a.Year - b.Year })
	return out, nil
}

// decodeStored reads one etcd value and checks it against its key.
func decodeStored(key string, val []byte) (Year, error) {
	var y Year
	if err := decodeStrict(val, &y); err != nil {
		return Year{}, fmt.Errorf("calendar: %s: %w", key, err)
	}
	if err := y.Validate(); err != nil {
		return Year{}, fmt.Errorf("calendar: %s: %w", key, err)
	}
	if Key(y.Year) != key {
		return Year{}, fmt.Errorf("calendar: %s holds the schedule of %d", key, y.Year)
	}
	return y, nil
}

// Option configures Watch.
type Option func(*Calendar)

// WithLogger sets the logger for watch problems (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *Calendar) { c.log = l } }

// Watch seeds the official years that etcd lacks, loads every stored schedule into a new
// Calendar and keeps it current until ctx ends: a change in etcd reaches the Calendar
// within milliseconds. When the watch breaks (etcd restart, compaction, lost leader) it
// reloads everything with backoff; meanwhile the Calendar keeps its last schedules, so
// computations never wait for etcd. The first load's error is returned.
//
// etcd holds the truth: the Calendar has exactly the years stored there. A stored value
// that is not a valid Year (written around Put) is logged and ignored, and the last valid
// schedule of that year stays in effect.
func Watch(ctx context.Context, cli *clientv3.Client, opts ...Option) (*Calendar, error) {
	c := &Calendar{log: slog.Default()}
	for _, o := range opts {
		o(c)
	}
	c.log = c.log.With("component", "calendar")
	if _, err := Seed(ctx, cli); err != nil {
		return nil, err
	}
	w := &watcher{c: c, cli: cli, stored: map[int]Year{}}
	rev, err := w.load(ctx)
	if err != nil {
		return nil, err
	}
	go w.run(ctx, rev)
	return c, nil
}

type watcher struct {
	c      *Calendar
	cli    *clientv3.Client
	stored map[int]Year // what etcd holds, as last seen; only run's goroutine touches it
}

// load reads every schedule and swaps them in; it returns the revision read.
func (w *watcher) load(ctx context.Context) (int64, error) {
	resp, err := w.cli.Get(ctx, Prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, errs.ErrUnavailable.Wrap(fmt.Errorf("calendar: load: %w", err))
	}
	prev := w.stored
	w.stored = map[int]Year{}
	for _, kv := range resp.Kvs {
		w.apply(string(kv.Key), kv.Value, prev)
	}
	if err := w.swap(); err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

// apply records one stored value; an invalid one keeps the year's last valid schedule.
func (w *watcher) apply(key string, val []byte, prev map[int]Year) {
	y, err := decodeStored(key, val)
	if err == nil {
		w.stored[y.Year] = y
		return
	}
	w.c.log.Error("calendar: ignoring invalid schedule in etcd", "key", key, "err", err)
	if year, perr := strconv.Atoi(strings.TrimPrefix(key, Prefix)); perr == nil {
		if old, ok := prev[year]; ok {
			w.stored[year] = old
		}
	}
}

func (w *watcher) swap() error {
	ys := slices.Collect(maps.Values(w.stored))
	if err := w.c.replace(ys); err != nil {
		return fmt.Errorf("calendar: rebuild: %w", err)
	}
	return nil
}

// run follows changes from rev until ctx ends, reloading after any break (etcdwatch);
// meanwhile the Calendar keeps its last schedules.
func (w *watcher) run(ctx context.Context, rev int64) {
	etcdwatch.Watch{Client: w.cli, Prefix: Prefix, Name: "calendar", Log: w.c.log, Apply: w.applyEvents, Reload: w.load}.Follow(ctx, rev)
}

// applyEvents applies one watch response and rebuilds the calendar once for it.
func (w *watcher) applyEvents(events []*clientv3.Event) {
	if len(events) == 0 {
		return
	}
	prev := maps.Clone(w.stored)
	for _, ev := range events {
		key := string(ev.Kv.Key)
		if ev.Type == clientv3.EventTypeDelete {
			if year, err := strconv.Atoi(strings.TrimPrefix(key, Prefix)); err == nil {
				delete(w.stored, year)
			}
			continue
		}
		w.apply(key, ev.Kv.Value, prev)
	}
	if err := w.swap(); err != nil {
		w.c.log.Error("calendar: keeping previous schedules", "err", err)
	}
}
