package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

type hours struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

// ticketSettings stands in for a service's dynamic settings.
type ticketSettings struct {
	Greeting    string            `json:"greeting"`
	MaxUploadMB int               `json:"max_upload_mb"`
	OfficeHours hours             `json:"office_hours"`
	Labels      map[string]string `json:"labels,omitempty"`
}

func (s ticketSettings) Validate() error {
	if s.MaxUploadMB < 1 || s.MaxUploadMB > 1024 {
		return fmt.Errorf("max_upload_mb %d not in 1..1024", s.MaxUploadMB)
	}
	if s.OfficeHours.Open >= s.OfficeHours.Close {
		return fmt.Errorf("office hours %s-%s: open must come before close", s.OfficeHours.Open, s.OfficeHours.Close)
	}
	return nil
}

var defaults = ticketSettings{Greeting: "您好", MaxUploadMB: 10, OfficeHours: hours{"09:00", "17:00"}}

const svc = "tickets"

var (
	globalKey = GlobalKey(svc)
	s01Key    = TenantKey(svc, "ahz.s01")
	c07Key    = TenantKey(svc, "ahz.s01.c07")
)

// logs collects what the settings log, for assertions, and echoes it to the test output.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
	out io.Writer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.out.Write(p)
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func start(t *testing.T, c *clientv3.Client, opts ...Option) (*Settings[ticketSettings], *logs) {
	t.Helper()
	l := &logs{out: t.Output()}
	opts = append([]Option{WithLogger(slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})))}, opts...)
	s, err := Watch(t.Context(), c, svc, defaults, opts...)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s, l
}

// etcdClient returns a client of e closed before e stops: a client that is still open
// holds the server's graceful stop for its whole request timeout.
func etcdClient(t *testing.T, e *testenv.Etcd) *clientv3.Client {
	c := e.Client()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// put writes key, retrying while etcd comes back, and returns the write's revision.
func put(t *testing.T, c *clientv3.Client, key, value string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		resp, err := c.Put(ctx, key, value)
		if err == nil {
			return resp.Header.Revision
		}
		if ctx.Err() != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
}

func del(t *testing.T, c *clientv3.Client, key string) {
	t.Helper()
	_, err := c.Delete(t.Context(), key)
	require.NoError(t, err)
}

func TestWatchValidChange(t *testing.T) {
	c := etcdClient(t, testenv.StartEtcd(t))
	changes := make(chan struct{}, 10)
	s, _ := start(t, c, OnChange(func() { changes <- struct{}{} }))
	require.Equal(t, defaults, s.Get(), "no keys: the defaults")
	require.True(t, s.Synced())

	changed := s.Changed()
	put(t, c, globalKey, `{"greeting": "欢迎光临", "office_hours": {"close": "18:00"}}`)
	require.Eventually(t, func() bool { return s.Get().Greeting == "欢迎光临" }, time.Second, 5*time.Millisecond,
		"a valid change is visible within 1 s")
	want := ticketSettings{Greeting: "欢迎光临", MaxUploadMB: 10, OfficeHours: hours{"09:00", "18:00"}}
	require.Equal(t, want, s.Get(), "objects merge field by field over the defaults")
	select {
	case <-changed:
	default:
		t.Fatal("Changed() not closed by the change")
	}
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("OnChange not called")
	}

	del(t, c, globalKey)
	require.Eventually(t, func() bool { return s.Get().Greeting == defaults.Greeting }, time.Second, 5*time.Millisecond)
	require.Equal(t, defaults, s.Get())
}

func TestStartsWithStoredValues(t *testing.T) {
	c := etcdClient(t, testenv.StartEtcd(t))
	put(t, c, globalKey, `{"max_upload_mb": 64}`)
	put(t, c, s01Key, `{"greeting": "街道中心欢迎您"}`)
	s, _ := start(t, c)
	require.Equal(t, 64, s.Get().MaxUploadMB)
	require.Equal(t, "街道中心欢迎您", s.For("ahz.s01.c02").Greeting)
	require.Equal(t, 64, s.For("ahz.s01.c02").MaxUploadMB)
}

