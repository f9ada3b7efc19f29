package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	idp "github.com/gaoxing-gov/gaoxing/services/identity/oidc"
)

// wangwu's password was chosen by an administrator: the first sign-in chooses another.
const newcomerPassword = "Set-By-Admin-2026"

var newcomerAccount = idp.Account{ID: "u-1003", Username: "wangwu", DisplayName: "王五", Tenant: "ahz.s01", Kind: authn.Staff,
	Status: idp.AccountActive, MustChangePassword: true}

var (
	stepField = regexp.MustCompile(`name="step" value="([^"]+)"`)
	pageCode  = regexp.MustCompile(`data-code="([A-Z_]+)"`)
)

// formValue reads a hidden field the page hands the browser.
func formValue(t testing.TB, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	return m[1]
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	resp, err := b.c.PostForm(u, form)
	require.NoError(b.t, err)
	return resp, readBody(b.t, resp)
}

// TestFirstSignInChoosesNewPassword: an account whose password someone else chose gets
// no code until it has chosen a new one that the policy accepts; the step is bound to the
// browser that proved the password and works once; the new password signs in next time.
func TestFirstSignInChoosesNewPassword(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		e := start(t, dsn)
		cfg := e.console()
		b := newBrowser(t)
		verifier := oauth2.GenerateVerifier()
		id := b.authorize(cfg, oauth2.S256ChallengeOption(verifier))

		resp, body := b.login(e.issuer, id, "wangwu", newcomerPassword)
		require.Equal(t, http.StatusOK, resp.StatusCode, "no redirect to the client yet")
		// The form's post ends in a redirect to the console: its origin is a form target.
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "form-action 'self' http://127.0.0.1:9;")
		require.Contains(t, body, "首次登录请设置新密码")
		require.Contains(t, body, `<label for="new_password">新密码</label>`)
		require.Contains(t, body, `<label for="confirm_password">`)
		step := formValue(t, stepField, body)

		// Someone without the step (a forged post, a guessed token) gets nowhere.
		resp, _ = b.post(e.issuer+"/password", url.Values{"step": {"forged"}, "new_password": {"Mine-Now-2026"}, "confirm_password": {"Mine-Now-2026"}})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)

		for _, c := range []struct{ next, confirm, code string }{
			{"Mine-Now-2026", "Mine-Now-2027", "PASSWORD_MISMATCH"},
			{"short", "short", "WEAK_PASSWORD"},
			{newcomerPassword, newcomerPassword, "WEAK_PASSWORD"},
		} {
			resp, body = b.post(e.issuer+"/password", url.Values{"step": {step}, "new_password": {c.next}, "confirm_password": {c.confirm}})
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
			require.Equal(t, c.code, formValue(t, pageCode, body))
			require.Contains(t, body, `role="alert"`)
		}
		resp, _ = b.post(e.issuer+"/password", url.Values{"step": {step}, "new_password": {"Mine-Now-2026"}, "confirm_password": {"Mine-Now-2026"}})
		tok, err := cfg.Exchange(t.Context(), code(t, resp), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		p, err := e.verifier().Verify(t.Context(), tok.AccessToken)
		require.NoError(t, err)
		require.Equal(t, newcomerAccount.ID, p.Subject)

		// The step is spent; the old password is gone; the new one signs in straight through.
		resp, _ = b.post(e.issuer+"/password", url.Values{"step": {step}, "new_password": {"Again-Mine-2026"}, "confirm_password": {"Again-Mine-2026"}})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		id = b.authorize(cfg, oauth2.S256ChallengeOption(verifier))
		resp, _ = b.login(e.issuer, id, "wangwu", newcomerPassword)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		resp, _ = b.login(e.issuer, id, "wangwu", "Mine-Now-2026")
		code(t, resp)
	})
}

// cli is the command line's client, as identity registers it.
func (e *env) cli() oauth2.Config {
	return oauth2.Config{
		ClientID: "cli",
		Scopes:   []string{gooidc.ScopeOpenID, "profile", gooidc.ScopeOfflineAccess},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: e.issuer + "/device_authorization", TokenURL: e.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
	}
}

// poll waits for the device's tokens in the background, as the command line does.
func poll(ctx context.Context, cfg oauth2.Config, da *oauth2.DeviceAuthResponse) chan any {
	done := make(chan any, 1)
	go func() {
		tok, err := cfg.DeviceAccessToken(ctx, da)
		if err != nil {
			done <- err
			return
		}
		done <- tok
	}()
	return done
}

