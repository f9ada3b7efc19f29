package app_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

var probeMigrations = fstest.MapFS{"migrations/00001_probe.sql": {Data: []byte(
	"-- +goose Up\nCREATE TABLE probe (id TEXT PRIMARY KEY);\n-- +goose Down\nDROP TABLE probe;\n")}}

// probeEnv is an environment for a probe service on loopback listeners.
func probeEnv(t *testing.T, etcd *testenv.Etcd) (app.Env, string) {
	t.Helper()
	issuer := authntest.New(t)
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return app.Env{GRPC: gl, HTTP: hl, Etcd: etcd.Client(), DataDir: t.TempDir(),
		Auth: app.AuthConfig{Issuer: issuer.URL(), JWKSURL: issuer.JWKSURL(), Audience: issuer.Audience()}}, "http://" + hl.Addr().String()
}

// runProbe runs spec until the returned stop is called; stop returns Run's error.
func runProbe(t *testing.T, env app.Env, spec app.Spec) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, env, spec) }()
	stopped := false
	stop = func() error {
		cancel()
		stopped = true
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return")
			return nil
		}
	}
	t.Cleanup(func() {
		if !stopped {
			require.NoError(t, stop())
		}
	})
	return stop
}

// TestRunStopsLoopsBeforeClosingTheDatabase: a loop still writing when the service is
// told to stop writes to an open database, and Run returns only after it has ended.
func TestRunStopsLoopsBeforeClosingTheDatabase(t *testing.T) {
	env, url := probeEnv(t, testenv.StartEtcd(t))
	started, finished := make(chan bool, 2), make(chan error, 2)
	spec := app.Spec{Name: "probe", Migrations: probeMigrations, Audit: true, Ready: &app.Readiness{},
		Build: func(_ context.Context, d *app.Deps) error {
			for _, leader := range []bool{false, true} {
				d.Go(app.Loop{Name: "probe-busy", Leader: leader, Run: func(ctx context.Context) error {
					started <- leader
					<-ctx.Done()
					// Busy to the end: the write happens after the stop was asked for.
					_, err := d.DB.Exec(context.Background(), `INSERT INTO probe (id) VALUES ($1)`, time.Now().String())
					finished <- err
					return err
				}})
			}
			return nil
		}}
	stop := runProbe(t, env, spec)
	select {
	case <-spec.Ready.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the probe did not start")
	}
	code, _ := apptest.Get(t, url+"/readyz", "")
	require.Equal(t, http.StatusOK, code)
	// Both loops run, the leader-elected one once the election is won.
	for range 2 {
		select {
		case <-started:
		case <-time.After(20 * time.Second):
			t.Fatal("a loop did not start")
		}
	}

	require.NoError(t, stop())
	require.Len(t, finished, 2, "Run returned only after both loops had ended")
	for range 2 {
		require.NoError(t, <-finished, "the loops wrote before the database closed")
	}
}

// TestRunWaitsForEtcd: a service started while etcd is down answers /healthz, says on
// /readyz that it waits for etcd, refuses API calls with 503 UNAVAILABLE, and serves as
// soon as etcd is up.
func TestRunWaitsForEtcd(t *testing.T) {
	etcd := testenv.StartEtcd(t)
	env, url := probeEnv(t, etcd)
	etcd.Stop()
	spec := app.Spec{Name: "probe", Migrations: probeMigrations, Ready: &app.Readiness{},
		Build: func(context.Context, *app.Deps) error { return nil }}
	runProbe(t, env, spec)

	var rep struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	require.Eventually(t, func() bool {
		code, body := apptest.Get(t, url+"/readyz", "")
		require.Equal(t, http.StatusServiceUnavailable, code)
		require.NoError(t, json.Unmarshal(body, &rep))
		return len(rep.Checks["etcd"]) > len("waiting: ")
	}, 20*time.Second, 20*time.Millisecond, "/readyz names etcd as awaited")
	require.False(t, rep.Ready)
	code, _ := apptest.Get(t, url+"/healthz", "")
	require.Equal(t, http.StatusOK, code, "alive while waiting")
	code, body := apptest.Get(t, url+"/api/probe/v1/anything", "")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "UNAVAILABLE", apptest.StableCode(body))

	etcd.Restart()
	select {
	case <-spec.Ready.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the probe did not become ready once etcd was up")
	}
	code, body = apptest.Get(t, url+"/readyz", "")
	require.Equal(t, http.StatusOK, code, string(body))
}