func TestInvalidValueRejected(t *testing.T) {
	c := etcdClient(t, testenv.StartEtcd(t))
	s, logged := start(t, c)
	put(t, c, globalKey, `{"greeting": "好"}`)
	require.Eventually(t, func() bool { return s.Get().Greeting == "好" }, time.Second, 5*time.Millisecond)
	good := s.Get()

	for _, tc := range []struct {
		name, value, reason string
	}{
		{"broken JSON", `{"greeting": "坏`, "decode"},
		{"unknown field", `{"greting": "typo"}`, "unknown field"},
		{"wrong type", `{"max_upload_mb": "lots"}`, "decode"},
		{"fails Validate", `{"max_upload_mb": 0}`, "max_upload_mb 0"},
		{"fails Validate after merge", `{"office_hours": {"open": "18:00"}}`, "open must come before close"},
		{"trailing data", `{"greeting": "a"} {"greeting": "b"}`, "after the JSON value"},
		{"not an object", `["greeting"]`, "decode"},
		{"empty", ``, "decode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rev := put(t, c, globalKey, tc.value)
			require.Eventually(t, func() bool {
				r, ok := s.LastRejection()
				return ok && r.Revision == rev
			}, 5*time.Second, 5*time.Millisecond)
			r, _ := s.LastRejection()
			require.Equal(t, globalKey, r.Key)
			require.ErrorContains(t, r.Err, tc.reason)
			require.Equal(t, good, s.Get(), "the old value stays")
			require.Contains(t, logged.String(), "key="+globalKey)
		})
	}

	put(t, c, globalKey, `{"greeting": "又好了"}`)
	require.Eventually(t, func() bool { return s.Get().Greeting == "又好了" }, time.Second, 5*time.Millisecond,
		"a valid value after rejected ones is taken")
}

func TestTenantOverrides(t *testing.T) {
	c := etcdClient(t, testenv.StartEtcd(t))
	s, _ := start(t, c)
	put(t, c, globalKey, `{"max_upload_mb": 20, "labels": {"hall": "区政务服务中心"}}`)
	put(t, c, s01Key, `{"greeting": "街道", "labels": {"window": "综合窗口"}}`)
	put(t, c, c07Key, `{"office_hours": {"open": "08:30"}}`)
	require.Eventually(t, func() bool { return s.For("ahz.s01.c07").OfficeHours.Open == "08:30" }, time.Second, 5*time.Millisecond)

	global := ticketSettings{Greeting: "您好", MaxUploadMB: 20, OfficeHours: hours{"09:00", "17:00"}, Labels: map[string]string{"hall": "区政务服务中心"}}
	street := global
	street.Greeting = "街道"
	street.Labels = map[string]string{"hall": "区政务服务中心", "window": "综合窗口"}
	community := street
	community.OfficeHours = hours{"08:30", "17:00"}
	for _, tc := range []struct {
		tenant tenancy.ID
		want   ticketSettings
	}{
		{"ahz", global},
		{"ahz.s02", global},
		{"ahz.s02.c01", global},
		{"ahz.s01", street},
		{"ahz.s01.c03", street}, // inherits its street's override
		{"ahz.s01.c07", community},
		{"ahz.s010", global}, // a segment boundary, not a string prefix
	} {
		require.Equal(t, tc.want, s.For(tc.tenant), tc.tenant)
	}
	require.Equal(t, global, s.Get())

	t.Run("override that fails after merging is rejected", func(t *testing.T) {
		rev := put(t, c, c07Key, `{"office_hours": {"open": "17:30"}}`)
		waitRejected(t, s, c07Key, rev)
		require.Equal(t, community, s.For("ahz.s01.c07"))
	})
	t.Run("global change that breaks a tenant is rejected", func(t *testing.T) {
		put(t, c, s01Key, `{"greeting": "街道", "labels": {"window": "综合窗口"}, "office_hours": {"close": "12:00"}}`)
		require.Eventually(t, func() bool { return s.For("ahz.s01").OfficeHours.Close == "12:00" }, time.Second, 5*time.Millisecond)
		rev := put(t, c, globalKey, `{"max_upload_mb": 20, "office_hours": {"open": "13:00"}}`)
		waitRejected(t, s, globalKey, rev)
		require.Equal(t, "09:00", s.Get().OfficeHours.Open)
	})
	t.Run("bad tenant key is rejected", func(t *testing.T) {
		for _, key := range []string{Prefix(svc) + "tenants/AHZ", Prefix(svc) + "tenants/ahz/s01", Prefix(svc) + "other"} {
			rev := put(t, c, key, `{"greeting": "x"}`)
			waitRejected(t, s, key, rev)
		}
		require.Equal(t, global, s.For("ahz"))
	})
	t.Run("removing the street override", func(t *testing.T) {
		del(t, c, s01Key)
		require.Eventually(t, func() bool { return s.For("ahz.s01.c03").Greeting == "您好" }, time.Second, 5*time.Millisecond)
		require.Equal(t, global, s.For("ahz.s01.c03"))
		c07 := global
		c07.OfficeHours.Open = "08:30"
		require.Equal(t, c07, s.For("ahz.s01.c07"), "the community keeps its own override")
	})
}

