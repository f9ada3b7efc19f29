package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"
	"google.golang.org/grpc/metadata"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	identityv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/identity/v1"
	"github.com/gaoxing-gov/gaoxing/services/identity/oidc"
)

// syncBuffer is a log sink safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is the service started in-process.
type running struct {
	core   *Core
	conn   identityv1.IdentityServiceClient
	http   string
	issuer *authntest.Issuer
	logs   *syncBuffer
	stop   func() // ends Run and checks it returned cleanly; also done at cleanup
}

// startService runs identity with Run on 127.0.0.1:0, as the launcher does. etcd and
// dataDir are shared between calls to model a restart. selfIssued makes env.Auth name the
// service's own provider instead of a test issuer.
func startService(t *testing.T, e *testenv.Etcd, dataDir string, srv *Server, selfIssued bool) *running {
	t.Helper()
	iss := authntest.New(t)
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	auth := app.AuthConfig{Issuer: iss.URL(), JWKSURL: iss.JWKSURL(), Audience: iss.Audience()}
	if selfIssued {
		auth = app.AuthConfig{Issuer: "http://" + hl.Addr().String() + "/api/identity", Audience: app.DefaultAudience}
	}
	logs := &syncBuffer{}
	// The production log handler, with its redaction.
	log := telemetry.NewLogger(logs, slog.LevelInfo)
	ready := make(chan *Core, 1)
	srv.onReady = func(c *Core) { ready <- c }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- srv.Run(ctx, app.Env{GRPC: gl, HTTP: hl, Etcd: e.Client(), DataDir: dataDir, Logger: log, Auth: auth})
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	var core *Core
	select {
	case core = <-ready:
	case err := <-done:
		once.Do(func() {})
		t.Fatalf("identity did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("identity did not start within 30 s")
	}
	cc, err := kit.Dial(gl.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return &running{core: core, conn: identityv1.NewIdentityServiceClient(cc), http: "http://" + hl.Addr().String(), issuer: iss, logs: logs, stop: stop}
}

func (r *running) token(t *testing.T, sub string) string {
	return r.issuer.Token(authn.Principal{Subject: sub, Tenant: "ahz", Kind: authn.Staff})
}

func (r *running) call(t *testing.T, sub string) context.Context {
	return metadata.AppendToOutgoingContext(t.Context(), "authorization", authntest.Bearer(r.token(t, sub)))
}

func testServer(t *testing.T) *Server {
	ring, err := sealed.ParseRing("k1="+sealed.NewKeySecret(), sealed.NewKeySecret())
	require.NoError(t, err)
	return &Server{Ring: ring, Options: Options{Argon2: testArgon2}}
}

func TestBootstrapPrintsOnce(t *testing.T) {
	e := testenv.StartEtcd(t)
	dir := t.TempDir()
	t.Setenv(EnvAdminPassword, "")
	first := startService(t, e, dir, testServer(t), false)

	// The password is in the log once, readable despite redaction, and it works.
	var password string
	for _, line := range strings.Split(first.logs.String(), "\n") {
		if !strings.Contains(line, "platform administrator created") {
			continue
		}
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		require.Empty(t, password, "printed once")
		password, _ = rec["first_login"].(string)
	}
	require.Len(t, password, 26)
	acc, err := first.core.Authenticate(t.Context(), AdminUsername, password, "")
	require.NoError(t, err)
	require.True(t, first.core.holds(acc.ID, PlatformAdmin, "ahz"))
	require.True(t, acc.MustChangePassword, "the first sign-in chooses a new password")

	// A restart against the same database and etcd creates nobody and prints nothing.
	first.stop()
	second := startService(t, e, dir, testServer(t), false)
	require.NotContains(t, second.logs.String(), "first_login")
	require.NotContains(t, second.logs.String(), password)
	n, err := second.core.userCount(t.Context())
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	_, err = second.core.Authenticate(t.Context(), AdminUsername, password, "")
	require.NoError(t, err)
}

func TestBootstrapFromSecret(t *testing.T) {
	e := testenv.StartEtcd(t)
	srv := testServer(t)
	srv.AdminPassword = "From-The-Secret-2026"
	r := startService(t, e, t.TempDir(), srv, false)
	require.NotContains(t, r.logs.String(), "From-The-Secret-2026")
	require.NotContains(t, r.logs.String(), "first_login")
	_, err := r.core.Authenticate(t.Context(), AdminUsername, "From-The-Secret-2026", "")
	require.NoError(t, err)

	weak := testServer(t)
	weak.AdminPassword = "admin12345"
	err = weak.Run(t.Context(), app.Env{Etcd: e.Client(), DataDir: t.TempDir(), Auth: app.AuthConfig{Issuer: "http://127.0.0.1:1", Audience: "gaoxing"}})
	require.ErrorContains(t, err, EnvAdminPassword)
}

func TestServiceOverTheWire(t *testing.T) {
	e := testenv.StartEtcd(t)
	srv := testServer(t)
	srv.AdminPassword = "From-The-Secret-2026"
	srv.Provider = func(_ context.Context, deps ProviderDeps) (map[string]http.Handler, error) {
		require.NotNil(t, deps.Directory)
		require.NotNil(t, deps.DB)
		return map[string]http.Handler{"GET /.well-known/openid-configuration": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"issuer":"`+deps.Issuer+`"}`)
		})}, nil
	}
	r := startService(t, e, t.TempDir(), srv, false)
	admin, err := r.core.Authenticate(t.Context(), AdminUsername, "From-The-Secret-2026", "")
	require.NoError(t, err)
	ctx := r.call(t, admin.ID)

	// The provider's routes are mounted under /api/identity/.
	resp, err := http.Get(r.http + "/api/identity/.well-known/openid-configuration")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), r.issuer.URL())

	u, err := r.conn.CreateUser(ctx, &identityv1.CreateUserRequest{Parent: "tenants/ahz.s01.c01",
		User: &identityv1.User{Username: "wang.wu", DisplayName: "王五", Kind: "citizen"}, IdNumber: idNumber, Password: strongPassword})
	require.NoError(t, err)
	require.Equal(t, "110***********002X", u.GetIdNumberMasked())

	bad := []struct {
		req  *identityv1.CreateUserRequest
		kind errs.Kind
		code string
	}{
		{&identityv1.CreateUserRequest{Parent: "tenants/ahz.s01", User: &identityv1.User{Username: "wang.wu", DisplayName: "王五", Kind: "staff"}, Password: strongPassword}, errs.AlreadyExists, "USERNAME_TAKEN"},
		{&identityv1.CreateUserRequest{Parent: "tenants/ahz.s01", User: &identityv1.User{Username: "zhao.liu", DisplayName: "赵六", Kind: "staff"}, Password: "password"}, errs.InvalidArgument, "WEAK_PASSWORD"},
		{&identityv1.CreateUserRequest{Parent: "tenants/ahz", User: &identityv1.User{Username: "ent02", DisplayName: "公司", Kind: "enterprise", CreditCode: "91350100M000100Y44"}, Password: strongPassword}, errs.InvalidArgument, "INVALID_CREDIT_CODE"},
	}
	for _, b := range bad {
		_, err := r.conn.CreateUser(ctx, b.req)
		requireCode(t, err, b.kind, b.code)
	}

	// Over HTTP: the masked number, never the clear one.
	req, _ := http.NewRequest(http.MethodGet, r.http+"/api/identity/v1/"+u.GetName(), nil)
	req.Header.Set("Authorization", authntest.Bearer(r.token(t, admin.ID)))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), "110***********002X")
	require.NotContains(t, string(body), idNumber)

	// Roles and tenants through the API, with their stable errors.
	street, err := r.conn.CreateUser(ctx, &identityv1.CreateUserRequest{Parent: "tenants/ahz.s01",
		User: &identityv1.User{Username: "s01-admin", DisplayName: "街道管理员", Kind: "staff"}, Password: strongPassword})
	require.NoError(t, err)
	_, err = r.conn.GrantRole(ctx, &identityv1.GrantRoleRequest{Tenant: "tenants/ahz.s01", Subject: street.GetName(), Role: "tenant_admin"})
	require.NoError(t, err)
	_, err = r.conn.GrantRole(r.call(t, street.GetId()), &identityv1.GrantRoleRequest{Tenant: "tenants/ahz.s02", Subject: u.GetName(), Role: "tenant_admin"})
	requireCode(t, err, errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE")
	_, err = r.conn.GrantRole(r.call(t, street.GetId()), &identityv1.GrantRoleRequest{Tenant: "tenants/ahz.s01.c01", Subject: u.GetName(), Role: "steward"})
	requireCode(t, err, errs.PermissionDenied, "ROLE_NOT_HELD")
	roles, err := r.conn.ListRoles(r.call(t, street.GetId()), &identityv1.ListRolesRequest{Subject: street.GetName()})
	require.NoError(t, err)
	require.Len(t, roles.GetGrants(), 1)
	require.Equal(t, "租户管理员", roles.GetGrants()[0].GetTitle())

	// Mandates of an agent over the API: a citizen and an enterprise; each mandate names
	// one party.
	agent, err := r.conn.CreateUser(ctx, &identityv1.CreateUserRequest{Parent: "tenants/ahz.s01",
		User: &identityv1.User{Username: "agent-01", DisplayName: "帮代办员", Kind: "staff"}, Password: strongPassword})
	require.NoError(t, err)
	_, err = r.conn.GrantRole(ctx, &identityv1.GrantRoleRequest{Tenant: "tenants/ahz.s01", Subject: agent.GetName(), Role: AgentRole})
	require.NoError(t, err)
	ms, err := r.conn.SetMandates(ctx, &identityv1.SetMandatesRequest{Name: agent.GetName(), Mandates: []*identityv1.Mandate{
		{Subject: u.GetId()}, {CreditCode: "91350100M000100Y43"}}})
	require.NoError(t, err)
	require.Len(t, ms.GetMandates(), 2)
	_, err = r.conn.SetMandates(ctx, &identityv1.SetMandatesRequest{Name: agent.GetName(), Mandates: []*identityv1.Mandate{
		{Subject: u.GetId(), CreditCode: "91350100M000100Y43"}}})
	requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")
	require.Equal(t, "INVALID_MANDATE", errs.From(err).Violations[0].Code)
	// The street's admin holds no agent role, so it does not administer the agent.
	_, err = r.conn.SetMandates(r.call(t, street.GetId()), &identityv1.SetMandatesRequest{Name: agent.GetName()})
	requireCode(t, err, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE")

	_, err = r.conn.MoveTenant(ctx, &identityv1.MoveTenantRequest{Name: "tenants/ahz.s01", NewParent: "tenants/ahz.s01.c02"})
	requireCode(t, err, errs.InvalidArgument, "TENANT_MOVE_CYCLE")
	tn, err := r.conn.RenameTenant(r.call(t, street.GetId()), &identityv1.RenameTenantRequest{Name: "tenants/ahz.s01", DisplayName: "第一街道党群服务中心"})
	require.NoError(t, err)
	require.Equal(t, "第一街道党群服务中心", tn.GetDisplayName())
	_, err = r.conn.RenameTenant(r.call(t, street.GetId()), &identityv1.RenameTenantRequest{Name: "tenants/ahz.s02", DisplayName: "越权改名"})
	requireCode(t, err, errs.PermissionDenied, "PERMISSION_DENIED")

	// A secret is never kept for an idempotent replay.
	_, err = r.conn.RegisterClient(metadata.AppendToOutgoingContext(ctx, "idempotency-key", "k-1"), &identityv1.RegisterClientRequest{
		Parent: "tenants/ahz", ClientId: "replayed", Client: &identityv1.OAuthClient{DisplayName: "重放"}})
	requireCode(t, err, errs.InvalidArgument, "IDEMPOTENCY_KEY_NOT_ALLOWED")
	cl, err := r.conn.RegisterClient(ctx, &identityv1.RegisterClientRequest{Parent: "tenants/ahz", ClientId: "hotline-12345",
		Client: &identityv1.OAuthClient{DisplayName: "12345 热线平台", Scopes: []string{"tickets.tickets"}}})
	require.NoError(t, err)
	require.NotEmpty(t, cl.GetClientSecret())
	require.NoError(t, r.core.CheckClientSecret(t.Context(), cl.GetClient().GetId(), cl.GetClientSecret()))
	got, err := r.conn.GetClient(ctx, &identityv1.GetClientRequest{Name: cl.GetClient().GetName()})
	require.NoError(t, err)
	require.Equal(t, "svc-hotline-12345", got.GetId())

	// Self-service password change needs a signed-in caller.
	_, err = r.conn.ChangePassword(t.Context(), &identityv1.ChangePasswordRequest{CurrentPassword: strongPassword, NewPassword: "Brand-New-Pass-9"})
	requireCode(t, err, errs.Unauthenticated, "UNAUTHENTICATED")
	_, err = r.conn.ChangePassword(r.call(t, street.GetId()), &identityv1.ChangePasswordRequest{CurrentPassword: strongPassword, NewPassword: "Brand-New-Pass-9"})
	require.NoError(t, err)
}

func TestProviderMounted(t *testing.T) {
	e := testenv.StartEtcd(t)
	srv := testServer(t)
	srv.AdminPassword = "From-The-Secret-2026"
	srv.Provider = OIDCProvider(oidc.Config{KeyPublishAhead: -1})
	r := startService(t, e, t.TempDir(), srv, true)
	issuer := r.http + "/api/identity"

	resp, err := http.Get(issuer + "/.well-known/openid-configuration")
	require.NoError(t, err)
	var disc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&disc))
	resp.Body.Close()
	require.Equal(t, issuer, disc.Issuer)

	// A machine client registered here gets a token from the provider (through Directory)
	// and calls this service's API with it, under the role granted to it.
	admin, err := r.core.Authenticate(t.Context(), AdminUsername, "From-The-Secret-2026", "")
	require.NoError(t, err)
	adminCtx := authn.NewContext(t.Context(), authn.Principal{Subject: admin.ID})
	cl, secret, err := r.core.RegisterClient(adminCtx, NewClient{Tenant: "ahz", Slug: "hotline", DisplayName: "12345 热线平台", Scopes: []string{"tickets.tickets"}})
	require.NoError(t, err)
	_, err = r.core.GrantRole(adminCtx, "ahz", cl.Name(), "ops")
	require.NoError(t, err)
	cc := clientcredentials.Config{ClientID: cl.ID, ClientSecret: secret, TokenURL: disc.TokenEndpoint, Scopes: []string{"tickets.tickets"}}
	tok, err := cc.Token(t.Context())
	require.NoError(t, err)

	req, _ := http.NewRequest(http.MethodGet, issuer+"/v1/tenants/ahz.s01/tenants", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), "ahz.s01.c01")

	_, err = (&clientcredentials.Config{ClientID: cl.ID, ClientSecret: "wrong", TokenURL: disc.TokenEndpoint}).Token(t.Context())
	require.Error(t, err)
}
