package oidc_test

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	idp "github.com/gaoxing-gov/gaoxing/services/identity/oidc"
)

// ---- a Directory in memory ----

var (
	errBadCredentials = errs.New(errs.Unauthenticated, "INVALID_CREDENTIALS", "用户名或密码错误")
	errSuspended      = errs.New(errs.PermissionDenied, "ACCOUNT_SUSPENDED", "账号已停用，请联系管理员")
	errNoClient       = errs.New(errs.NotFound, "CLIENT_NOT_FOUND", "接入应用不存在")
	errBadSecret      = errs.New(errs.Unauthenticated, "INVALID_CLIENT_SECRET", "应用密钥错误")
)

type directory struct {
	mu        sync.Mutex
	accounts  map[string]idp.Account // by username
	passwords map[string]string      // by username
	clients   map[string]idp.Client
	secrets   map[string]string
}

func (d *directory) Authenticate(_ context.Context, username, password, _ string) (idp.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	acc, ok := d.accounts[username]
	if !ok || subtle.ConstantTimeCompare([]byte(d.passwords[username]), []byte(password)) != 1 {
		return idp.Account{}, errBadCredentials
	}
	if acc.Status != idp.AccountActive {
		return idp.Account{}, errSuspended
	}
	return acc, nil
}

func (d *directory) AccountByID(_ context.Context, id string) (idp.Account, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range d.accounts {
		if a.ID == id {
			return a, nil
		}
	}
	return idp.Account{}, errs.ErrNotFound
}

func (d *directory) Client(_ context.Context, id string) (idp.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.clients[id]
	if !ok {
		return idp.Client{}, errNoClient
	}
	return c, nil
}

func (d *directory) CheckClientSecret(_ context.Context, id, secret string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	want, ok := d.secrets[id]
	if !ok {
		return errNoClient
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(secret)) != 1 {
		return errBadSecret
	}
	return nil
}

// ChooseNewPassword keeps the provider's side of the rule: only an account told to
// choose one, and a policy (here only a length) that refuses with WEAK_PASSWORD.
func (d *directory) ChooseNewPassword(_ context.Context, id, next string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, a := range d.accounts {
		if a.ID != id {
			continue
		}
		if !a.MustChangePassword {
			return errs.New(errs.FailedPrecondition, "NO_PASSWORD_CHANGE_DUE", "该账号无需修改初始密码")
		}
		if len(next) < 10 || next == d.passwords[name] {
			return errs.New(errs.InvalidArgument, "WEAK_PASSWORD", "密码强度不足：至少 10 个字符")
		}
		a.MustChangePassword = false
		a.SessionsAfter = time.Now()
		d.accounts[name], d.passwords[name] = a, next
		return nil
	}
	return errs.ErrNotFound
}

func (d *directory) suspend(username string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a := d.accounts[username]
	a.Status = "suspended"
	d.accounts[username] = a
}

const (
	consoleRedirect = "http://127.0.0.1:9/console/callback" // never dialled: the browser stops there
	clerkPassword   = "Zhang-San-2026!"
	courtSecret     = "court-secret-0123456789abcdef"
)

var clerkAccount = idp.Account{ID: "u-1001", Username: "zhangsan", DisplayName: "张三", Tenant: "ahz.s01.c07", Kind: authn.Staff, Status: idp.AccountActive}

func newDirectory() *directory {
	return &directory{
		accounts: map[string]idp.Account{
			"zhangsan": clerkAccount,
			"lisi":     {ID: "u-1002", Username: "lisi", DisplayName: "李四", Tenant: "ahz.s02", Kind: authn.Citizen, Status: "suspended"},
			"wangwu":   newcomerAccount,
		},
		passwords: map[string]string{"zhangsan": clerkPassword, "lisi": "Li-Si-2026!", "wangwu": newcomerPassword},
		clients: map[string]idp.Client{
			"console": {ID: "console", Tenant: "ahz", Scopes: []string{"tickets"}, RedirectURIs: []string{consoleRedirect}, Public: true},
			"court-1": {ID: "court-1", Tenant: "ahz.s01", Scopes: []string{"cases.read", "cases.write"}, Confidential: true},
			"cli":     {ID: "cli", Tenant: "ahz", DisplayName: "高兴办命令行工具", Scopes: []string{"openid", "profile", "offline_access"}, Public: true, Device: true},
		},
		secrets: map[string]string{"court-1": courtSecret},
	}
}

