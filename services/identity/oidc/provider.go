package oidc

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// versionTable keeps this package's migration history apart from the identity service's.
const versionTable = "oidc_db_version"

//go:embed migrations/*.sql
var migrationFS embed.FS

func migrations() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Defaults for zero Config durations.
const (
	DefaultAccessTTL      = 10 * time.Minute
	DefaultIDTokenTTL     = 10 * time.Minute
	DefaultRefreshTTL     = 8 * time.Hour      // a working day; each rotation starts it again
	DefaultRefreshMaxAge  = 7 * 24 * time.Hour // a sign-in's end, however often it is refreshed
	DefaultAuthRequestTTL = 10 * time.Minute
	DefaultKeyRotation    = 30 * 24 * time.Hour
	// DefaultKeyPublishAhead covers replicas' key caches and verifiers' refetch interval,
	// so a new key is in every JWKS copy before the first token names it.
	DefaultKeyPublishAhead = keyReload + authn.DefaultRefetchInterval + 10*time.Second
)

// Config configures the provider.
type Config struct {
	// Issuer is the provider's URL, the service's public base plus "/api/identity",
	// e.g. "https://gov.example.cn/api/identity". Tokens name it in iss.
	Issuer string
	// Token lifetimes; zero takes the defaults above. RefreshTTL is how long a refresh
	// token lasts unused; RefreshMaxAge is the absolute end of a sign-in, which no rotation
	// extends.
	AccessTTL, IDTokenTTL, RefreshTTL, RefreshMaxAge, AuthRequestTTL time.Duration
	// DeviceLifetime is how long a device's user code waits to be entered and approved;
	// DevicePollInterval how often the device is told to ask. Zero takes the defaults.
	DeviceLifetime, DevicePollInterval time.Duration
	// KeyRotation is how long one key signs before a new one is made (default
	// DefaultKeyRotation; negative never rotates by age).
	KeyRotation time.Duration
	// KeyPublishAhead is how long a new key is published before it signs (default
	// DefaultKeyPublishAhead; negative signs at once, for tests).
	KeyPublishAhead time.Duration
	// KeySealer seals the private signing keys in the database. Nil keeps them in clear,
	// which is for development only: the database then holds the power to mint tokens.
	KeySealer *sealed.Ring
	// Audit records sign-ins and revocations in the database given to New and chains
	// them; nil makes one nobody runs, so records are chained when read.
	Audit *audit.Sealer
	// Revocations is the revoked-token set the service already follows (its kit's); nil
	// makes the provider follow one of its own.
	Revocations *authn.Revocations
	// Insecure allows an http:// issuer on a loopback address, for development and tests.
	Insecure bool
	Logger   *slog.Logger
}

// Provider is the OpenID Provider (身份提供方): the op package's protocol handlers on our
// storage, keys and login page.
type Provider struct {
	cfg    Config
	op     *op.Provider
	store  *storage
	login  *loginPage
	prefix string // the issuer's path, stripped before the op router sees a request
}