func waitRejected(t *testing.T, s *Settings[ticketSettings], key string, rev int64) {
	t.Helper()
	require.Eventually(t, func() bool {
		r, ok := s.LastRejection()
		return ok && r.Key == key && r.Revision == rev
	}, 5*time.Second, 5*time.Millisecond, "rejection of %s@%d", key, rev)
}

// TestRestartWithEtcdDown: a service restarted during an etcd outage starts promptly
// with its last accepted settings, and picks up changes once etcd is back.
func TestRestartWithEtcdDown(t *testing.T) {
	e := testenv.StartEtcd(t)
	c := etcdClient(t, e)
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "tickets-config.json")

	put(t, c, globalKey, `{"greeting": "v1"}`)
	put(t, c, s01Key, `{"max_upload_mb": 50}`)
	first, _ := start(t, c, WithSnapshot(path))
	put(t, c, globalKey, `{"greeting": "v2"}`)
	require.Eventually(t, func() bool { return first.Get().Greeting == "v2" }, time.Second, 5*time.Millisecond)
	first.Close() // the snapshot of v2 is on disk once the watcher has ended

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary files left behind")

	e.Stop()
	began := time.Now()
	second, _ := start(t, etcdClient(t, e), WithSnapshot(path), WithStartTimeout(500*time.Millisecond))
	require.Less(t, time.Since(began), 5*time.Second, "Watch returns promptly without etcd")
	require.False(t, second.Synced())
	require.Equal(t, "v2", second.Get().Greeting)
	require.Equal(t, 50, second.For("ahz.s01.c04").MaxUploadMB)

	e.Restart()
	put(t, c, globalKey, `{"greeting": "v3"}`)
	require.Eventually(t, func() bool { return second.Get().Greeting == "v3" }, 30*time.Second, 10*time.Millisecond,
		"changes flow once etcd is back")
	require.True(t, second.Synced())
	require.Equal(t, 50, second.For("ahz.s01.c04").MaxUploadMB)
}

func TestNoSnapshotAndEtcdDown(t *testing.T) {
	e := testenv.StartEtcd(t)
	e.Stop()
	began := time.Now()
	_, err := Watch(t.Context(), etcdClient(t, e), svc, defaults,
		WithSnapshot(filepath.Join(t.TempDir(), "none.json")), WithStartTimeout(300*time.Millisecond))
	require.ErrorContains(t, err, "no snapshot")
	require.Less(t, time.Since(began), 5*time.Second)
}

