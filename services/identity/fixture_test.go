package identity

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/clock"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	identityv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/identity/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testArgon2 keeps tests fast; the benchmark measures DefaultArgon2.
var testArgon2 = Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}

// strongPassword passes the policy for any test username.
const strongPassword = "Correct-Horse-42"

// fixture is the logic over real stores: embedded etcd, a SQL database, the default
// tenant tree and roles, and a platform administrator.
type fixture struct {
	core  *Core
	db    *sqlstore.DB
	etcd  *testenv.Etcd
	tree  *tenancy.Tree
	enf   *authz.Enforcer
	ring  *sealed.Ring
	clock *clock.Fake
	admin string // subject of a platform_admin at ahz
}

func newFixture(t testing.TB, dsn string, opts ...Options) *fixture {
	t.Helper()
	ctx := t.Context()
	e := testenv.StartEtcd(t)
	client := e.Client()
	migrations, err := fs.Sub(migrationFiles, "migrations")
	require.NoError(t, err)
	db, err := sqlstore.Open(ctx, dsn, migrations)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, audit.Migrate(ctx, db))
	tree, err := tenancy.OpenTree(ctx, client, tenancy.DefaultTreePrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tree.Close() })
	_, err = tree.Seed(ctx, tenancy.DefaultTree())
	require.NoError(t, err)
	enf, err := authz.New(ctx, client, authz.DefaultPrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = enf.Close() })
	_, err = enf.Seed(ctx, authz.DefaultRoles())
	require.NoError(t, err)
	ring, err := sealed.ParseRing("k1="+sealed.NewKeySecret(), sealed.NewKeySecret())
	require.NoError(t, err)
	clk := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	o := Options{Argon2: testArgon2, Now: clk.Now}
	if len(opts) > 0 {
		o = opts[0]
	}
	f := &fixture{db: db, etcd: e, tree: tree, enf: enf, ring: ring, clock: clk, core: NewCore(db, client, tree, enf, ring, o)}
	admin := f.user(t, f.sys(), "ahz", "root-admin")
	require.NoError(t, enf.Grant(ctx, admin.ID, PlatformAdmin, "ahz"))
	f.admin = admin.ID
	return f
}

// as is a context whose caller is sub.
func (f *fixture) as(t *testing.T, sub string) context.Context {
	return authn.NewContext(t.Context(), authn.Principal{Subject: sub, Kind: authn.Staff})
}

// sys is the context of set-up work, done by a system actor.
func (f *fixture) sys() context.Context {
	return authn.NewContext(context.Background(), authn.Principal{Subject: "system:test-setup"})
}

// user creates a staff account at tenant.
func (f *fixture) user(t testing.TB, ctx context.Context, tenant tenancy.ID, username string) User {
	t.Helper()
	u, err := f.core.CreateUser(ctx, NewUser{Tenant: tenant, Username: username, DisplayName: "测试" + username,
		Kind: authn.Staff, Password: strongPassword})
	require.NoError(t, err)
	return u
}

// counts is how many accounts, clients and audit records (chained or waiting to be)
// there are: "nothing changed" means these stay equal.
func (f *fixture) counts(t *testing.T) [3]int64 {
	t.Helper()
	var c [3]int64
	for i, query := range []string{
		`SELECT COUNT(*) FROM users`,
		`SELECT COUNT(*) FROM clients`,
		`SELECT (SELECT COUNT(*) FROM audit_records) + (SELECT COUNT(*) FROM audit_pending)`,
	} {
		require.NoError(t, f.db.QueryRow(t.Context(), query).Scan(&c[i]))
	}
	return c
}

// requireCode checks err is an errs error of kind and code (through gRPC too).
func requireCode(t *testing.T, err error, kind errs.Kind, code string) {
	t.Helper()
	require.Error(t, err)
	e := errs.From(err)
	require.Equal(t, code, e.Code, "error: %v", err)
	require.Equal(t, kind, e.Kind, "error: %v", err)
}

// otherEnforcer is an Enforcer on its own etcd client, as another service holds.
func (f *fixture) otherEnforcer(t *testing.T) *authz.Enforcer {
	t.Helper()
	enf, err := authz.New(t.Context(), f.etcd.Client(), authz.DefaultPrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = enf.Close() })
	return enf
}

func tenantID(s string) tenancy.ID { return tenancy.ID(s) }

// TestContract: every method of the contract has a valid rule and an implementation, so
// the service can start (scripts/verify.sh runs it).
func TestContract(t *testing.T) {
	apptest.CheckContract(t, identityv1.IdentityService_ServiceDesc.ServiceName, api{})
}
