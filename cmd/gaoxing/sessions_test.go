package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/services/documents"
	"github.com/gaoxing-gov/gaoxing/services/identity"
)

// The scenarios of sessions that must end: identity issues and revokes, documents (a
// resource service in its own listener, with its own etcd watch) refuses. Everything goes
// through the launcher's one port, as a browser and a court's system do.

const (
	initialPassword = "Root-Initial-2026"                   // the bootstrap's, from the secret
	adminPassword   = "Root-Secret-2026"                    // the one the first sign-in chooses
	consoleRedirect = "http://127.0.0.1:9/console/callback" // never dialled: the client stops there
)

// platform is a launcher running identity and documents.
type platform struct {
	*running
	issuer string
}

func startPlatform(t *testing.T) *platform {
	t.Helper()
	dataDir := t.TempDir()
	// The console's public client comes from identity's configuration, as an installer
	// sets it (GAOXING_CONSOLE_REDIRECT_URIS).
	r := startLauncher(t, dataDir, &identity.Server{AdminPassword: initialPassword, Provider: identity.New().Provider,
		ConsoleRedirectURIs: []string{consoleRedirect}}, documents.New())
	waitReady(t, r.base)
	p := &platform{running: r, issuer: r.base + "/api/identity"}
	p.firstSignIn(t)
	return p
}

var stepField = regexp.MustCompile(`name="step" value="([^"]+)"`)

// firstSignIn is the administrator's first sign-in: the bootstrap's password is accepted,
// but the code comes only after a new password (adminPassword) is chosen.
func (p *platform) firstSignIn(t *testing.T) {
	t.Helper()
	p.firstSignInAs(t, identity.AdminUsername, initialPassword, adminPassword)
}

// firstSignInAs is the first sign-in of an account whose password someone else chose:
// the code comes only after the new password is chosen; it returns the tokens.
func (p *platform) firstSignInAs(t *testing.T, username, initial, chosen string) tokens {
	t.Helper()
	id, verifier, browser := p.loginForm(t)
	resp, err := browser.PostForm(p.issuer+"/login", url.Values{"id": {id}, "username": {username}, "password": {initial}})
	require.NoError(t, err)
	body := readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "首次登录请设置新密码")
	m := stepField.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	resp, err = browser.PostForm(p.issuer+"/password", url.Values{"step": {m[1]}, "new_password": {chosen}, "confirm_password": {chosen}})
	require.NoError(t, err)
	require.Equal(t, http.StatusFound, resp.StatusCode, readAll(t, resp))
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	var tok tokens
	require.Equal(t, http.StatusOK, p.tokenRequest(t, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {consoleRedirect}, "client_id": {"console"}, "code_verifier": {verifier}}, "", &tok))
	return tok
}

// tokens are what a sign-in gives the console.
type tokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	ID      string `json:"id_token"`
}

// loginForm opens the login page of a new authorization request; it returns the form's
// request id, the code verifier and the browser.
func (p *platform) loginForm(t *testing.T) (string, string, *http.Client) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), consoleRedirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {"console"}, "redirect_uri": {consoleRedirect}, "response_type": {"code"},
		"scope": {"openid offline_access"}, "state": {"s1"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	resp, err := browser.Get(p.issuer + "/authorize?" + q.Encode())
	require.NoError(t, err)
	body := readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	m := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	return m[1], verifier, browser
}

// postLogin posts the login form as if from address (X-Forwarded-For, as an ingress
// sets it); it returns the response and the error code the page shows.
func postLogin(t *testing.T, browser *http.Client, issuer, id, username, password, address string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/login", strings.NewReader(url.Values{"id": {id}, "username": {username}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", address)
	resp, err := browser.Do(req)
	require.NoError(t, err)
	if resp.StatusCode == http.StatusFound {
		return resp, ""
	}
	m := regexp.MustCompile(`data-code="([A-Z_]*)">([^<]*)<`).FindStringSubmatch(readAll(t, resp))
	require.NotNil(t, m, "status %d", resp.StatusCode)
	return resp, m[1] + " " + m[2]
}

// signIn signs username in at the console and exchanges the code.
func (p *platform) signIn(t *testing.T, username, password string) tokens {
	t.Helper()
	id, verifier, browser := p.loginForm(t)
	resp, code := postLogin(t, browser, p.issuer, id, username, password, "198.51.100.1")
	require.Empty(t, code)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	var tok tokens
	status := p.tokenRequest(t, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {consoleRedirect}, "client_id": {"console"}, "code_verifier": {verifier}}, "", &tok)
	require.Equal(t, http.StatusOK, status)
	return tok
}

// tokenRequest posts form to the token endpoint (with basic auth when secret is set).
func (p *platform) tokenRequest(t testing.TB, form url.Values, secret string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(form.Get("client_id")), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := readAll(t, resp)
	if resp.StatusCode == http.StatusOK && out != nil {
		require.NoError(t, json.Unmarshal([]byte(body), out))
	}
	return resp.StatusCode
}