// TestBadValueWhileStopped: a bad value written while the service was down does not
// replace the last good one at the next start.
func TestBadValueWhileStopped(t *testing.T) {
	c := etcdClient(t, testenv.StartEtcd(t))
	path := filepath.Join(t.TempDir(), "tickets.json")
	put(t, c, globalKey, `{"greeting": "good", "max_upload_mb": 30}`)
	first, _ := start(t, c, WithSnapshot(path))
	require.Equal(t, 30, first.Get().MaxUploadMB)
	first.Close()

	rev := put(t, c, globalKey, `{"greeting": "bad", "max_upload_mb": 4096}`)
	second, _ := start(t, c, WithSnapshot(path))
	require.Equal(t, "good", second.Get().Greeting)
	require.Equal(t, 30, second.Get().MaxUploadMB)
	r, ok := second.LastRejection()
	require.True(t, ok)
	require.Equal(t, globalKey, r.Key)
	require.Equal(t, rev, r.Revision)
}

func TestSurvivesEtcdRestart(t *testing.T) {
	e := testenv.StartEtcd(t)
	c := etcdClient(t, e)
	s, _ := start(t, c)
	e.Restart()
	put(t, c, globalKey, `{"greeting": "after restart"}`)
	require.Eventually(t, func() bool { return s.Get().Greeting == "after restart" }, 30*time.Second, 10*time.Millisecond)
}

// TestWatchGap cuts the watcher's connection, changes and compacts the keyspace while it
// is away, and checks it recovers by a full reload (deletions included).
func TestWatchGap(t *testing.T) {
	e := testenv.StartEtcd(t)
	direct := etcdClient(t, e)
	p := startProxy(t, strings.TrimPrefix(e.Endpoint, "http://"))
	viaProxy, err := clientv3.New(clientv3.Config{Endpoints: []string{"http://" + p.addr()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = viaProxy.Close() })

	put(t, direct, globalKey, `{"greeting": "v1"}`)
	put(t, direct, s01Key, `{"max_upload_mb": 20}`)
	s, logged := start(t, viaProxy)
	require.Equal(t, "v1", s.Get().Greeting)
	require.Equal(t, 20, s.For("ahz.s01").MaxUploadMB)

	p.cut()
	put(t, direct, globalKey, `{"greeting": "v2"}`)
	del(t, direct, s01Key)
	put(t, direct, globalKey, `{"greeting": "v3"}`)
	bad := put(t, direct, c07Key, `{"max_upload_mb": 0}`)
	e.Compact(t.Context())
	p.restore()

	require.Eventually(t, func() bool {
		return s.Get().Greeting == "v3" && s.For("ahz.s01").MaxUploadMB == 10
	}, 30*time.Second, 10*time.Millisecond)
	require.Contains(t, logged.String(), "watch gap")
	waitRejected(t, s, c07Key, bad)
	require.Equal(t, 10, s.For("ahz.s01.c07").MaxUploadMB, "the bad override missed during the gap is refused on reload")
}

// proxy is a TCP relay whose connections the test can cut, as a network partition would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
	})
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = in.Close()
			continue
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		relay := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
		}
		go relay(in, out)
		go relay(out, in)
	}
}

// cut drops every connection and refuses new ones until restore.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

type notAStruct map[string]int

func (notAStruct) Validate() error { return nil }

type neverValid struct{ N int }

func (neverValid) Validate() error { return errors.New("never valid") }

func TestWatchRefusesBadSetup(t *testing.T) {
	c := etcdClient(t, testenv.StartEtcd(t))
	_, err := Watch(t.Context(), c, svc, notAStruct{})
	require.ErrorContains(t, err, "want a struct")
	_, err = Watch(t.Context(), c, svc, neverValid{})
	require.ErrorContains(t, err, "never valid")
	_, err = Watch(t.Context(), c, "Tickets/x", defaults)
	require.ErrorContains(t, err, "bad service name")
}
