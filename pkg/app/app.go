package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/objstore"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
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
	// SQLMaxConns caps this process's PostgreSQL pool (0: sqlstore's default, 10); the
	// chart sizes PostgreSQL's max_connections from it and the replicas.
	SQLMaxConns int
	MinIO       objstore.Config
	// Peers are the other services' gRPC addresses by service name.
	Peers map[string]string
	// Logger is the process's logger; the service adds its own name (kit.New does).
	Logger *slog.Logger
	// Auth is where bearer tokens come from (the identity service's OpenID Provider).
	Auth AuthConfig
	// Webhooks are the receivers events are delivered to (outbox.LoadEndpoints); nil
	// means events queue in the outbox until a replica that has them runs.
	Webhooks outbox.Endpoints
	// Migrate says who changes the database's schema: the service at start (MigrateAuto,
	// the default), a migration run and nothing else (MigrateOnly), or someone else
	// (MigrateNever: the service's role has no DDL rights and waits for the schema).
	Migrate MigrateMode
}

// MigrateMode is when a service applies its migrations (--migrate).
type MigrateMode string

// The modes.
const (
	MigrateAuto  MigrateMode = ""      // apply at start (one process, SQLite, development)
	MigrateOnly  MigrateMode = "only"  // apply, then stop: the chart's migration Job
	MigrateNever MigrateMode = "never" // never apply; wait until the migration Job has
)

// Set parses a --migrate value.
func (m *MigrateMode) Set(s string) error {
	switch MigrateMode(s) {
	case "auto", MigrateAuto:
		*m = MigrateAuto
	case MigrateOnly, MigrateNever:
		*m = MigrateMode(s)
	default:
		return fmt.Errorf("--migrate: %q is not auto, only or never", s)
	}
	return nil
}

func (m *MigrateMode) String() string {
	if *m == MigrateAuto {
		return "auto"
	}
	return string(*m)
}

// AuthConfig tells a service how to verify bearer tokens offline.
type AuthConfig struct {
	Issuer   string // the issuer URL tokens carry, e.g. "http://127.0.0.1:8080/api/identity"
	JWKSURL  string // where the signing keys are published; "" means Issuer + "/keys"
	Audience string // the audience every Gaoxing service accepts ("gaoxing")
}

// DefaultAudience is the audience of access tokens for Gaoxing's APIs.
const DefaultAudience = "gaoxing"

// Keys is the JWKS URL: JWKSURL, or the issuer's /keys.
func (a AuthConfig) Keys() string {
	if a.JWKSURL != "" {
		return a.JWKSURL
	}
	return a.Issuer + "/keys"
}

// SQL is the DSN a service named name opens: SQLDSN, or a SQLite file in DataDir.
func (e Env) SQL(name string) string {
	if e.SQLDSN != "" {
		return e.SQLDSN
	}
	return "sqlite:" + filepath.Join(e.DataDir, name+".db")
}

// Service is one Gaoxing service as its main and the launcher see it. Run serves on
// env's listeners until ctx ends and returns nil after a clean shutdown; the HTTP
// listener answers /healthz, /readyz and the service's API under /api/<Name>/.
type Service interface {
	Name() string
	Run(ctx context.Context, env Env) error
}