// TestDeviceFlow: the device authorization grant that discovery advertises works with an
// independent client (golang.org/x/oauth2): the person opens the verification page, signs
// in, compares the code and approves; the device gets one token response (a later poll is
// refused), its refresh token rotates; a denial and a wrong code end as they should.
func TestDeviceFlow(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		e := start(t, dsn, func(c *idp.Config) { c.DevicePollInterval = time.Second })
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		provider, err := gooidc.NewProvider(ctx, e.issuer)
		require.NoError(t, err)
		var claims struct {
			Device     string   `json:"device_authorization_endpoint"`
			GrantTypes []string `json:"grant_types_supported"`
		}
		require.NoError(t, provider.Claims(&claims))
		require.Equal(t, e.issuer+"/device_authorization", claims.Device)
		require.Contains(t, claims.GrantTypes, "urn:ietf:params:oauth:grant-type:device_code")

		cfg := e.cli()
		da, err := cfg.DeviceAuth(ctx)
		require.NoError(t, err)
		require.Equal(t, e.issuer+"/device", da.VerificationURI)
		require.Regexp(t, `^[B-Z]{4}-[B-Z]{4}$`, da.UserCode)
		tokens := poll(ctx, cfg, da)

		b := newBrowser(t)
		resp, body := b.get(da.VerificationURIComplete)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, `value="`+da.UserCode+`"`, "the code is filled in from the link")
		require.Contains(t, body, `<label for="user_code">用户码</label>`)
		// A wrong password is refused before the code is looked at; a wrong code after.
		resp, body = b.post(e.issuer+"/device", url.Values{"user_code": {da.UserCode}, "username": {"zhangsan"}, "password": {"wrong"}})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Equal(t, "INVALID_CREDENTIALS", formValue(t, pageCode, body))
		resp, body = b.post(e.issuer+"/device", url.Values{"user_code": {"BBBB-BBBB"}, "username": {"zhangsan"}, "password": {clerkPassword}})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "DEVICE_CODE_INVALID", formValue(t, pageCode, body))

		// Typed as people type it: lower case, no dash.
		typed := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))
		resp, body = b.post(e.issuer+"/device", url.Values{"user_code": {typed}, "username": {"zhangsan"}, "password": {clerkPassword}})
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Contains(t, body, da.UserCode, "the code to compare")
		require.Contains(t, body, "高兴办命令行工具")
		select {
		case got := <-tokens:
			t.Fatalf("tokens before approval: %v", got)
		default:
		}
		resp, body = b.post(e.issuer+"/device/approve", url.Values{"step": {formValue(t, stepField, body)}, "decision": {"approve"}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, "已授权")

		got := <-tokens
		tok, ok := got.(*oauth2.Token)
		require.True(t, ok, "%v", got)
		require.NotEmpty(t, tok.RefreshToken)
		p, err := e.verifier().Verify(ctx, tok.AccessToken)
		require.NoError(t, err)
		require.Equal(t, authn.Principal{Subject: clerkAccount.ID, Tenant: clerkAccount.Tenant, Kind: authn.Staff,
			Scopes: []string{"openid", "offline_access"}, ClientID: "cli"}, p) // profile is not an API scope
		// One token response per approval.
		_, err = cfg.DeviceAccessToken(ctx, da)
		require.Equal(t, "access_denied", oauthError(t, err))
		// The refresh token rotates like the console's.
		fresh, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		require.NoError(t, err)
		require.NotEqual(t, tok.RefreshToken, fresh.RefreshToken)

		// A denial ends the device's wait with access_denied.
		da, err = cfg.DeviceAuth(ctx)
		require.NoError(t, err)
		tokens = poll(ctx, cfg, da)
		_, body = b.post(e.issuer+"/device", url.Values{"user_code": {da.UserCode}, "username": {"zhangsan"}, "password": {clerkPassword}})
		resp, body = b.post(e.issuer+"/device/approve", url.Values{"step": {formValue(t, stepField, body)}, "decision": {"deny"}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, "已拒绝")
		err, _ = (<-tokens).(error)
		require.Equal(t, "access_denied", oauthError(t, err))
	})
}

// TestDeviceFirstSignInChoosesNewPassword: the command line's sign-in also makes an
// account whose password someone else chose choose a new one before it can approve.
func TestDeviceFirstSignInChoosesNewPassword(t *testing.T) {
	e := start(t, testenv.SQLite(t), func(c *idp.Config) { c.DevicePollInterval = time.Second })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := e.cli()
	da, err := cfg.DeviceAuth(ctx)
	require.NoError(t, err)
	tokens := poll(ctx, cfg, da)
	b := newBrowser(t)
	_, body := b.post(e.issuer+"/device", url.Values{"user_code": {da.UserCode}, "username": {"wangwu"}, "password": {newcomerPassword}})
	require.Contains(t, body, "首次登录请设置新密码")
	resp, body := b.post(e.issuer+"/password", url.Values{"step": {formValue(t, stepField, body)},
		"new_password": {"Mine-Now-2026"}, "confirm_password": {"Mine-Now-2026"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, da.UserCode, "then the approval")
	_, body = b.post(e.issuer+"/device/approve", url.Values{"step": {formValue(t, stepField, body)}, "decision": {"approve"}})
	require.Contains(t, body, "已授权")
	tok, ok := (<-tokens).(*oauth2.Token)
	require.True(t, ok)
	p, err := e.verifier().Verify(ctx, tok.AccessToken)
	require.NoError(t, err)
	require.Equal(t, newcomerAccount.ID, p.Subject)
}
