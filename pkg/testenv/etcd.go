package testenv

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
)

// Etcd is an embedded single-member etcd server owned by one test.
type Etcd struct {
	t         testing.TB
	dir       string
	server    *infra.Etcd
	serverTLS transport.TLSInfo
	clientTLS *tls.Config // what Client dials with; nil for plain http
	clients   []*clientv3.Client
	// Endpoint is the client URL, e.g. "http://127.0.0.1:40123".
	Endpoint string
}

// StartEtcd starts an embedded etcd in a temporary directory; it is stopped, with every
// client made by Client, when the test ends.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	short(t)
	e := &Etcd{t: t, dir: t.TempDir()}
	t.Cleanup(func() {
		// Clients first: a server stopped under an open watch waits out its request timeout.
		for _, c := range e.clients {
			_ = c.Close()
		}
		e.Stop()
	})
	e.start("")
	return e
}

// StartEtcdTLS is StartEtcd serving clients over https with server's certificate;
// with server.ClientCertAuth every client must present a certificate its CA signed.
// Client dials with client (ca.ClientTLS: the CA, and a certificate for root when auth
// is to be enabled).
func StartEtcdTLS(t testing.TB, server transport.TLSInfo, client *tls.Config) *Etcd {
	t.Helper()
	short(t)
	e := &Etcd{t: t, dir: t.TempDir(), serverTLS: server, clientTLS: client}
	t.Cleanup(func() {
		for _, c := range e.clients {
			_ = c.Close()
		}
		e.Stop()
	})
	e.start("")
	return e
}

func (e *Etcd) start(clientAddr string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		srv, err := infra.StartEtcd(ctx, infra.EtcdConfig{Dir: e.dir, ClientAddr: clientAddr, ClientTLS: e.serverTLS})
		if err == nil {
			e.server = srv
			e.Endpoint = srv.Endpoint
			return
		}
		// A restart on the same port can race the old listener's close: try again briefly.
		if clientAddr == "" || !strings.Contains(err.Error(), "address already in use") || ctx.Err() != nil {
			e.t.Fatalf("testenv: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Client returns a new client of this etcd, closed when the test ends.
func (e *Etcd) Client() *clientv3.Client {
	e.t.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{e.Endpoint},
		DialTimeout: 5 * time.Second,
		TLS:         e.clientTLS,
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
	_, addr, _ := strings.Cut(e.Endpoint, "://")
	e.start(addr)
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