// ---- the provider, mounted as the identity service mounts it ----

type env struct {
	t      testing.TB
	etcd   *testenv.Etcd
	dir    *directory
	p      *idp.Provider
	db     *sqlstore.DB
	issuer string
}

func start(t testing.TB, dsn string, configure ...func(*idp.Config)) *env {
	t.Helper()
	ctx := t.Context()
	etcd := testenv.StartEtcd(t)
	db, err := sqlstore.Open(ctx, dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := idp.Config{Issuer: srv.URL + "/api/identity", Insecure: true, KeyPublishAhead: -1}
	for _, c := range configure {
		c(&cfg)
	}
	dir := newDirectory()
	p, err := idp.New(ctx, cfg, dir, db, etcd.Client())
	require.NoError(t, err)
	svc := kit.New("identity")
	for pattern, h := range p.Routes() {
		svc.HandleHTTP(pattern, h)
	}
	handler = svc.HTTPHandler()
	return &env{t: t, etcd: etcd, dir: dir, p: p, db: db, issuer: cfg.Issuer}
}

func (e *env) verifier(opts ...authn.Option) *authn.Verifier {
	v, err := authn.NewVerifier(e.issuer, idp.Audience, e.issuer+"/keys", opts...)
	require.NoError(e.t, err)
	return v
}

func (e *env) console(scopes ...string) oauth2.Config {
	return oauth2.Config{
		ClientID:    "console",
		RedirectURL: consoleRedirect,
		Scopes:      append([]string{gooidc.ScopeOpenID, "profile"}, scopes...),
		Endpoint: oauth2.Endpoint{
			AuthURL: e.issuer + "/authorize", TokenURL: e.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

func (e *env) court(secret string, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: "court-1", ClientSecret: secret, TokenURL: e.issuer + "/oauth/token", Scopes: scopes}
}

// ---- a browser without a browser ----

type browser struct {
	t testing.TB
	c *http.Client
}

func newBrowser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, c: &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), consoleRedirect) {
				return http.ErrUseLastResponse // the console's page: read the code from Location
			}
			return nil
		},
	}}
}

var loginIDField = regexp.MustCompile(`name="id" value="([^"]+)"`)

// authorize opens the authorization URL and returns the login form's request id.
func (b *browser) authorize(cfg oauth2.Config, opts ...oauth2.AuthCodeOption) string {
	resp, body := b.get(cfg.AuthCodeURL("state-42", opts...))
	require.Equal(b.t, http.StatusOK, resp.StatusCode, body)
	require.Contains(b.t, body, "统一身份认证")
	m := loginIDField.FindStringSubmatch(body)
	require.NotNil(b.t, m, body)
	return m[1]
}

func (b *browser) get(u string) (*http.Response, string) {
	resp, err := b.c.Get(u)
	require.NoError(b.t, err)
	return resp, readBody(b.t, resp)
}

func (b *browser) login(issuer, id, username, password string) (*http.Response, string) {
	resp, err := b.c.PostForm(issuer+"/login", url.Values{"id": {id}, "username": {username}, "password": {password}})
	require.NoError(b.t, err)
	return resp, readBody(b.t, resp)
}

func readBody(t testing.TB, resp *http.Response) string {
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return string(body)
}

// code reads the authorization code from the redirect to the console.
func code(t testing.TB, resp *http.Response) string {
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(loc.String(), consoleRedirect), loc.String())
	require.Equal(t, "state-42", loc.Query().Get("state"))
	require.Empty(t, loc.Query().Get("error"), loc.String())
	c := loc.Query().Get("code")
	require.NotEmpty(t, c)
	return c
}

