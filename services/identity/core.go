package identity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"runtime"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/services/identity/oidc"
)

// Options tune a Core; the zero value takes the defaults.
type Options struct {
	Argon2   Argon2Params // DefaultArgon2
	Throttle Throttle     // DefaultThrottle
	// TokenLifetime is the longest access token lifetime the provider issues (default
	// oidc.DefaultAccessTTL): revocation markers are kept that long.
	TokenLifetime time.Duration
	Now           func() time.Time // time.Now
	Logger        *slog.Logger     // slog.Default()
	TreePrefix    string           // tenancy.DefaultTreePrefix
	// Audit records the core's audit in db and chains it; nil makes one nobody runs, so
	// records are chained when read (audit.List, audit.Verify).
	Audit *audit.Sealer
}

// Core is the identity service's logic over its stores: SQL for accounts and clients,
// etcd for the tenant tree (through Tree) and the grants (through Enforcer). It implements
// Directory.
type Core struct {
	db       *sqlstore.DB
	audit    *audit.Sealer
	etcd     *clientv3.Client
	tree     *tenancy.Tree
	enforcer *authz.Enforcer
	ring     *sealed.Ring
	opts     Options
	titles   map[string]string // role name → title, for the console
	// endSessions ends a person's sign-ins at the OpenID Provider, when one is mounted.
	endSessions func(ctx context.Context, subject, reason string) error
	// argonSlots bounds concurrent password checks to the cores there are: more would
	// only add memory (MemoryKiB each) and latency, not throughput.
	argonSlots chan struct{}
}

var _ Directory = (*Core)(nil)

// NewCore builds the logic; db must have identity's and audit's migrations applied.
func NewCore(db *sqlstore.DB, etcd *clientv3.Client, tree *tenancy.Tree, enforcer *authz.Enforcer, ring *sealed.Ring, opts Options) *Core {
	if opts.Argon2 == (Argon2Params{}) {
		opts.Argon2 = DefaultArgon2
	}
	if opts.Throttle == (Throttle{}) {
		opts.Throttle = DefaultThrottle
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = oidc.DefaultAccessTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.TreePrefix == "" {
		opts.TreePrefix = tenancy.DefaultTreePrefix
	}
	if opts.Audit == nil {
		opts.Audit = audit.NewSealer(db, opts.Logger)
	}
	titles := map[string]string{}
	for _, r := range authz.DefaultRoles() {
		titles[r.Name] = r.Title
	}
	return &Core{db: db, audit: opts.Audit, etcd: etcd, tree: tree, enforcer: enforcer, ring: ring, opts: opts, titles: titles,
		argonSlots: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

func (c *Core) now() time.Time { return c.opts.Now().UTC().Truncate(time.Microsecond) }

// caller is the authenticated principal, or UNAUTHENTICATED.
func caller(ctx context.Context) (authn.Principal, error) {
	p, ok := authn.FromContext(ctx)
	if !ok || p.Subject == "" {
		return authn.Principal{}, authz.ErrUnauthenticated
	}
	return p, nil
}

// newID makes an id: prefix and 16 random hex digits. The '-' keeps it from ever looking
// like a role name (authz.IsRole).
func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// parseTenantName parses "tenants/{tenant}" (field names the request field).
func parseTenantName(field, name string) (tenancy.ID, error) {
	if id, ok := resname.SplitTenant(name); ok {
		return id, nil
	}
	return "", errs.Invalid(field, "INVALID_TENANT_NAME", field+" 应为 tenants/{tenant}")
}

// parseChildName parses "tenants/{tenant}/{collection}/{id}".
func parseChildName(field, name, collection string) (tenancy.ID, string, error) {
	return resname.Parse(field, name, collection, childID)
}

// childID is the form of the ids identity makes (newID) and of role names.
var childID = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
