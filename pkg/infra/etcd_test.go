package infra_test

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
)

func TestEtcdDataSurvivesRestartOnFixedPort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real etcd")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := infra.EtcdConfig{Dir: t.TempDir(), LogFile: filepath.Join(t.TempDir(), "etcd.log")}

	e, err := infra.StartEtcd(ctx, cfg)
	require.NoError(t, err)
	c, err := e.Client()
	require.NoError(t, err)
	require.NoError(t, e.Ready(ctx, c))
	_, err = c.Put(ctx, "/gaoxing/test", "kept")
	require.NoError(t, err)
	require.NoError(t, c.Close())
	e.Close()

	// The second start pins the port the first one chose, as `gaoxing up --etcd-addr` does.
	_, port, err := net.SplitHostPort(e.Endpoint[len("http://"):])
	require.NoError(t, err)
	cfg.ClientAddr = "127.0.0.1:" + port
	e2, err := infra.StartEtcd(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(e2.Close)
	require.Equal(t, e.Endpoint, e2.Endpoint)
	c2, err := e2.Client()
	require.NoError(t, err)
	t.Cleanup(func() { _ = c2.Close() })
	resp, err := c2.Get(ctx, "/gaoxing/test")
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	require.Equal(t, "kept", string(resp.Kvs[0].Value))
}

func TestEtcdPortInUseIsAnError(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real etcd")
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = busy.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = infra.StartEtcd(ctx, infra.EtcdConfig{Dir: t.TempDir(), ClientAddr: busy.Addr().String()})
	require.ErrorContains(t, err, "address already in use")
}