// signIn runs the whole code flow for the clerk and returns the tokens.
func (e *env) signIn(scopes ...string) *oauth2.Token {
	e.t.Helper()
	cfg := e.console(scopes...)
	b := newBrowser(e.t)
	verifier := oauth2.GenerateVerifier()
	id := b.authorize(cfg, oauth2.S256ChallengeOption(verifier), gooidc.Nonce("nonce-7"))
	resp, _ := b.login(e.issuer, id, "zhangsan", clerkPassword)
	tok, err := cfg.Exchange(e.t.Context(), code(e.t, resp), oauth2.VerifierOption(verifier))
	require.NoError(e.t, err)
	return tok
}

// oauthError is the error code of a failed token request.
func oauthError(t *testing.T, err error) string {
	t.Helper()
	require.Error(t, err)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	return re.ErrorCode
}

func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, errs.From(err).Code, "err: %v", err)
}

// ---- the must-shows ----

// TestGoOIDCDiscoversAndVerifies: an independent OIDC client discovers the provider under
// its path prefix and verifies both the ID token and the access token; pkg/authn accepts
// the access token with the principal it describes and refuses the ID token.
func TestGoOIDCDiscoversAndVerifies(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	provider, err := gooidc.NewProvider(ctx, e.issuer)
	require.NoError(t, err)
	var claims struct {
		Algs       []string `json:"id_token_signing_alg_values_supported"`
		GrantTypes []string `json:"grant_types_supported"`
		Methods    []string `json:"code_challenge_methods_supported"`
		Revocation string   `json:"revocation_endpoint"`
	}
	require.NoError(t, provider.Claims(&claims))
	require.Equal(t, []string{"ES256"}, claims.Algs)
	require.Contains(t, claims.GrantTypes, "client_credentials")
	require.Contains(t, claims.GrantTypes, "refresh_token")
	require.Equal(t, []string{"S256"}, claims.Methods)
	require.Equal(t, e.issuer+"/revoke", claims.Revocation)
	require.Equal(t, e.issuer+"/oauth/token", provider.Endpoint().TokenURL)

	tok := e.signIn("tickets")
	rawID, _ := tok.Extra("id_token").(string)
	require.NotEmpty(t, rawID)
	idToken, err := provider.Verifier(&gooidc.Config{ClientID: "console"}).Verify(ctx, rawID)
	require.NoError(t, err)
	require.Equal(t, clerkAccount.ID, idToken.Subject)
	require.Equal(t, "nonce-7", idToken.Nonce)
	require.NoError(t, idToken.VerifyAccessToken(tok.AccessToken))

	access, err := provider.Verifier(&gooidc.Config{ClientID: idp.Audience}).Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	require.Equal(t, clerkAccount.ID, access.Subject)

	p, err := e.verifier().Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	require.Equal(t, authn.Principal{
		Subject: "u-1001", Tenant: "ahz.s01.c07", Kind: authn.Staff, Scopes: []string{"openid", "tickets"}, ClientID: "console",
	}, p)
	_, err = e.verifier().Verify(ctx, rawID)
	requireCode(t, err, "TOKEN_INVALID")

	// userinfo with the access token
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, ui.Claims(&info))
	require.Equal(t, "u-1001", info["sub"])
	require.Equal(t, "ahz.s01.c07", info["tenant"])
	require.Equal(t, "staff", info["kind"])
	require.Equal(t, "张三", info["name"], "profile claims come from userinfo when an access token is issued")
	require.Equal(t, "zhangsan", info["preferred_username"])
}

// TestAgentTokenCarriesMandates: the access token of an account the directory gives
// mandates carries them (acts_for), and pkg/authn reads them into the principal.
func TestAgentTokenCarriesMandates(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	m := authn.Mandates{Subjects: []string{"u-2001"}, Orgs: []string{"91350100M000100Y43"}}
	e.dir.mu.Lock()
	acc := e.dir.accounts["zhangsan"]
	acc.ActsFor = m.Claim()
	e.dir.accounts["zhangsan"] = acc
	e.dir.mu.Unlock()
	p, err := e.verifier().Verify(t.Context(), e.signIn("tickets").AccessToken)
	require.NoError(t, err)
	require.Equal(t, m, p.ActsFor)
}