// call sends an API request with token and returns the status and the error code.
func (p *platform) call(t testing.TB, method, path, token string, body any) (int, string) {
	t.Helper()
	var in io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		in = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, p.base+path, in)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code
}

// documentsList is a read at documents that a platform administrator may make.
const documentsList = "/api/documents/v1/tenants/ahz/documents"

// refusedWithin waits until documents refuses token as revoked and returns how long it took.
func (p *platform) refusedWithin(t testing.TB, token string) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		status, code := p.call(t, http.MethodGet, documentsList, token, nil)
		if status == http.StatusUnauthorized {
			require.Equal(t, "TOKEN_REVOKED", code)
			return time.Since(start)
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("token still accepted after 30 s (status %d %s)", status, code)
		}
	}
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestSessionsEnd(t *testing.T) {
	p := startPlatform(t)

	t.Run("revoked token refused by another service", func(t *testing.T) {
		tok := p.signIn(t, identity.AdminUsername, adminPassword)
		status, _ := p.call(t, http.MethodGet, documentsList, tok.Access, nil)
		require.Equal(t, http.StatusOK, status)
		resp, err := http.PostForm(p.issuer+"/revoke", url.Values{"token": {tok.Access}, "token_type_hint": {"access_token"}, "client_id": {"console"}})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
		t.Logf("refused by documents %v after the revocation answered", p.refusedWithin(t, tok.Access))
		// identity's own API refuses it too, and nothing else changed: the refresh token
		// of the same sign-in still works (only the access token was revoked).
		// (identity follows etcd through its own watch, which may be a moment behind documents'.)
		require.Eventually(t, func() bool {
			status, code := p.call(t, http.MethodGet, "/api/identity/v1/tenants/ahz/tenants", tok.Access, nil)
			return status == http.StatusUnauthorized && code == "TOKEN_REVOKED"
		}, time.Second, 5*time.Millisecond, "identity refuses the revoked token within 1 s")
		require.Equal(t, http.StatusOK, p.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh}, "client_id": {"console"}}, "", nil))
	})

	t.Run("signed-out token refused", func(t *testing.T) {
		tok := p.signIn(t, identity.AdminUsername, adminPassword)
		resp, err := http.Get(p.issuer + "/end_session?" + url.Values{"id_token_hint": {tok.ID}, "client_id": {"console"}}.Encode())
		require.NoError(t, err)
		readAll(t, resp)
		p.refusedWithin(t, tok.Access)
		require.Equal(t, http.StatusBadRequest, p.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh}, "client_id": {"console"}}, "", nil))
	})

	t.Run("password change ends sessions", func(t *testing.T) {
		other := p.signIn(t, identity.AdminUsername, adminPassword) // another browser's sign-in
		self := p.signIn(t, identity.AdminUsername, adminPassword)
		status, code := p.call(t, http.MethodPost, "/api/identity/v1/me:changePassword", self.Access,
			map[string]string{"current_password": adminPassword, "new_password": "Changed-Secret-2027"})
		require.Equal(t, http.StatusOK, status, code)
		p.refusedWithin(t, other.Access)
		p.refusedWithin(t, self.Access)
		for _, refresh := range []string{other.Refresh, self.Refresh} {
			require.Equal(t, http.StatusBadRequest, p.tokenRequest(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {"console"}}, "", nil))
		}
		// The old password is gone; the new one signs in and its token works at once.
		id, _, browser := p.loginForm(t)
		_, code = postLogin(t, browser, p.issuer, id, identity.AdminUsername, adminPassword, "198.51.100.1")
		require.Contains(t, code, "INVALID_CREDENTIALS")
		fresh := p.signIn(t, identity.AdminUsername, "Changed-Secret-2027")
		status, _ = p.call(t, http.MethodGet, documentsList, fresh.Access, nil)
		require.Equal(t, http.StatusOK, status)
		// Put it back for the other scenarios.
		status, _ = p.call(t, http.MethodPost, "/api/identity/v1/me:changePassword", fresh.Access,
			map[string]string{"current_password": "Changed-Secret-2027", "new_password": adminPassword})
		require.Equal(t, http.StatusOK, status)
	})

	t.Run("disabled client gets no token and its tokens are refused", func(t *testing.T) {
		admin := p.signIn(t, identity.AdminUsername, adminPassword)
		var reg struct {
			Client struct {
				Name, ID string
				Version  string
			}
			ClientSecret string `json:"clientSecret"`
		}
		req, _ := http.NewRequest(http.MethodPost, p.base+"/api/identity/v1/tenants/ahz/clients", strings.NewReader(
			`{"clientId":"court-01","client":{"displayName":"区法院","scopes":["cases.read"]}}`))
		req.Header.Set("Authorization", "Bearer "+admin.Access)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body := readAll(t, resp)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.NoError(t, json.Unmarshal([]byte(body), &reg))
		status, _ := p.call(t, http.MethodPost, "/api/identity/v1/roles:grant", admin.Access,
			map[string]string{"tenant": "tenants/ahz", "subject": reg.Client.Name, "role": "supervisor"})
		require.Equal(t, http.StatusOK, status)

		cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {reg.Client.ID}, "scope": {"cases.read"}}
		var machine tokens
		require.Equal(t, http.StatusOK, p.tokenRequest(t, cc, reg.ClientSecret, &machine))
		status, _ = p.call(t, http.MethodGet, documentsList, machine.Access, nil)
		require.NotEqual(t, http.StatusUnauthorized, status)
		// A scope the client was not registered for is refused.
		require.Equal(t, http.StatusBadRequest, p.tokenRequest(t, url.Values{"grant_type": {"client_credentials"},
			"client_id": {reg.Client.ID}, "scope": {"cases.write"}}, reg.ClientSecret, nil))

		status, code := p.call(t, http.MethodPost, "/api/identity/v1/"+reg.Client.Name+":setEnabled", admin.Access, map[string]any{"enabled": false})
		require.Equal(t, http.StatusOK, status, code)
		p.refusedWithin(t, machine.Access)
		require.Equal(t, http.StatusUnauthorized, p.tokenRequest(t, cc, reg.ClientSecret, nil))
	})

	t.Run("a stranger cannot hold an account; unknown names answered alike", func(t *testing.T) {
		free := identity.DefaultThrottle.AccountFree
		answers := func(username string) []string {
			var out []string
			for range free + 1 {
				id, _, browser := p.loginForm(t)
				resp, code := postLogin(t, browser, p.issuer, id, username, "Wrong-Password-1", "203.0.113.66")
				out = append(out, resp.Status+" "+code)
			}
			return out
		}
		p.signIn(t, identity.AdminUsername, adminPassword) // a success clears the name's count
		known, unknown := answers(identity.AdminUsername), answers("nobody")
		require.Equal(t, known, unknown)
		require.True(t, strings.HasPrefix(known[free], "429 "), known[free])
		require.Contains(t, known[free], "TOO_MANY_ATTEMPTS")

		// The owner, from elsewhere, is asked to wait, then signs in once the bounded
		// wait is over; attempts during the wait change nothing.
		require.Eventually(t, func() bool {
			id, _, browser := p.loginForm(t)
			resp, code := postLogin(t, browser, p.issuer, id, identity.AdminUsername, adminPassword, "198.51.100.1")
			if code != "" {
				require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, code)
			}
			return code == ""
		}, identity.DefaultThrottle.Base*4+10*time.Second, 100*time.Millisecond)
	})
}

