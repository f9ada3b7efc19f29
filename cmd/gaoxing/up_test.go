package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	"github.com/gaoxing-gov/gaoxing/services/console"
)

// whoami is a service built with the real kit, as registered services will be. It
// answers GET /api/<name>/v1/whoami with what its Env told it, writes a key to etcd at
// start, and its readiness can be switched off.
type whoami struct {
	name    string
	unready atomic.Bool
	failRun error // returned from Run right after start, to test a crashing service
}

func (s *whoami) Name() string { return s.name }

func (s *whoami) Run(ctx context.Context, env app.Env) error {
	if _, err := env.Etcd.Put(ctx, "/test/"+s.name+"/ran", env.DataDir); err != nil {
		return err
	}
	if s.failRun != nil {
		return s.failRun
	}
	svc := kit.New(s.name, kit.WithLogger(env.Logger))
	svc.Health().Add("switch", func(context.Context) error {
		if s.unready.Load() {
			return errors.New("switched off")
		}
		return nil
	})
	svc.HandleHTTP("GET /v1/whoami", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"name": s.name, "peers": env.Peers, "data_dir": env.DataDir,
			"minio": env.MinIO.Endpoint, "host": r.Host,
		})
	}))
	return svc.Serve(ctx, env.GRPC, env.HTTP)
}

// running is a launcher started by startLauncher.
type running struct {
	l    *launcher
	base string // http://host:port of the front port
	done chan error
	stop context.CancelFunc
}

func startLauncher(t *testing.T, dataDir string, services ...app.Service) *running {
	t.Helper()
	return startLauncherWith(t, upConfig{DataDir: dataDir}, nil, services...)
}

// startLauncherWith runs a launcher with cfg on loopback's free ports; tune, when set,
// adjusts it before it runs.
func startLauncherWith(t *testing.T, cfg upConfig, tune func(*launcher), services ...app.Service) *running {
	t.Helper()
	bin := testenv.Binary(t, "minio")
	t.Setenv(infra.BinDirEnv, filepath.Dir(bin))
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Addr, cfg.EtcdAddr, cfg.MinIOAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	l := newLauncher(cfg, services, io.Discard, slog.New(slog.NewTextHandler(testLog{t}, nil)))
	if tune != nil {
		tune(l)
	}
	r := &running{l: l, done: make(chan error, 1), stop: cancel}
	go func() { r.done <- l.run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done }) //nolint:errcheck // the tests that care check the run's result
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		r.base = "http://" + l.frontAddr
		return l.frontAddr != ""
	}, 30*time.Second, 10*time.Millisecond)
	return r
}

// shutdown stops the launcher as Ctrl-C does and returns run's result.
func (r *running) shutdown(t *testing.T) error {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(time.Minute):
		t.Fatal("launcher did not stop within a minute")
		return nil
	}
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	return resp.StatusCode
}

func waitReady(t *testing.T, base string) statusReport {
	t.Helper()
	var st statusReport
	require.Eventually(t, func() bool {
		st = statusReport{}
		return getJSON(t, base+"/api/status", &st) == http.StatusOK && st.Ready
	}, time.Minute, 50*time.Millisecond, "never ready: %+v", &st)
	return st
}

func byName(st statusReport) map[string]componentStatus {
	m := map[string]componentStatus{}
	for _, c := range st.Components {
		m[c.Name] = c
	}
	return m
}

func TestUpRunsServicesBehindOnePortAndKeepsData(t *testing.T) {
	dataDir := t.TempDir()
	alpha, beta := &whoami{name: "alpha"}, &whoami{name: "beta"}
	r := startLauncher(t, dataDir, alpha, beta)
	st := waitReady(t, r.base)

	require.EqualValues(t, 1, st.Starts)
	require.Equal(t, dataDir, st.DataDir)
	cs := byName(st)
	require.Len(t, cs, 4)
	for _, name := range []string{"etcd", "minio", "alpha", "beta"} {
		require.Equal(t, stateRunning, cs[name].State, name)
		require.True(t, cs[name].Ready, name)
	}
	require.Equal(t, kindInfra, cs["minio"].Kind)
	require.NotZero(t, cs["minio"].PID)
	require.Equal(t, "/api/alpha/", cs["alpha"].Route)

	// /api/<svc>/ reaches that service, path unchanged, with the Env the launcher built.
	var who struct {
		Name    string            `json:"name"`
		DataDir string            `json:"data_dir"`
		MinIO   string            `json:"minio"`
		Host    string            `json:"host"`
		Peers   map[string]string `json:"peers"`
	}
	require.Equal(t, http.StatusOK, getJSON(t, r.base+"/api/alpha/v1/whoami", &who))
	require.Equal(t, "alpha", who.Name)
	require.Equal(t, map[string]string{"beta": cs["beta"].Address}, who.Peers)
	require.Equal(t, filepath.Join(dataDir, "alpha"), who.DataDir)
	require.Equal(t, cs["minio"].Address, who.MinIO)
	require.Equal(t, strings.TrimPrefix(r.base, "http://"), who.Host, "the proxy keeps the Host header")
	require.DirExists(t, who.DataDir)

	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	require.Equal(t, http.StatusNotFound, getJSON(t, r.base+"/api/gamma/v1/whoami", &e))
	require.Equal(t, "SERVICE_NOT_FOUND", e.Error.Code)

	// A service's own readiness shows on the status page.
	alpha.unready.Store(true)
	var after statusReport
	getJSON(t, r.base+"/api/status", &after)
	require.False(t, after.Ready)
	require.False(t, byName(after)["alpha"].Ready)
	require.Contains(t, byName(after)["alpha"].Error, "503")
	alpha.unready.Store(false)

	minioPID := cs["minio"].PID
	require.NoError(t, r.shutdown(t))
	require.ErrorIs(t, syscall.Kill(minioPID, 0), syscall.ESRCH, "MinIO must not outlive the launcher")
	r.l.mu.Lock()
	for _, c := range r.l.components {
		require.Equal(t, stateStopped, c.state, c.name)
	}
	r.l.mu.Unlock()

	// The same data directory again: the counter and what services wrote are still there.
	r2 := startLauncher(t, dataDir, &whoami{name: "alpha"}, &whoami{name: "beta"})
	st2 := waitReady(t, r2.base)
	require.EqualValues(t, 2, st2.Starts)
	require.NoError(t, r2.shutdown(t))
}