// TestClientCredentials: a machine client gets a token pkg/authn accepts as a service
// principal of the client's tenant; an unknown client, a wrong secret, a scope the client
// does not hold and a public client are refused.
func TestClientCredentials(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	tok, err := e.court(courtSecret, "cases.read").Token(ctx)
	require.NoError(t, err)
	p, err := e.verifier().Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	require.Equal(t, authn.Principal{Subject: "court-1", Tenant: "ahz.s01", Kind: authn.Service, Scopes: []string{"cases.read"}, ClientID: "court-1"}, p)
	require.Empty(t, tok.RefreshToken)

	all, err := e.court(courtSecret).Token(ctx)
	require.NoError(t, err)
	p, err = e.verifier().Verify(ctx, all.AccessToken)
	require.NoError(t, err)
	require.Equal(t, []string{"cases.read", "cases.write"}, p.Scopes, "no scope asked: the client's scopes")

	unknown := &clientcredentials.Config{ClientID: "court-404", ClientSecret: courtSecret, TokenURL: e.issuer + "/oauth/token"}
	for name, tc := range map[string]struct {
		cfg  *clientcredentials.Config
		want string
	}{
		"unknown client": {unknown, "invalid_client"},
		"wrong secret":   {e.court("guess"), "invalid_client"},
		"scope not held": {e.court(courtSecret, "cases.read", "tenants.admin"), "invalid_scope"},
		"public client":  {&clientcredentials.Config{ClientID: "console", TokenURL: e.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}, "invalid_client"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.cfg.Token(ctx)
			require.Equal(t, tc.want, oauthError(t, err))
		})
	}
}

// TestAuthorizationCodeFlow drives the console's sign-in over HTTP: the login page shows
// errors in Chinese, and every step works once.
func TestAuthorizationCodeFlow(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		e := start(t, dsn)
		ctx := t.Context()
		cfg := e.console("tickets")
		b := newBrowser(t)
		verifier := oauth2.GenerateVerifier()
		id := b.authorize(cfg, oauth2.S256ChallengeOption(verifier))

		resp, body := b.login(e.issuer, id, "zhangsan", "wrong")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Contains(t, body, "用户名或密码错误")
		require.Contains(t, body, `value="zhangsan"`, "the username is kept")
		resp, body = b.login(e.issuer, id, "lisi", "Li-Si-2026!")
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.Contains(t, body, "账号已停用")
		resp, body = b.login(e.issuer, id, "", "")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Contains(t, body, "请输入用户名和密码")

		resp, _ = b.login(e.issuer, id, "zhangsan", clerkPassword)
		authCode := code(t, resp)

		// The request id is spent: the form cannot be replayed, the callback gives no second code.
		resp, body = b.login(e.issuer, id, "zhangsan", clerkPassword)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Contains(t, body, "登录请求无效")
		resp, _ = b.get(e.issuer + "/authorize/callback?id=" + url.QueryEscape(id))
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		require.Empty(t, loc.Query().Get("code"), "no second code")
		require.NotEmpty(t, loc.Query().Get("error"))
		resp, _ = b.get(e.issuer + "/login?id=unknown")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)

		tok, err := cfg.Exchange(ctx, authCode, oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		require.Empty(t, tok.RefreshToken, "no offline_access, no refresh token")
		_, err = e.verifier().Verify(ctx, tok.AccessToken)
		require.NoError(t, err)

		_, err = cfg.Exchange(ctx, authCode, oauth2.VerifierOption(verifier))
		require.Equal(t, "invalid_grant", oauthError(t, err), "a code works once")
	})
}

