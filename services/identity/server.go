package identity

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	identityv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/identity/v1"
	"github.com/gaoxing-gov/gaoxing/services/identity/oidc"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Name is the service's name: its SQL database, its routes under /api/identity/.
const Name = "identity"

// ProviderDeps is what the OpenID Provider is built from.
type ProviderDeps struct {
	Issuer    string // env.Auth.Issuer
	Directory Directory
	DB        *sqlstore.DB
	Audit     *audit.Sealer // records audit in DB and chains it
	// Revocations is the revoked-token set the service's kit follows.
	Revocations *authn.Revocations
	Etcd        *clientv3.Client
	Ring        *sealed.Ring // the service's sealing keys, for the provider's signing keys at rest
	Logger      *slog.Logger
	// Go declares the provider's background loops, run with the service.
	Go func(...app.Loop)
}

// ProviderFunc builds the OpenID Provider and returns its HTTP routes, patterns relative
// to /api/identity/ as kit.Service.HandleHTTP takes them.
type ProviderFunc func(ctx context.Context, deps ProviderDeps) (map[string]http.Handler, error)

// Server is the identity service as app.Service.
type Server struct {
	// Ring seals citizens' ID numbers. Nil reads sealed.FromEnv; when those variables are
	// unset and the database is SQLite in a data directory (development), a key file is
	// made there once.
	Ring *sealed.Ring
	// Options tune the logic (argon2id parameters, lockout).
	Options Options
	// Provider mounts the OpenID Provider; nil serves the API without one.
	Provider ProviderFunc
	// AdminPassword is the bootstrap administrator's password; "" reads EnvAdminPassword,
	// and if that is empty too a random one is printed once.
	AdminPassword string
	// ConsoleRedirectURIs and ConsoleLogoutURIs are the console client's exact redirect and
	// post-logout URIs; nil reads EnvConsoleRedirectURIs and EnvConsoleLogoutURIs, and if
	// those are unset too they follow from the issuer (FirstPartyClients).
	ConsoleRedirectURIs, ConsoleLogoutURIs []string
	// MachineClients are confidential clients kept registered, with their secrets and
	// roles, from configuration (EnsureMachineClients): the launcher's mock court.
	MachineClients []ConfiguredMachineClient

	onReady func(*Core) // tests: the logic, once serving
}

// New returns the identity service with its OpenID Provider (package oidc).
func New() *Server { return &Server{Provider: OIDCProvider(oidc.Config{})} }

// Name implements app.Service.
func (s *Server) Name() string { return Name }

// Run implements app.Service: it migrates, seeds the default tenant tree and roles once,
// bootstraps the administrator on first start, and serves until ctx ends.
func (s *Server) Run(ctx context.Context, env app.Env) error {
	return app.Run(ctx, env, app.Spec{Name: Name, Migrations: migrationFiles, Audit: true,
		Build: s.build})
}

func (s *Server) build(ctx context.Context, d *app.Deps) error {
	log := d.Log.With("service", Name)
	ring, err := d.Sealing(s.Ring)
	if err != nil {
		return err
	}
	k := d.Kit
	tree := k.Tree // the chain's own copy of the tree, which identity owns and seeds
	if _, err := tree.Seed(ctx, tenancy.DefaultTree()); err != nil {
		return fmt.Errorf("identity: seeding the tenant tree: %w", err)
	}
	if _, err := k.Enforcer.Seed(ctx, authz.DefaultRoles()); err != nil {
		return fmt.Errorf("identity: seeding the roles: %w", err)
	}
	opts := s.Options
	opts.Logger, opts.Audit = log, d.Audit
	core := NewCore(d.DB, d.Env.Etcd, tree, k.Enforcer, ring, opts)
	password := s.AdminPassword
	if password == "" {
		password = adminPasswordFromEnv()
	}
	redirect, logout := s.ConsoleRedirectURIs, s.ConsoleLogoutURIs
	if redirect == nil {
		redirect = envList(EnvConsoleRedirectURIs)
	}
	if logout == nil {
		logout = envList(EnvConsoleLogoutURIs)
	}
	clients := FirstPartyClients(d.Env.Auth.Issuer, redirect, logout)
	changed, err := core.EnsureClients(ctx, clients)
	if err != nil {
		return fmt.Errorf("identity: registering the platform's clients: %w", err)
	}
	console := ""
	for _, c := range clients {
		if c.ID == ConsoleClientID {
			console = c.LogoutURIs[0]
		}
		if slices.Contains(changed, c.ID) {
			log.Info("bootstrap: client registered from configuration", "client_id", c.ID, "redirect_uris", c.RedirectURIs, "logout_uris", c.LogoutURIs)
		}
	}
	changed, err = core.EnsureMachineClients(ctx, s.MachineClients)
	if err != nil {
		return fmt.Errorf("identity: registering the configured machine clients: %w", err)
	}
	for _, id := range changed {
		log.Info("bootstrap: machine client registered from configuration", "client_id", id)
	}
	if _, err := core.Bootstrap(ctx, password, console, log); err != nil {
		return fmt.Errorf("identity: bootstrap: %w", err)
	}

	if err := kit.Register(ctx, k.Service, api{c: core, API: audit.API{DB: d.DB}}, identityv1.IdentityService_ServiceDesc.ServiceName,
		identityv1.NewIdentityServiceClient, identityv1.RegisterIdentityServiceHandlerClient); err != nil {
		return err
	}
	if s.Provider != nil {
		routes, err := s.Provider(ctx, ProviderDeps{Issuer: d.Env.Auth.Issuer, Directory: core, DB: d.DB, Audit: d.Audit,
			Etcd: d.Env.Etcd, Ring: ring, Logger: log, Go: d.Go, Revocations: k.Revocations})
		if err != nil {
			return fmt.Errorf("identity: OpenID Provider: %w", err)
		}
		for pattern, h := range routes {
			k.HandleHTTP(pattern, h)
		}
	}
	if s.onReady != nil {
		d.OnServing(func() { s.onReady(core) })
	}
	return nil
}