// New prepares the provider's tables (in db, with their own migration history), loads or
// makes the signing key, and until ctx ends follows revocations in etcd. Pass the
// service's run context, and run Prune beside the service: it deletes expired rows.
func New(ctx context.Context, cfg Config, dir Directory, db *sqlstore.DB, etcd *clientv3.Client) (*Provider, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, versionTable, migrations()); err != nil {
		return nil, err
	}
	if err := audit.Migrate(ctx, db); err != nil { // sign-ins and revocations are audited
		return nil, err
	}
	var err error
	revoked := cfg.Revocations
	if revoked == nil {
		if revoked, err = authn.WatchRevocations(ctx, etcd); err != nil {
			return nil, err
		}
	}
	issuerURL, _ := url.Parse(cfg.Issuer)
	p := &Provider{cfg: cfg, prefix: strings.TrimSuffix(issuerURL.Path, "/")}
	if cfg.Audit == nil {
		cfg.Audit = audit.NewSealer(db, cfg.Logger)
	}
	p.store = &storage{
		cfg: cfg, dir: dir, db: db, audit: cfg.Audit, etcd: etcd, revoked: revoked, log: cfg.Logger, now: time.Now,
		loginURL: func(id string) string { return cfg.Issuer + "/login?id=" + url.QueryEscape(id) },
	}
	retention := max(cfg.AccessTTL, cfg.IDTokenTTL) + authn.DefaultSkew + time.Minute
	p.store.keys = &keyRing{db: db, now: time.Now, rotation: max(cfg.KeyRotation, 0), ahead: max(cfg.KeyPublishAhead, 0), retention: retention, sealer: cfg.KeySealer}
	if _, err := p.store.keys.current(ctx); err != nil {
		return nil, err
	}
	if err := p.store.prune(ctx); err != nil {
		return nil, err
	}

	opCfg := &op.Config{
		DefaultLogoutRedirectURI: cfg.Issuer + "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeOfflineAccess},
		SupportedClaims:          append(append([]string(nil), op.DefaultSupportedClaims...), authn.ClaimTenant, authn.ClaimKind, authn.ClaimScope),
		// The command line's sign-in: the person enters the user code on our page.
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime: cfg.DeviceLifetime, PollInterval: cfg.DevicePollInterval,
			UserFormPath: p.prefix + "/device", UserCode: op.UserCodeBase20,
		},
	}
	// The key encrypts opaque access tokens, which we never issue; random per process.
	_, _ = rand.Read(opCfg.CryptoKey[:])
	// Authenticated encryption only. The default also "decrypts" with unauthenticated
	// AES-CFB for old data, which turns any string into garbage; revoking a refresh token
	// sent with the access_token hint then reached RevokeToken with a garbage id and
	// subject whenever the garbage held one ':' (about one time in twelve) and failed.
	opts := []op.Option{op.WithCrypto(op.NewAES256GCMCrypto(opCfg.CryptoKey, "k1"))}
	if cfg.Insecure {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(opCfg, p.store, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	p.login = &loginPage{store: p.store, dir: dir, issuer: cfg.Issuer, log: cfg.Logger}
	return p, nil
}

func (c *Config) defaults() error {
	u, err := url.Parse(c.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("oidc: issuer %q is not an absolute URL", c.Issuer)
	}
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && c.Insecure && isLoopback(u.Hostname()):
	case u.Scheme == "http" && c.Insecure:
		return fmt.Errorf("oidc: an http issuer is allowed on loopback addresses only, not %q", u.Host)
	default:
		return fmt.Errorf("oidc: issuer %q must use https", c.Issuer)
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&c.AccessTTL, DefaultAccessTTL}, {&c.IDTokenTTL, DefaultIDTokenTTL}, {&c.RefreshTTL, DefaultRefreshTTL}, {&c.RefreshMaxAge, DefaultRefreshMaxAge},
		{&c.AuthRequestTTL, DefaultAuthRequestTTL}, {&c.KeyRotation, DefaultKeyRotation}, {&c.KeyPublishAhead, DefaultKeyPublishAhead},
		{&c.DeviceLifetime, DefaultDeviceLifetime}, {&c.DevicePollInterval, DefaultDevicePollInterval},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.AccessTTL < 0 || c.IDTokenTTL < 0 || c.RefreshTTL < 0 || c.RefreshMaxAge < 0 || c.AuthRequestTTL < 0 || c.DeviceLifetime < 0 || c.DevicePollInterval < time.Second {
		return errors.New("oidc: token lifetimes must be positive")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Logger = c.Logger.With("component", "oidc")
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Paths the provider answers, relative to the issuer (and so to /api/identity/).
var opPaths = []string{
	"/.well-known/openid-configuration",
	"/authorize",
	"/authorize/callback",
	"/oauth/token",
	"/oauth/introspect",
	"/device_authorization",
	"/userinfo",
	"/revoke",
	"/end_session",
	"/keys",
}

// Routes returns the provider's HTTP routes as patterns relative to the issuer, for
// kit.Service.HandleHTTP: each pattern is one path, and its handler expects the full
// path (issuer path included), as kit's mux passes it.
func (p *Provider) Routes() map[string]http.Handler {
	routes := make(map[string]http.Handler, len(opPaths)+3)
	h := http.StripPrefix(p.prefix, p.op)
	for _, path := range opPaths {
		routes[path] = h
	}
	routes["GET /login"] = http.HandlerFunc(p.login.show)
	routes["POST /login"] = http.HandlerFunc(p.login.submit)
	routes["GET /logged-out"] = http.HandlerFunc(p.login.loggedOut)
	routes["POST /password"] = http.HandlerFunc(p.login.choosePassword)
	routes["GET /device"] = http.HandlerFunc(p.login.showDevice)
	routes["POST /device"] = http.HandlerFunc(p.login.submitDevice)
	routes["POST /device/approve"] = http.HandlerFunc(p.login.approveDevice)
	return routes
}

// pruneInterval is how often expired rows are deleted; every replica does it, harmlessly.
const pruneInterval = 10 * time.Minute

// Prune deletes expired rows every ten minutes until ctx ends, then returns nil. The
// service runs it as one of its loops, on every replica.
func (p *Provider) Prune(ctx context.Context) error {
	p.pruneEvery(ctx, pruneInterval)
	return nil
}

func (p *Provider) pruneEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.store.prune(ctx); err != nil && ctx.Err() == nil {
				p.cfg.Logger.Warn("pruning expired tokens", "err", err)
			}
		}
	}
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// JWKSURL is where the provider publishes its keys.
func (p *Provider) JWKSURL() string { return p.cfg.Issuer + "/keys" }

// RotateKey makes a new signing key. It is published at once and signs after the
// configured delay; older keys stay published until the tokens they signed expire.
func (p *Provider) RotateKey(ctx context.Context) (string, error) {
	return p.store.keys.rotate(ctx)
}

// EndSessions ends every sign-in of the person subject (a password change or reset):
// refresh tokens are refused from now on, and every access token issued to them is
// published as revoked, so every service refuses it within a watch round trip.
func (p *Provider) EndSessions(ctx context.Context, subject, reason string) error {
	return p.store.endSessions(ctx, subject, reason)
}

// Revocations is the provider's own view of revoked tokens (it refuses them at userinfo
// and introspection); services use authn.WatchRevocations for theirs.
func (p *Provider) Revocations() *authn.Revocations { return p.store.revoked }