// TestPKCE: a wrong verifier is refused and burns the code; public clients must send an
// S256 challenge.
func TestPKCE(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	cfg := e.console()
	b := newBrowser(t)
	verifier := oauth2.GenerateVerifier()
	id := b.authorize(cfg, oauth2.S256ChallengeOption(verifier))
	resp, _ := b.login(e.issuer, id, "zhangsan", clerkPassword)
	authCode := code(t, resp)

	_, err := cfg.Exchange(ctx, authCode, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	require.Equal(t, "invalid_grant", oauthError(t, err))
	_, err = cfg.Exchange(ctx, authCode)
	require.Error(t, err, "no verifier")
	_, err = cfg.Exchange(ctx, authCode, oauth2.VerifierOption(verifier))
	require.Equal(t, "invalid_grant", oauthError(t, err), "the code was burnt by the failed attempt")

	for name, opts := range map[string][]oauth2.AuthCodeOption{
		"no challenge":    nil,
		"plain challenge": {oauth2.SetAuthURLParam("code_challenge", verifier), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := b.c.Get(cfg.AuthCodeURL("state-42", opts...))
			require.NoError(t, err)
			readBody(t, resp)
			require.Equal(t, http.StatusFound, resp.StatusCode)
			loc, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, "invalid_request", loc.Query().Get("error"), loc.String())
			require.Empty(t, loc.Query().Get("code"))
		})
	}
}

// TestRefreshRotationAndReuse: each refresh rotates the token; presenting a rotated one
// again revokes the whole family, including its live access tokens everywhere.
func TestRefreshRotationAndReuse(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		e := start(t, dsn)
		ctx := t.Context()
		revocations, err := authn.WatchRevocations(ctx, e.etcd.Client())
		require.NoError(t, err)
		v := e.verifier(authn.WithRevoked(revocations.Revoked))

		first := e.signIn("offline_access")
		require.NotEmpty(t, first.RefreshToken)
		src := e.console("offline_access")
		second, err := src.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
		require.NoError(t, err)
		require.NotEmpty(t, second.RefreshToken)
		require.NotEqual(t, first.RefreshToken, second.RefreshToken, "rotated")
		_, err = v.Verify(ctx, second.AccessToken)
		require.NoError(t, err)

		// The old one again: reuse.
		_, err = src.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
		require.Equal(t, "invalid_grant", oauthError(t, err))
		// The family is gone: the newest refresh token too, and the access tokens.
		_, err = src.TokenSource(ctx, &oauth2.Token{RefreshToken: second.RefreshToken}).Token()
		require.Equal(t, "invalid_grant", oauthError(t, err))
		for _, tok := range []string{first.AccessToken, second.AccessToken} {
			require.Eventually(t, func() bool {
				_, err := v.Verify(ctx, tok)
				return err != nil && errs.From(err).Code == "TOKEN_REVOKED"
			}, 5*time.Second, 10*time.Millisecond)
		}

		// A suspended account cannot refresh.
		third := e.signIn("offline_access")
		e.dir.suspend("zhangsan")
		_, err = src.TokenSource(ctx, &oauth2.Token{RefreshToken: third.RefreshToken}).Token()
		require.Equal(t, "invalid_grant", oauthError(t, err))
	})
}

// TestEndSession: signing out with an ID token hint ends the sign-in: its refresh token
// stops working and its access token is revoked.
func TestEndSession(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	revocations, err := authn.WatchRevocations(ctx, e.etcd.Client())
	require.NoError(t, err)
	tok := e.signIn("offline_access")
	b := newBrowser(t)
	resp, body := b.get(e.issuer + "/end_session?" + url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "client_id": {"console"}}.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "/api/identity/logged-out", resp.Request.URL.Path)
	require.Contains(t, body, "您已安全退出登录")

	cfg := e.console("offline_access")
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	require.Equal(t, "invalid_grant", oauthError(t, err))
	v := e.verifier(authn.WithRevoked(revocations.Revoked))
	require.Eventually(t, func() bool {
		_, err := v.Verify(ctx, tok.AccessToken)
		return err != nil && errs.From(err).Code == "TOKEN_REVOKED"
	}, 5*time.Second, 10*time.Millisecond)
}

