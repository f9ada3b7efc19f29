package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/gaoxing-gov/gaoxing/pkg/etcdwatch"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Root is the etcd prefix under which every service's settings live.
const Root = "/gaoxing/config/"

// Prefix is the etcd prefix of service's settings.
func Prefix(service string) string { return Root + service + "/" }

// GlobalKey is the etcd key of service's global value.
func GlobalKey(service string) string { return Prefix(service) + "global" }

// TenantKey is the etcd key of service's override for tenant and its subtree.
func TenantKey(service string, tenant tenancy.ID) string {
	return Prefix(service) + tenantsDir + string(tenant)
}

const (
	globalName = "global"
	tenantsDir = "tenants/"
)

// DefaultStartTimeout is how long Watch waits for etcd before starting from the snapshot.
const DefaultStartTimeout = 3 * time.Second

var servicePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// Validator is implemented by settings structs, on the value receiver. Validate sees
// every effective value (the global one and each tenant's merged one) before it is used.
type Validator interface {
	Validate() error
}

// Settings is one service's dynamic settings of type T, kept current from etcd. Get and
// For are cheap (an atomic load and a few map lookups) and safe for concurrent use. The
// values they return share maps and slices with the current state: treat them as
// read-only.
type Settings[T Validator] struct {
	service  string
	prefix   string
	client   *clientv3.Client
	defaults []byte // T's defaults as JSON, the bottom layer of every value
	opts     options
	log      *slog.Logger
	rejected metric.Int64Counter

	cur      atomic.Pointer[state[T]]
	last     atomic.Pointer[Rejection]
	synced   atomic.Bool
	stop     context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

// layers are the raw accepted values by key relative to the service prefix ("global",
// "tenants/ahz.s01"). A layers value is never modified once built: changes copy it.
type layers map[string]json.RawMessage

// state is one accepted configuration and its effective values.
type state[T any] struct {
	layers  layers
	global  T
	tenants map[tenancy.ID]T // only tenants with an override of their own
	changed chan struct{}    // closed when this state is replaced
}

// Rejection records a value that was refused, and why.
type Rejection struct {
	Key      string // full etcd key
	Revision int64  // etcd mod revision of the refused value (0 when it came from the snapshot)
	Err      error
	At       time.Time
}

type options struct {
	snapshot     string
	log          *slog.Logger
	startTimeout time.Duration
	onChange     []func()
}

// Option configures Watch.
type Option func(*options)

// WithSnapshot saves every accepted state to path (written atomically, mode 0600) and
// starts from it when etcd cannot be reached. Without it Watch needs etcd to start.
func WithSnapshot(path string) Option { return func(o *options) { o.snapshot = path } }

// WithLogger sets the logger for rejections and watch trouble (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithStartTimeout sets how long Watch waits for etcd (default DefaultStartTimeout).
func WithStartTimeout(d time.Duration) Option { return func(o *options) { o.startTimeout = d } }

// OnChange calls f after each accepted change, from the watching goroutine (keep it short;
// read the new values with Get and For).
func OnChange(f func()) Option { return func(o *options) { o.onChange = append(o.onChange, f) } }

// Watch reads service's settings from etcd and keeps them current until ctx ends or Close
// is called. defaults is the bottom layer: the global value in etcd is merged over it, and
// a tenant's override over the global value and its ancestors' overrides (JSON objects
// merge field by field; other values replace). T must be a struct type.
//
// If etcd does not answer within the start timeout, Watch returns the snapshot's settings
// and keeps trying in the background; with no snapshot it returns the error.
func Watch[T Validator](ctx context.Context, client *clientv3.Client, service string, defaults T, opts ...Option) (*Settings[T], error) {
	if !servicePattern.MatchString(service) {
		return nil, fmt.Errorf("config: bad service name %q", service)
	}
	if k := reflect.TypeFor[T]().Kind(); k != reflect.Struct {
		return nil, fmt.Errorf("config: settings type %v is a %v, want a struct", reflect.TypeFor[T](), k)
	}
	if err := defaults.Validate(); err != nil {
		return nil, fmt.Errorf("config: %s defaults: %w", service, err)
	}
	def, err := json.Marshal(defaults)
	if err != nil {
		return nil, fmt.Errorf("config: %s defaults: %w", service, err)
	}
	o := options{log: slog.Default(), startTimeout: DefaultStartTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	rejected, _ := otel.Meter("github.com/gaoxing-gov/gaoxing/pkg/config").Int64Counter("gaoxing.config.rejected",
		metric.WithDescription("Settings values refused (bad JSON, unknown field, failed validation)."))
	s := &Settings[T]{
		service:  service,
		prefix:   Prefix(service),
		client:   client,
		defaults: def,
		opts:     o,
		log:      o.log.With("service", service),
		rejected: rejected,
		done:     make(chan struct{}),
	}

	start, err := s.build(layers{})
	if err != nil {
		return nil, fmt.Errorf("config: %s defaults: %w", service, err)
	}
	s.cur.Store(start)
	fromSnapshot := false
	if o.snapshot != "" {
		saved, err := readSnapshot(o.snapshot, service)
		switch {
		case err == nil:
			st, rejections := s.reconcile(start, saved, nil)
			s.reject(rejections)
			s.cur.Store(st)
			fromSnapshot = true
		case !errors.Is(err, fs.ErrNotExist):
			s.log.Warn("config: ignoring unreadable snapshot", "path", o.snapshot, "err", err)
		}
	}

	lctx, cancel := context.WithTimeout(ctx, o.startTimeout)
	rev, err := s.reload(lctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !fromSnapshot {
			return nil, fmt.Errorf("config: %s: etcd unreachable and no snapshot to start from: %w", service, err)
		}
		s.log.Warn("config: etcd unreachable, starting from the last-known-good snapshot", "path", o.snapshot, "err", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	s.stop = stop
	go s.run(runCtx, rev)
	return s, nil
}

// Get returns the global settings.
func (s *Settings[T]) Get() T { return s.cur.Load().global }

// For returns the settings for tenant: its own override if it has one, else its nearest
// ancestor's, else the global settings.
func (s *Settings[T]) For(tenant tenancy.ID) T { return s.cur.Load().resolve(tenant) }

// Changed returns a channel closed at the next accepted change.
func (s *Settings[T]) Changed() <-chan struct{} { return s.cur.Load().changed }

// Synced reports whether the settings have been read from etcd in this process (false
// while running on the snapshot).
func (s *Settings[T]) Synced() bool { return s.synced.Load() }

// LastRejection returns the most recently refused value.
func (s *Settings[T]) LastRejection() (Rejection, bool) {
	r := s.last.Load()
	if r == nil {
		return Rejection{}, false
	}
	return *r, true
}

// Close stops watching and waits for the watcher to end. Get and For keep answering
// with the last values.
func (s *Settings[T]) Close() {
	s.stopOnce.Do(s.stop)
	<-s.done
}

// run keeps the settings current: a watch from rev (or, at 0, a reload first); any gap
// in the watch (compaction, error, lost leader) means a full reload.
func (s *Settings[T]) run(ctx context.Context, rev int64) {
	defer close(s.done)
	etcdwatch.Watch{Client: s.client, Prefix: s.prefix, Name: "config " + s.service, Log: s.log,
		Apply: s.apply, Reload: s.reload}.Follow(ctx, rev)
}

// apply takes the changes of one watch response, one key at a time, so one bad value
// does not hold back the others.
func (s *Settings[T]) apply(events []*clientv3.Event) {
	cur := s.cur.Load()
	next := cur
	var rejections []Rejection
	for _, ev := range events {
		key := strings.TrimPrefix(string(ev.Kv.Key), s.prefix)
		l := next.layers.with(key, ev.Kv.Value, ev.Type == clientv3.EventTypeDelete)
		st, err := s.build(l)
		if err != nil {
			rejections = append(rejections, Rejection{Key: s.prefix + key, Revision: ev.Kv.ModRevision, Err: err})
			continue
		}
		next = st
	}
	s.reject(rejections)
	if next != cur {
		s.publish(cur, next)
	}
}

// reload reads every key of the service and reconciles it with the current state.
func (s *Settings[T]) reload(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	desired := make(layers, len(resp.Kvs))
	revs := make(map[string]int64, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		key := strings.TrimPrefix(string(kv.Key), s.prefix)
		desired[key], revs[key] = kv.Value, kv.ModRevision
	}
	cur := s.cur.Load()
	next, rejections := s.reconcile(cur, desired, revs)
	s.reject(rejections)
	first := !s.synced.Swap(true)
	if !next.layers.equal(cur.layers) {
		s.publish(cur, next)
	} else if first {
		s.save(next.layers)
	}
	return resp.Header.Revision, nil
}

// reconcile moves from cur towards desired: all at once if that is valid, otherwise key
// by key (removals, then the global value, then tenants from the top of the tree down),
// refusing each key whose new value would make any effective value invalid.
func (s *Settings[T]) reconcile(cur *state[T], desired layers, revs map[string]int64) (*state[T], []Rejection) {
	if st, err := s.build(desired); err == nil {
		return st, nil
	}
	var keys []string
	for k := range cur.layers {
		if _, ok := desired[k]; !ok {
			keys = append(keys, k)
		}
	}
	for k, v := range desired {
		if old, ok := cur.layers[k]; !ok || !bytes.Equal(old, v) {
			keys = append(keys, k)
		}
	}
	rank := func(k string) int {
		switch _, kept := desired[k]; {
		case !kept:
			return 0
		case k == globalName:
			return 1
		}
		return 2 + strings.Count(k, ".")
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	next := cur
	var rejections []Rejection
	for _, k := range keys {
		v, keep := desired[k]
		st, err := s.build(next.layers.with(k, v, !keep))
		if err != nil {
			rejections = append(rejections, Rejection{Key: s.prefix + k, Revision: revs[k], Err: err})
			continue
		}
		next = st
	}
	return next, rejections
}

// build decodes and validates every effective value of l.
func (s *Settings[T]) build(l layers) (*state[T], error) {
	st := &state[T]{layers: l, tenants: make(map[tenancy.ID]T), changed: make(chan struct{})}
	global, hasGlobal := l[globalName]
	var base []json.RawMessage // present layers only: an empty value is a bad value, not none
	if hasGlobal {
		base = append(base, global)
	}
	var err error
	if st.global, err = s.decode(base...); err != nil {
		return nil, err
	}
	if err := st.global.Validate(); err != nil {
		return nil, fmt.Errorf("invalid global settings: %w", err)
	}
	for key := range l {
		if key == globalName {
			continue
		}
		name, ok := strings.CutPrefix(key, tenantsDir)
		if !ok {
			return nil, fmt.Errorf("unknown key %q (want %q or %q<tenant>)", key, globalName, tenantsDir)
		}
		id, err := tenancy.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		chain := append([]json.RawMessage(nil), base...)
		for _, a := range id.Ancestors() {
			if raw, ok := l[tenantsDir+string(a)]; ok {
				chain = append(chain, raw)
			}
		}
		v, err := s.decode(append(chain, l[key])...)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", id, err)
		}
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("invalid settings for tenant %s: %w", id, err)
		}
		st.tenants[id] = v
	}
	return st, nil
}

// decode merges the defaults and layers (lowest first) into a fresh T. Unknown fields
// and trailing data are errors: a typo in a key must not be silently ignored.
func (s *Settings[T]) decode(layers ...json.RawMessage) (T, error) {
	var v T
	for _, raw := range append([]json.RawMessage{s.defaults}, layers...) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return v, fmt.Errorf("decode: %w", err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return v, errors.New("decode: data after the JSON value")
		}
	}
	return v, nil
}

// publish makes next current, wakes waiters, saves the snapshot and calls OnChange.
func (s *Settings[T]) publish(cur, next *state[T]) {
	s.cur.Store(next)
	close(cur.changed)
	s.save(next.layers)
	for _, f := range s.opts.onChange {
		f()
	}
}

func (s *Settings[T]) save(l layers) {
	if s.opts.snapshot == "" {
		return
	}
	if err := writeSnapshot(s.opts.snapshot, s.service, l); err != nil {
		s.log.Error("config: cannot save the last-known-good snapshot", "path", s.opts.snapshot, "err", err)
	}
}

func (s *Settings[T]) reject(rs []Rejection) {
	for _, r := range rs {
		r.At = time.Now()
		s.log.Error("config: value rejected, keeping the previous one", "key", r.Key, "revision", r.Revision, "err", r.Err)
		s.rejected.Add(context.Background(), 1, metric.WithAttributes(attribute.String("service", s.service)))
		s.last.Store(&r)
	}
}

// with returns a copy of l with key set to v, or removed.
func (l layers) with(key string, v []byte, remove bool) layers {
	c := make(layers, len(l)+1)
	for k, raw := range l {
		c[k] = raw
	}
	if remove {
		delete(c, key)
	} else {
		c[key] = v
	}
	return c
}

func (l layers) equal(o layers) bool {
	if len(l) != len(o) {
		return false
	}
	for k, v := range l {
		w, ok := o[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}
