package app_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// specService is a service binary's main around one app.Spec, as every service is.
type specService struct{ spec app.Spec }

func (s specService) Name() string { return s.spec.Name }

func (s specService) Run(ctx context.Context, env app.Env) error { return app.Run(ctx, env, s.spec) }

// freeAddr is a loopback address nothing listens on (Main listens itself).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestMainOverTLSWithAuth is the production shape of a service's connections: etcd
// serves clients over TLS, requires a client certificate signed by the zone's CA and has
// role-based auth enabled; PostgreSQL accepts TLS only and the DSN says verify-full.
// A service configured the way the chart configures it (GAOXING_* variables naming the
// mounted files) migrates its database, follows etcd and becomes ready; the same etcd
// refuses a client without a certificate and a certificate whose user has no role,
// and PostgreSQL refuses plaintext.
func TestMainOverTLSWithAuth(t *testing.T) {
	ca := testenv.NewCA(t)
	server := ca.Server("gaoxing-etcd")
	root := ca.Client("root")
	etcd := testenv.StartEtcdTLS(t, transport.TLSInfo{
		CertFile: server.CertFile, KeyFile: server.KeyFile, TrustedCAFile: ca.CertFile, ClientCertAuth: true,
	}, ca.ClientTLS(&root))
	enableEtcdAuth(t, etcd.Client())

	pgServer := ca.Server("gaoxing-postgresql")
	dsn := testenv.PostgresTLS(t, testenv.PostgresTLSFiles{CertFile: pgServer.CertFile, KeyFile: pgServer.KeyFile, CAFile: ca.CertFile})
	plain, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	plain.TLSConfig, plain.Fallbacks = nil, nil
	_, err = pgx.ConnectConfig(t.Context(), plain)
	require.Error(t, err, "PostgreSQL accepts TLS connections only")

	// What the chart mounts and sets: the CA bundle, the service's client certificate
	// (CN "tickets", an etcd user), or a user and password file.
	svc := ca.Client("tickets")
	issuer := authntest.New(t)
	httpAddr := freeAddr(t)
	for k, v := range map[string]string{
		"GAOXING_ETCD_ENDPOINTS": etcd.Endpoint,
		"GAOXING_ETCD_CA_FILE":   ca.CertFile,
		"GAOXING_ETCD_CERT_FILE": svc.CertFile,
		"GAOXING_ETCD_KEY_FILE":  svc.KeyFile,
		"GAOXING_SQL_DSN":        dsn,
		"GAOXING_HTTP_ADDR":      httpAddr,
		"GAOXING_GRPC_ADDR":      freeAddr(t),
		"GAOXING_ISSUER":         issuer.URL(),
		"GAOXING_JWKS_URL":       issuer.JWKSURL(),
		"GAOXING_DATA_DIR":       t.TempDir(),
	} {
		t.Setenv(k, v)
	}
	spec := app.Spec{Name: "probe", Migrations: probeMigrations, Audit: true, Ready: &app.Readiness{},
		Build: func(context.Context, *app.Deps) error { return nil }}
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() { code <- app.Main(specService{spec}, nil, &stderr) }()
	select {
	case <-spec.Ready.Ready():
	case c := <-code:
		t.Fatalf("the service stopped with %d: %s", c, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("the service never became ready: %s", stderr.String())
	}
	status, body := apptest.Get(t, "http://"+httpAddr+"/readyz", "")
	require.Equal(t, http.StatusOK, status, string(body))
	db, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	var tables int
	require.NoError(t, db.QueryRow(t.Context(), "SELECT count(*) FROM information_schema.tables WHERE table_name = 'probe'").Scan(&tables))
	require.Equal(t, 1, tables, "migrated over TLS")
	require.NoError(t, db.Close(t.Context()))
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case c := <-code:
		require.Equal(t, 0, c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not stop on SIGTERM")
	}

	// The same settings, one at a time wrong or right, through config.Etcd (what the
	// services and the admin CLI both dial with).
	nobody := ca.Client("nobody")
	password := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(password, []byte("s3cret-hook\n"), 0o600))
	for _, c := range []struct {
		name string
		conn config.Etcd
		ok   bool
	}{
		{"service certificate", config.Etcd{TLS: config.TLS{CAFile: ca.CertFile, CertFile: svc.CertFile, KeyFile: svc.KeyFile}}, true},
		{"no client certificate", config.Etcd{TLS: config.TLS{CAFile: ca.CertFile}}, false},
		{"a certificate whose user has no role", config.Etcd{TLS: config.TLS{CAFile: ca.CertFile, CertFile: nobody.CertFile, KeyFile: nobody.KeyFile}}, false},
		{"password of a user with the role", config.Etcd{TLS: config.TLS{CAFile: ca.CertFile, CertFile: nobody.CertFile, KeyFile: nobody.KeyFile},
			Username: "hook", PasswordFile: password}, true},
		{"another CA's server", config.Etcd{TLS: config.TLS{CAFile: testenv.NewCA(t).CertFile, CertFile: svc.CertFile, KeyFile: svc.KeyFile}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := c.conn
			conn.Endpoints = config.List{etcd.Endpoint}
			client, err := conn.Client()
			if err != nil {
				require.False(t, c.ok, "%v", err)
				return
			}
			t.Cleanup(func() { _ = client.Close() })
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err = client.Put(ctx, "/gaoxing/probe", "ok")
			if c.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
	_, err = (config.Etcd{Endpoints: config.List{"http://127.0.0.1:2379"}, TLS: config.TLS{CAFile: ca.CertFile}}).Client()
	require.ErrorContains(t, err, "not https://", "TLS files with a plain endpoint are refused, not ignored")
}

// enableEtcdAuth turns on etcd's role-based auth: root (the test's certificate), a
// "gaoxing" role over the whole keyspace held by the service user "tickets" (certificate
// only) and "hook" (password), and "nobody", a user without a role.
func enableEtcdAuth(t *testing.T, c *clientv3.Client) {
	t.Helper()
	ctx := t.Context()
	noPassword := &clientv3.UserAddOptions{NoPassword: true}
	for _, u := range []string{"root", "tickets", "nobody"} {
		_, err := c.UserAddWithOptions(ctx, u, "", noPassword)
		require.NoError(t, err)
	}
	_, err := c.UserAdd(ctx, "hook", "s3cret-hook")
	require.NoError(t, err)
	_, err = c.RoleAdd(ctx, "root")
	require.NoError(t, err)
	_, err = c.UserGrantRole(ctx, "root", "root")
	require.NoError(t, err)
	_, err = c.RoleAdd(ctx, "gaoxing")
	require.NoError(t, err)
	_, err = c.RoleGrantPermission(ctx, "gaoxing", "\x00", "\x00", clientv3.PermissionType(clientv3.PermReadWrite))
	require.NoError(t, err)
	for _, u := range []string{"tickets", "hook"} {
		_, err = c.UserGrantRole(ctx, u, "gaoxing")
		require.NoError(t, err)
	}
	_, err = c.AuthEnable(ctx)
	require.NoError(t, err)
}

// TestMainServesTLS: with a serving certificate (--tls-cert-file, as the chart mounts
// it) both listeners speak TLS only: HTTPS and gRPC answer a client that trusts the
// zone's CA, plaintext gets nothing, and kit.Dial's tls:// target verifies the peer's
// certificate (here against the system roots, which do not hold the test's CA).
func TestMainServesTLS(t *testing.T) {
	ca := testenv.NewCA(t)
	cert := ca.Server("probe")
	etcd := testenv.StartEtcd(t)
	issuer := authntest.New(t)
	httpAddr, grpcAddr := freeAddr(t), freeAddr(t)
	spec := app.Spec{Name: "probe", Migrations: probeMigrations, Ready: &app.Readiness{},
		Build: func(context.Context, *app.Deps) error { return nil }}
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- app.Main(specService{spec}, []string{
			"--http-addr", httpAddr, "--grpc-addr", grpcAddr, "--etcd-endpoints", etcd.Endpoint,
			"--data-dir", t.TempDir(), "--issuer", issuer.URL(), "--jwks-url", issuer.JWKSURL(),
			"--tls-cert-file", cert.CertFile, "--tls-key-file", cert.KeyFile,
		}, &stderr)
	}()
	select {
	case <-spec.Ready.Ready():
	case c := <-code:
		t.Fatalf("the service stopped with %d: %s", c, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("the service never became ready: %s", stderr.String())
	}

	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientTLS(nil)}, Timeout: 5 * time.Second}
	resp, err := trusting.Get("https://" + httpAddr + "/readyz")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_ = resp.Body.Close()
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + httpAddr + "/readyz"); err == nil {
		_ = resp.Body.Close()
		require.NotEqual(t, http.StatusOK, resp.StatusCode, "plaintext is not served")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := kit.Dial(grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(ca.ClientTLS(nil))))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	status, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, status.GetStatus())

	untrusted, err := kit.Dial("tls://" + grpcAddr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = untrusted.Close() })
	_, err = healthpb.NewHealthClient(untrusted).Check(ctx, &healthpb.HealthCheckRequest{})
	require.ErrorContains(t, err, "certificate", "tls:// verifies the peer")
	insecurePeer, err := kit.Dial(grpcAddr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = insecurePeer.Close() })
	_, err = healthpb.NewHealthClient(insecurePeer).Check(ctx, &healthpb.HealthCheckRequest{})
	require.Error(t, err, "a plaintext client gets nothing")

	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case c := <-code:
		require.Equal(t, 0, c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not stop on SIGTERM")
	}
}