// TestExpiredTokenRefused: past its lifetime (and the verifiers' skew) a token is refused
// by pkg/authn and by go-oidc.
func TestExpiredTokenRefused(t *testing.T) {
	e := start(t, testenv.SQLite(t), func(c *idp.Config) { c.AccessTTL = 2 * time.Minute })
	ctx := t.Context()
	tok, err := e.court(courtSecret).Token(ctx)
	require.NoError(t, err)
	later := func() time.Time { return time.Now().Add(2*time.Minute + authn.DefaultSkew + time.Second) }
	_, err = e.verifier(authn.WithClock(later)).Verify(ctx, tok.AccessToken)
	requireCode(t, err, "TOKEN_EXPIRED")
	_, err = e.verifier().Verify(ctx, tok.AccessToken)
	require.NoError(t, err, "still valid now")

	provider, err := gooidc.NewProvider(ctx, e.issuer)
	require.NoError(t, err)
	_, err = provider.Verifier(&gooidc.Config{ClientID: idp.Audience, Now: later}).Verify(ctx, tok.AccessToken)
	require.ErrorAs(t, err, new(*gooidc.TokenExpiredError))
}

// TestRevokedTokenRefusedInAnotherProcess revokes tokens at the provider and watches a
// verifier in a separate process (its own etcd client, its own JWKS fetch) refuse them.
func TestRevokedTokenRefusedInAnotherProcess(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	child := startVerifier(t, e)

	machine, err := e.court(courtSecret).Token(ctx)
	require.NoError(t, err)
	person := e.signIn("offline_access")
	require.Equal(t, "ok court-1", child.verify(machine.AccessToken))
	require.Equal(t, "ok u-1001", child.verify(person.AccessToken))

	// The court revokes its own access token (RFC 7009).
	revoke(t, e, url.Values{"token": {machine.AccessToken}, "token_type_hint": {"access_token"}}, "court-1", courtSecret)
	child.await(t, machine.AccessToken, "err TOKEN_REVOKED")
	// The console revokes its refresh token: the sign-in ends, its access token too.
	revoke(t, e, url.Values{"token": {person.RefreshToken}, "client_id": {"console"}}, "", "")
	child.await(t, person.AccessToken, "err TOKEN_REVOKED")

	// A refresh token sent with the access token hint is still found and revoked.
	hinted := e.signIn("offline_access")
	revoke(t, e, url.Values{"token": {hinted.RefreshToken}, "token_type_hint": {"access_token"}, "client_id": {"console"}}, "", "")
	child.await(t, hinted.AccessToken, "err TOKEN_REVOKED")

	// Another client's token cannot be revoked by this one.
	other := e.signIn()
	resp := postRevoke(t, e, url.Values{"token": {other.AccessToken}}, "court-1", courtSecret)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "ok u-1001", child.verify(other.AccessToken))

	// The provider's own endpoints refuse a revoked token too.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.issuer+"/userinfo", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+machine.AccessToken)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	readBody(t, res)
	require.Equal(t, http.StatusForbidden, res.StatusCode)
}

func postRevoke(t *testing.T, e *env, form url.Values, user, pass string) *http.Response {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.issuer+"/revoke", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	readBody(t, resp)
	return resp
}

func revoke(t *testing.T, e *env, form url.Values, user, pass string) {
	t.Helper()
	require.Equal(t, http.StatusOK, postRevoke(t, e, form, user, pass).StatusCode)
}

// child is the verifier helper process.
type child struct {
	mu  sync.Mutex
	in  io.Writer
	out *bufio.Scanner
}

func startVerifier(t *testing.T, e *env) *child {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEtcdEnv+"="+e.etcd.Endpoint, helperIssuerEnv+"="+e.issuer)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	return &child{in: in, out: bufio.NewScanner(out)}
}

func (c *child) verify(token string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.in, token+"\n"); err != nil {
		return "write: " + err.Error()
	}
	if !c.out.Scan() {
		return "helper exited"
	}
	return c.out.Text()
}

func (c *child) await(t *testing.T, token, want string) {
	t.Helper()
	var got string
	require.Eventually(t, func() bool { got = c.verify(token); return got == want }, 10*time.Second, 20*time.Millisecond, "last answer %q", got)
}