func TestUpStopsEverythingWhenAServiceFails(t *testing.T) {
	boom := errors.New("boom")
	r := startLauncher(t, t.TempDir(), &whoami{name: "alpha"}, &whoami{name: "broken", failRun: boom})
	var err error
	select {
	case err = <-r.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("launcher kept running with a failed service")
	}
	r.done <- err
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "service broken")
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	for _, c := range r.l.components {
		want := stateStopped
		if c.name == "broken" {
			want = stateFailed
		}
		require.Equal(t, want, c.state, c.name)
		if c.name == "minio" {
			require.ErrorIs(t, syscall.Kill(c.pid, 0), syscall.ESRCH)
		}
	}
}

// The console owns the front port's pages; the status page and the APIs keep theirs.
func TestConsoleAtRoot(t *testing.T) {
	r := startLauncher(t, t.TempDir())
	waitReady(t, r.base)
	for _, path := range []string{"/", "/clerk/queue"} {
		resp, err := http.Get(r.base + path)
		require.NoError(t, err)
		_ = resp.Body.Close()
		// 503 with "console not built" when the binary was built before make web.
		require.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, resp.StatusCode)
		require.Equal(t, console.Policy, resp.Header.Get("Content-Security-Policy"), path)
		require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	}
	resp, err := http.Get(r.base + "/config.json")
	require.NoError(t, err)
	var cfg struct{ Issuer, ClientID string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&cfg))
	_ = resp.Body.Close()
	require.Equal(t, r.base+"/api/identity", cfg.Issuer)
	require.Equal(t, console.ClientID, cfg.ClientID)

	resp, err = http.Get(r.base + "/api/nope/v1/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
}

func TestStatusPageIsChineseHTML(t *testing.T) {
	r := startLauncher(t, t.TempDir())
	waitReady(t, r.base)
	resp, err := http.Get(r.base + "/status")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	page := string(body)
	for _, want := range []string{"高兴办 · 本机运行状态", "全部就绪", "etcd", "minio", "基础设施", "运行中", "第 1 次启动", "尚未注册业务服务"} {
		require.Contains(t, page, want)
	}
	require.NotContains(t, page, "http://cdn", "no external assets")
	require.NotContains(t, page, "<script src", "no external assets")

	resp, err = http.Get(r.base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	// Every other page is the console's; an API nobody serves is a JSON error.
	require.Equal(t, http.StatusNotFound, getJSON(t, r.base+"/api/nowhere/v1/x", &e))
	require.Equal(t, "SERVICE_NOT_FOUND", e.Error.Code)
}

func TestDataDirIsLockedAgainstASecondLauncher(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gaoxing.lock")
	release, err := lockDataDir(path)
	require.NoError(t, err)
	_, err = lockDataDir(path)
	require.ErrorContains(t, err, "in use by another gaoxing")
	release()
	again, err := lockDataDir(path)
	require.NoError(t, err)
	again()
}

func TestMinIOCredentialsAreMadeOnceAndPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "minio.json")
	first, err := loadOrCreateCredentials(path)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(first.AccessKey), 3)
	require.GreaterOrEqual(t, len(first.SecretKey), 8)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	second, err := loadOrCreateCredentials(path)
	require.NoError(t, err)
	require.Equal(t, first, second)

	require.NoError(t, os.WriteFile(path, []byte(`{"access_key":"ab","secret_key":"x"}`), 0o600))
	_, err = loadOrCreateCredentials(path)
	require.ErrorContains(t, err, "access_key needs")
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		stdout     string
		stderr     string
		notStarted bool
	}{
		{args: nil, code: 2, stderr: "usage: gaoxing"},
		{args: []string{"bogus"}, code: 2, stderr: `unknown command "bogus"`},
		{args: []string{"version"}, code: 0, stdout: "gaoxing "},
		{args: []string{"help"}, code: 0, stdout: "usage: gaoxing"},
		{args: []string{"up", "-h"}, code: 0, stderr: "-data directory"},
		{args: []string{"up", "--bogus"}, code: 2, stderr: "flag provided but not defined"},
		{args: []string{"up", "extra"}, code: 2, stderr: `unexpected arguments ["extra"]`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.args), func(t *testing.T) {
			var stdout, stderr strings.Builder
			require.Equal(t, tt.code, run(tt.args, &stdout, &stderr))
			require.Contains(t, stdout.String(), tt.stdout)
			require.Contains(t, stderr.String(), tt.stderr)
		})
	}
}

// testLog sends the launcher's log to the test log.
type testLog struct{ t *testing.T }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