// TestRevocationPropagation measures the time from identity's revocation call to the
// first refusal by documents, over GAOXING_MEASURE_REVOCATIONS tokens (unset: skipped, it
// is a measurement, not a check). Each round gets a machine token, sees documents accept
// it, then starts the clock, revokes it at identity's /revoke (RFC 7009) and asks
// documents until it answers 401 TOKEN_REVOKED. It logs the median, p99 and maximum.
//
//	GAOXING_MEASURE_REVOCATIONS=300 go test ./cmd/gaoxing -run TestRevocationPropagation -v
func TestRevocationPropagation(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GAOXING_MEASURE_REVOCATIONS"))
	if n <= 0 {
		t.Skip("set GAOXING_MEASURE_REVOCATIONS to the number of tokens to revoke")
	}
	p := startPlatform(t)
	admin := p.signIn(t, identity.AdminUsername, adminPassword)
	var reg struct {
		Client       struct{ Name, ID string }
		ClientSecret string `json:"clientSecret"`
	}
	req, _ := http.NewRequest(http.MethodPost, p.base+"/api/identity/v1/tenants/ahz/clients", strings.NewReader(
		`{"clientId":"bench","client":{"displayName":"测量","scopes":["cases.read"]}}`))
	req.Header.Set("Authorization", "Bearer "+admin.Access)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &reg))
	status, _ := p.call(t, http.MethodPost, "/api/identity/v1/roles:grant", admin.Access,
		map[string]string{"tenant": "tenants/ahz", "subject": reg.Client.Name, "role": "supervisor"})
	require.Equal(t, http.StatusOK, status)

	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {reg.Client.ID}}
	lat := make([]time.Duration, 0, n)
	for range n {
		var tok tokens
		require.Equal(t, http.StatusOK, p.tokenRequest(t, cc, reg.ClientSecret, &tok))
		status, _ := p.call(t, http.MethodGet, documentsList, tok.Access, nil)
		require.NotEqual(t, http.StatusUnauthorized, status)
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, p.issuer+"/revoke", strings.NewReader(url.Values{"token": {tok.Access}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(reg.Client.ID, reg.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, readAll(t, resp))
		p.refusedWithin(t, tok.Access)
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
	t.Logf("revocation → refusal by documents over %d tokens: p50 %v, p99 %v, max %v", n,
		q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
}