// TestKeyRotation: after a rotation new tokens name the new key, and tokens signed by the
// old key keep verifying because the old key is still published.
func TestKeyRotation(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	before, err := e.court(courtSecret).Token(ctx)
	require.NoError(t, err)
	newKid, err := e.p.RotateKey(ctx)
	require.NoError(t, err)
	after, err := e.court(courtSecret).Token(ctx)
	require.NoError(t, err)
	require.Equal(t, newKid, kid(t, after.AccessToken))
	require.NotEqual(t, kid(t, before.AccessToken), newKid)

	resp, err := http.Get(e.issuer + "/keys")
	require.NoError(t, err)
	var set struct {
		Keys []struct{ Kid, Alg, Use string } `json:"keys"`
	}
	require.NoError(t, json.Unmarshal([]byte(readBody(t, resp)), &set))
	require.Len(t, set.Keys, 2)
	v := e.verifier()
	for _, tok := range []string{before.AccessToken, after.AccessToken} {
		_, err := v.Verify(ctx, tok)
		require.NoError(t, err)
	}
}

func kid(t *testing.T, token string) string {
	header, _, _ := strings.Cut(token, ".")
	raw, err := base64URL(header)
	require.NoError(t, err)
	var h struct{ Kid string }
	require.NoError(t, json.Unmarshal(raw, &h))
	return h.Kid
}

func TestConfigRefusesInsecureIssuer(t *testing.T) {
	etcd := testenv.EtcdClient(t)
	db, err := sqlstore.Open(t.Context(), testenv.SQLite(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	for _, cfg := range []idp.Config{
		{Issuer: "http://id.example.cn/api/identity"},
		{Issuer: "http://id.example.cn/api/identity", Insecure: true},
		{Issuer: "https://id.example.cn/api/identity?x=1"},
		{Issuer: "/api/identity"},
	} {
		_, err := idp.New(t.Context(), cfg, newDirectory(), db, etcd)
		require.Error(t, err, cfg.Issuer)
	}
	_, err = idp.New(t.Context(), idp.Config{Issuer: "https://id.example.cn/api/identity"}, newDirectory(), db, etcd)
	require.NoError(t, err)
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// TestIntrospection: a confidential client (a resource server) may ask whether a token is
// active; a revoked one is not.
func TestIntrospection(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	tok, err := e.court(courtSecret).Token(t.Context())
	require.NoError(t, err)
	introspect := func(user, pass string) (int, map[string]any) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.issuer+"/oauth/introspect",
			strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body := readBody(t, resp)
		var out map[string]any
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.Unmarshal([]byte(body), &out))
		}
		return resp.StatusCode, out
	}
	status, out := introspect("court-1", courtSecret)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, out["active"])
	require.Equal(t, "court-1", out["sub"])
	status, _ = introspect("court-1", "guess")
	require.Equal(t, http.StatusUnauthorized, status)

	revoke(t, e, url.Values{"token": {tok.AccessToken}}, "court-1", courtSecret)
	require.Eventually(t, func() bool {
		_, out := introspect("court-1", courtSecret)
		return out["active"] == false
	}, 5*time.Second, 10*time.Millisecond)
}

// TestConcurrentRefreshIsReuse: the same refresh token sent twice at once is spent once;
// the loser is treated as reuse, so the family is revoked and no token of it survives.
func TestConcurrentRefreshIsReuse(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	tok := e.signIn("offline_access")
	cfg := e.console("offline_access")
	results := make([]*oauth2.Token, 4)
	failures := make([]error, 4)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			results[i], failures[i] = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		})
	}
	wg.Wait()
	succeeded := 0
	for i, err := range failures {
		if err == nil {
			succeeded++
			_, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: results[i].RefreshToken}).Token()
			require.Equal(t, "invalid_grant", oauthError(t, err), "the winner's token went with the family")
			continue
		}
		require.Equal(t, "invalid_grant", oauthError(t, err))
	}
	require.LessOrEqual(t, succeeded, 1)
}

