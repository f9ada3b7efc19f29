// Package apptest runs one service in-process for its tests, the way the launcher runs
// it: real embedded etcd, a test token issuer, loopback listeners, the default roles and
// tenant tree seeded, and a gRPC connection to it; peers it calls beside it (StartPeer);
// and the calls tests make: HTTP with a bearer token, stable codes read from HTTP and
// gRPC errors.
// Every service's test harness starts from here.
package apptest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// Service is a service under test: it closes Ready once it serves.
type Service interface {
	app.Service
	Ready() <-chan struct{}
}

// Env is the environment one service runs in during a test. Fill in what the service
// needs beyond the defaults (MinIO, settings in etcd) before Start.
type Env struct {
	app.Env
	EtcdServer *testenv.Etcd
	Issuer     *authntest.Issuer
	// Enforcer is a second replica's view of the policy, seeded with the default roles.
	Enforcer *authz.Enforcer
	// URL is the service's HTTP base, e.g. "http://127.0.0.1:41234".
	URL string
	// Conn is a gRPC connection to the service.
	Conn *grpc.ClientConn
}

// New prepares the environment; dsn "" means SQLite in a temporary directory.
func New(t testing.TB, dsn string) *Env {
	t.Helper()
	etcd := testenv.StartEtcd(t)
	issuer := authntest.New(t)
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	enf, err := authz.New(context.Background(), etcd.Client(), authz.DefaultPrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = enf.Close() })
	_, err = enf.Seed(context.Background(), authz.DefaultRoles())
	require.NoError(t, err)
	// The zone's tenant tree, as identity seeds it: the chain refuses tenants it lacks.
	tree, err := tenancy.OpenTree(context.Background(), etcd.Client(), tenancy.DefaultTreePrefix)
	require.NoError(t, err)
	_, err = tree.Seed(context.Background(), tenancy.DefaultTree())
	require.NoError(t, tree.Close())
	require.NoError(t, err)
	conn, err := kit.Dial(grpcLis.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &Env{
		Env: app.Env{
			GRPC: grpcLis, HTTP: httpLis, Etcd: etcd.Client(), DataDir: t.TempDir(), SQLDSN: dsn,
			Auth: app.AuthConfig{Issuer: issuer.URL(), JWKSURL: issuer.JWKSURL(), Audience: issuer.Audience()},
		},
		EtcdServer: etcd, Issuer: issuer, Enforcer: enf, Conn: conn,
		URL: "http://" + httpLis.Addr().String(),
	}
}

// StartPeer runs peer beside the service under test, as another service it calls: same
// etcd and token issuer, its own loopback listeners and data directory (setup, when not
// nil, adds what the peer needs, e.g. MinIO). It records the peer's gRPC address in
// e.Peers under peer.Name(), so start the service under test afterwards. The returned
// Env has the peer's URL and a connection to it.
func (e *Env) StartPeer(t testing.TB, peer Service, setup func(*app.Env)) *Env {
	t.Helper()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	conn, err := kit.Dial(grpcLis.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	p := &Env{
		Env:        app.Env{GRPC: grpcLis, HTTP: httpLis, Etcd: e.Etcd, DataDir: t.TempDir(), Auth: e.Auth},
		EtcdServer: e.EtcdServer, Issuer: e.Issuer, Enforcer: e.Enforcer, Conn: conn,
		URL: "http://" + httpLis.Addr().String(),
	}
	if setup != nil {
		setup(&p.Env)
	}
	p.Start(t, peer)
	if e.Peers == nil {
		e.Peers = map[string]string{}
	}
	e.Peers[peer.Name()] = grpcLis.Addr().String()
	return p
}

// Start runs svc until the test ends (then it must stop cleanly) and waits until it serves.
func (e *Env) Start(t testing.TB, svc Service) {
	t.Helper()
	done := e.Launch(t, svc)
	select {
	case <-svc.Ready():
	case err := <-done:
		t.Fatalf("service failed to start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("service did not start")
	}
}

// Launch runs svc until the test ends (then it must stop cleanly) without waiting for it
// to serve, for tests of what it does while it waits for its dependencies. The channel
// gets Run's error if Run returns before the test ends.
func (e *Env) Launch(t testing.TB, svc app.Service) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, e.Env) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("service did not stop")
		}
	})
	return done
}

// Grant gives sub role at tenant and returns a token for sub (home tenant tenant).
func (e *Env) Grant(t testing.TB, sub, role string, tenant tenancy.ID, kind authn.Kind) string {
	t.Helper()
	require.NoError(t, e.Enforcer.Grant(context.Background(), sub, role, tenant))
	e.syncPolicy(t)
	return e.Issuer.Token(authn.Principal{Subject: sub, Tenant: tenant, Kind: kind})
}

// GrantEnterprise gives an enterprise account sub role at tenant and returns a token for
// it carrying its enterprise's credit code (the org claim).
func (e *Env) GrantEnterprise(t testing.TB, sub, role string, tenant tenancy.ID, org string) string {
	t.Helper()
	require.NoError(t, e.Enforcer.Grant(context.Background(), sub, role, tenant))
	e.syncPolicy(t)
	return e.Issuer.Token(authn.Principal{Subject: sub, Tenant: tenant, Kind: authn.Enterprise, Org: org})
}

// GrantAgent gives sub the 帮代办 agent role at tenant and returns a token for it (a
// staff account) carrying the parties that mandated it (the acts_for claim).
func (e *Env) GrantAgent(t testing.TB, sub string, tenant tenancy.ID, mandates authn.Mandates) string {
	t.Helper()
	require.NoError(t, e.Enforcer.Grant(context.Background(), sub, "agent", tenant))
	e.syncPolicy(t)
	return e.Issuer.Token(authn.Principal{Subject: sub, Tenant: tenant, Kind: authn.Staff, ActsFor: mandates})
}

// syncPolicy waits until the services running in this process enforce the policy as it
// now is in etcd, so that a grant is in force before the test uses it (each service
// follows etcd through its own watch, which under load may be a moment behind).
func (e *Env) syncPolicy(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, e.Enforcer.Sync(ctx))
}
