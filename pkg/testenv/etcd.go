package testenv

import (
	"context"
	"net/url"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Etcd is an embedded single-member etcd server owned by one test.
type Etcd struct {
	t       testing.TB
	dir     string
	server  *embed.Etcd
	clients []*clientv3.Client
	// Endpoint is the client URL, e.g. "http://127.0.0.1:40123".
	Endpoint string
}

// StartEtcd starts an embedded etcd in a temporary directory; it is stopped, with every
// client made by Client, when the test ends.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	short(t)
	e := &Etcd{t: t, dir: t.TempDir()}
	t.Cleanup(e.Stop)
	e.start("http://127.0.0.1:0")
	return e
}

func (e *Etcd) start(clientURL string) {
	e.t.Helper()
	cfg := embed.NewConfig()
	cfg.Dir = e.dir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cu, _ := url.Parse(clientURL)
	pu, _ := url.Parse("http://127.0.0.1:0")
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		e.t.Fatalf("testenv: start etcd: %v", err)
	}
	select {
	case <-srv.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		srv.Close()
		e.t.Fatal("testenv: etcd not ready after 30s")
	}
	e.server = srv
	e.Endpoint = "http://" + srv.Clients[0].Addr().String()
}

// Client returns a new client of this etcd, closed when the test ends.
func (e *Etcd) Client() *clientv3.Client {
	e.t.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{e.Endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		e.t.Fatalf("testenv: etcd client: %v", err)
	}
	e.clients = append(e.clients, c)
	return c
}

// Stop stops the server (clients stay open and reconnect after Restart).
func (e *Etcd) Stop() {
	if e.server != nil {
		e.server.Close()
		e.server = nil
	}
}

// Restart starts the server again on the same address with the same data, for tests of
// what clients do across an outage.
func (e *Etcd) Restart() {
	e.t.Helper()
	e.Stop()
	e.start(e.Endpoint)
}

// Compact compacts the keyspace up to the current revision, so watchers that are behind
// must recover by a full reload.
func (e *Etcd) Compact(ctx context.Context) {
	e.t.Helper()
	c := e.Client()
	resp, err := c.Get(ctx, "\x00")
	if err != nil {
		e.t.Fatalf("testenv: etcd revision: %v", err)
	}
	if _, err := c.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		e.t.Fatalf("testenv: etcd compact: %v", err)
	}
}

// EtcdClient is StartEtcd(t).Client() for tests that need nothing else.
func EtcdClient(t testing.TB) *clientv3.Client {
	t.Helper()
	return StartEtcd(t).Client()
}