// TestUnknownClientAtAuthorize: the authorization endpoint names no login page and
// redirects nowhere for a client it does not know, nor for a redirect URI not registered.
func TestUnknownClientAtAuthorize(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	b := newBrowser(t)
	for name, cfg := range map[string]oauth2.Config{
		"unknown client": func() oauth2.Config { c := e.console(); c.ClientID = "console-evil"; return c }(),
		"foreign redirect": func() oauth2.Config {
			c := e.console()
			c.RedirectURL = "https://evil.example/callback"
			return c
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := b.get(cfg.AuthCodeURL("state-42", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			require.GreaterOrEqual(t, resp.StatusCode, 400, body)
			require.NotContains(t, body, `name="password"`)
			require.Equal(t, "127.0.0.1", resp.Request.URL.Hostname(), "not redirected away")
		})
	}
}

// TestRefreshNarrowsScopeOnce: a refresh may ask for fewer scopes; the sign-in's scopes
// are kept for the next refresh, and more than were granted are refused.
func TestRefreshNarrowsScopeOnce(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	tok := e.signIn("offline_access", "tickets")
	refresh := func(rt string, scope string) (int, map[string]any) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"console"}}
		if scope != "" {
			form.Set("scope", scope)
		}
		resp, err := http.PostForm(e.issuer+"/oauth/token", form)
		require.NoError(t, err)
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(readBody(t, resp)), &out))
		return resp.StatusCode, out
	}
	status, out := refresh(tok.RefreshToken, "openid")
	require.Equal(t, http.StatusOK, status, out)
	p, err := e.verifier().Verify(ctx, out["access_token"].(string))
	require.NoError(t, err)
	require.Equal(t, []string{"openid"}, p.Scopes)

	status, out = refresh(out["refresh_token"].(string), "")
	require.Equal(t, http.StatusOK, status, out)
	p, err = e.verifier().Verify(ctx, out["access_token"].(string))
	require.NoError(t, err)
	require.Equal(t, []string{"openid", "offline_access", "tickets"}, p.Scopes)

	status, out = refresh(out["refresh_token"].(string), "openid tenants.admin")
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_scope", out["error"])
}

// TestSignInsAndRevocationsAreAudited: a person's sign-in, a machine token and the
// revocations of both leave audit records in the tenant they belong to.
func TestSignInsAndRevocationsAreAudited(t *testing.T) {
	e := start(t, testenv.SQLite(t))
	ctx := t.Context()
	person := e.signIn("offline_access")
	machine, err := e.court(courtSecret).Token(ctx)
	require.NoError(t, err)
	revoke(t, e, url.Values{"token": {machine.AccessToken}, "token_type_hint": {"access_token"}}, "court-1", courtSecret)
	revoke(t, e, url.Values{"token": {person.RefreshToken}, "client_id": {"console"}}, "", "")

	actions := func(tenant tenancy.ID) []string {
		recs, _, err := audit.List(ctx, e.db, tenant, audit.ListOptions{PageSize: 100})
		require.NoError(t, err)
		var out []string
		for _, r := range slices.Backward(recs) {
			out = append(out, r.GetAction()+" "+r.GetActor()+" "+r.GetResource())
		}
		return out
	}
	require.Equal(t, []string{
		"identity.SignIn u-1001 tenants/ahz.s01.c07/users/u-1001",
		"identity.RevokeSignIn console tenants/ahz.s01.c07/users/u-1001",
	}, actions("ahz.s01.c07"))
	require.Equal(t, []string{
		"identity.IssueClientToken court-1 tenants/ahz.s01/clients/court-1",
		"identity.RevokeToken court-1 tenants/ahz.s01/clients/court-1",
	}, actions("ahz.s01"))
	for _, tenant := range []tenancy.ID{"ahz.s01.c07", "ahz.s01"} {
		rep, err := audit.Verify(ctx, e.db, tenant)
		require.NoError(t, err)
		require.True(t, rep.OK(), "%v", rep.Problems)
	}
}
