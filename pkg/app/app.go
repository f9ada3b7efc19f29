package app

import (
	"context"
	"log/slog"
	"net"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Env is what a service is given to run: its listeners and the shared infrastructure.
type Env struct {
	GRPC, HTTP net.Listener // the service's own listeners
	Etcd       *clientv3.Client
	// DataDir is where an embedded SQLite database may live; "" means the service must
	// use SQLDSN.
	DataDir string
	// SQLDSN, when set, overrides DataDir (PostgreSQL in production).
	SQLDSN string
	MinIO  MinIOConfig
	// Peers are the other services' gRPC addresses by service name.
	Peers map[string]string
	// Logger is the process's logger; the service adds its own name (kit.New does).
	Logger *slog.Logger
}

// Service is one Gaoxing service as its main and the launcher see it. Run serves on
// env's listeners until ctx ends and returns nil after a clean shutdown; the HTTP
// listener answers /healthz, /readyz and the service's API under /api/<Name>/.
type Service interface {
	Name() string
	Run(ctx context.Context, env Env) error
}
