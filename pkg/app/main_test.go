package app

import (
	"bytes"
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
)

// envService records the Env it was given and serves /healthz until stopped.
type envService struct {
	got chan Env
}

func (envService) Name() string { return "probe" }

func (s envService) Run(ctx context.Context, env Env) error {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })}
	go func() { _ = srv.Serve(env.HTTP) }()
	s.got <- env
	<-ctx.Done()
	_ = env.GRPC.Close()
	return srv.Close()
}

func TestMainWiresFlagsAndEnvironmentAndStopsOnSignal(t *testing.T) {
	etcd, err := infra.StartEtcd(t.Context(), infra.EtcdConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(etcd.Close)
	t.Setenv("GAOXING_SQL_DSN", "postgres://db.example/probe")
	t.Setenv("GAOXING_SQL_MAX_CONNS", "4")

	svc := envService{got: make(chan Env, 1)}
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- Main(svc, []string{
			"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
			"--etcd-endpoints", etcd.Endpoint, "--peers", "documents=127.0.0.1:9091",
			"--issuer", "http://127.0.0.1:8080/api/identity",
		}, &stderr)
	}()
	var env Env
	select {
	case env = <-svc.got:
	case c := <-code:
		t.Fatalf("Main returned %d: %s", c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("service never ran")
	}
	require.Equal(t, "postgres://db.example/probe", env.SQL("probe"), "environment fills flags")
	require.Equal(t, 4, env.SQLMaxConns)
	require.Equal(t, map[string]string{"documents": "127.0.0.1:9091"}, env.Peers)
	require.Equal(t, "http://127.0.0.1:8080/api/identity/keys", env.Auth.Keys())
	require.Equal(t, DefaultAudience, env.Auth.Audience)
	_, err = env.Etcd.Put(t.Context(), "/probe", "ok", clientv3.WithPrevKV())
	require.NoError(t, err, "the etcd client works")
	resp, err := http.Get("http://" + env.HTTP.Addr().String() + "/healthz")
	require.NoError(t, err)
	_ = resp.Body.Close()

	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case c := <-code:
		require.Equal(t, 0, c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("Main did not stop on SIGTERM")
	}
}

func TestMainRefusesBadFlags(t *testing.T) {
	var stderr bytes.Buffer
	require.Equal(t, 1, Main(envService{}, []string{"--peers", "nonsense"}, &stderr))
	require.Contains(t, stderr.String(), "name=host:port")
}
