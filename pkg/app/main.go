package app

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// Main is the whole main of a service's own binary (one per Kubernetes Deployment):
//
//	func main() { os.Exit(app.Main(tickets.New(), os.Args[1:], os.Stderr)) }
//
// It reads the bootstrap settings from flags or GAOXING_* variables, sets up telemetry,
// connects to etcd, listens, and runs svc until SIGINT or SIGTERM. It returns the exit code.
func Main(svc Service, args []string, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runMain(ctx, svc, args, stderr); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", svc.Name(), err)
		return 1
	}
	return 0
}

func runMain(ctx context.Context, svc Service, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet(svc.Name(), flag.ContinueOnError)
	fs.SetOutput(stderr)
	grpcAddr := fs.String("grpc-addr", ":9090", "gRPC listen `address`")
	httpAddr := fs.String("http-addr", ":8080", "HTTP listen `address` (API under /api/"+svc.Name()+"/, /healthz, /readyz, /metrics)")
	etcd := config.Etcd{Endpoints: config.List{"http://127.0.0.1:2379"}}
	fs.Var(&etcd.Endpoints, "etcd-endpoints", "etcd client `URLs`, comma-separated (https:// with TLS)")
	etcd.RegisterTLS(fs, false)
	var env Env
	fs.StringVar(&env.DataDir, "data-dir", "./data", "`directory` for the embedded SQLite database and snapshots")
	fs.StringVar(&env.SQLDSN, "sql-dsn", "", "database `DSN` (postgres://… in production; empty: SQLite in --data-dir)")
	fs.IntVar(&env.SQLMaxConns, "sql-max-conns", 0, "most PostgreSQL `connections` this process opens (0: 10)")
	fs.StringVar(&env.MinIO.Endpoint, "minio-endpoint", "", "MinIO `host:port`")
	fs.StringVar(&env.MinIO.AccessKey, "minio-access-key", "", "MinIO access `key`")
	fs.StringVar(&env.MinIO.SecretKey, "minio-secret-key", "", "MinIO secret `key`")
	fs.BoolVar(&env.MinIO.UseSSL, "minio-ssl", false, "talk to MinIO over TLS")
	fs.StringVar(&env.MinIO.Bucket, "minio-bucket", "", "MinIO `bucket` (empty: the service's default)")
	fs.StringVar(&env.MinIO.PublicURL, "minio-public-url", "", "`URL` browsers reach MinIO at, for presigned URLs (empty: --minio-endpoint)")
	fs.StringVar(&env.MinIO.Region, "minio-region", "", "MinIO `region` (empty: us-east-1)")
	peers := config.List{}
	fs.Var(&peers, "peers", "other services' gRPC addresses as `name=host:port`, comma-separated")
	fs.StringVar(&env.Auth.Issuer, "issuer", "", "OpenID issuer `URL` of the identity service")
	fs.StringVar(&env.Auth.JWKSURL, "jwks-url", "", "JWKS `URL` (default: the issuer's /keys)")
	fs.StringVar(&env.Auth.Audience, "audience", DefaultAudience, "token `audience` this service accepts")
	webhooks := fs.String("webhooks-dir", "", "`directory` of webhook receivers: <receiver>.url and <receiver>.secret files")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	var serving config.TLS
	fs.StringVar(&serving.CertFile, "tls-cert-file", "", "PEM certificate `file`: serve HTTP and gRPC over TLS (peers dial tls://host:port)")
	fs.StringVar(&serving.KeyFile, "tls-key-file", "", "PEM `file` of the serving certificate's key")
	fs.Var(&env.Migrate, "migrate", "`when` to apply database migrations: auto (at start), only (apply and exit: a migration job), never (the role has no DDL rights; wait for the schema)")
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if *webhooks != "" {
		eps, err := outbox.LoadEndpoints(*webhooks)
		if err != nil {
			return fmt.Errorf("--webhooks-dir: %w", err)
		}
		env.Webhooks = eps
	}
	env.Peers = map[string]string{}
	for _, p := range peers {
		name, addr, ok := strings.Cut(p, "=")
		if !ok {
			return fmt.Errorf("--peers: %q is not name=host:port", p)
		}
		env.Peers[name] = addr
	}

	tel, err := telemetry.Setup(ctx, telemetry.Options{Service: svc.Name(), LogLevel: level, LogWriter: os.Stdout})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	env.Logger = tel.Logger()

	// etcd calls are spans of the call that makes them.
	env.Etcd, err = etcd.Client(telemetry.GRPCClientOptions()...)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer env.Etcd.Close()

	var grpcTLS, httpTLS *tls.Config
	if serving.CertFile != "" || serving.KeyFile != "" {
		if grpcTLS, httpTLS, err = serverTLS(serving); err != nil {
			return err
		}
	}
	if env.GRPC, err = listen(*grpcAddr, grpcTLS); err != nil {
		return err
	}
	if env.HTTP, err = listen(*httpAddr, httpTLS); err != nil {
		_ = env.GRPC.Close()
		return err
	}
	return svc.Run(ctx, env)
}

// serverTLS is the TLS of the two listeners: the same certificate, and each its own
// protocol (ALPN): gRPC speaks h2, the HTTP listener http/1.1.
func serverTLS(files config.TLS) (grpcTLS, httpTLS *tls.Config, err error) {
	if files.CertFile == "" || files.KeyFile == "" {
		return nil, nil, errors.New("--tls-cert-file and --tls-key-file go together")
	}
	cert, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("serving certificate: %w", err)
	}
	base := tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	grpcTLS, httpTLS = base.Clone(), base.Clone()
	grpcTLS.NextProtos, httpTLS.NextProtos = []string{"h2"}, []string{"http/1.1"}
	return grpcTLS, httpTLS, nil
}

func listen(addr string, cfg *tls.Config) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil || cfg == nil {
		return l, err
	}
	return tls.NewListener(l, cfg), nil
}
