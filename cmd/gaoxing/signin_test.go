package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/services/identity"
)

// TestCommandLineSignIn drives the scripts' sign-in against a real launcher: gaoxing login
// prints a verification URL and a user code, a person approves it in the browser (an
// HTTP client going through the provider's pages), the tokens land in the user's config
// directory readable by the owner only; gaoxing api calls the platform with them,
// prints the answer, fails with the stable error code, refreshes an expired access
// token; gaoxing logout revokes the sign-in everywhere.
func TestCommandLineSignIn(t *testing.T) {
	p := startPlatform(t)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	path, err := credentialsPath()
	require.NoError(t, err)

	// Before any sign-in.
	code, _, stderr := runCLI(t, "api", "GET", "/api/identity/v1/tenants/ahz/tenants")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "gaoxing login")

	out, w := io.Pipe()
	done := make(chan int, 1)
	var loginErr strings.Builder
	go func() {
		done <- run([]string{"login", "--url", p.base}, w, &loginErr)
		_ = w.Close()
	}()
	lines := bufio.NewScanner(out)
	var verification, userCode string
	for (verification == "" || userCode == "") && lines.Scan() {
		if m := regexp.MustCompile(`打开 (http\S+/device)$`).FindStringSubmatch(lines.Text()); m != nil {
			verification = m[1]
		}
		if m := regexp.MustCompile(`用户码: ([A-Z]{4}-[A-Z]{4})$`).FindStringSubmatch(lines.Text()); m != nil {
			userCode = m[1]
		}
	}
	require.Equal(t, p.issuer+"/device", verification)
	require.NotEmpty(t, userCode)
	var rest strings.Builder
	drained := make(chan struct{})
	go func() { _, _ = io.Copy(&rest, out); close(drained) }()

	approveDevice(t, verification, userCode)
	select {
	case code := <-done:
		require.Equal(t, 0, code, loginErr.String())
	case <-time.After(time.Minute):
		t.Fatal("gaoxing login did not finish within a minute of the approval")
	}
	<-drained
	require.Contains(t, rest.String(), "已登录")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// A read, a write with a body, and a failure with its stable code.
	code, stdout, stderr := runCLI(t, "api", "GET", "/api/identity/v1/tenants/ahz/tenants")
	require.Equal(t, 0, code, stderr)
	require.True(t, json.Valid([]byte(stdout)), stdout)
	require.Contains(t, stdout, "tenants/ahz.s01")
	code, stdout, stderr = runCLI(t, "api", "POST", "/api/identity/v1/tenants/ahz.s01/users", "-d",
		`{"user":{"username":"clerk.cli","displayName":"命令行","kind":"staff"},"password":"Clerk-Cli-2026"}`)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `"username": "clerk.cli"`)
	code, _, stderr = runCLI(t, "api", "POST", "/api/identity/v1/tenants/ahz.s01/users", "-d",
		`{"user":{"username":"clerk.cli","displayName":"命令行","kind":"staff"},"password":"Clerk-Cli-2026"}`)
	require.Equal(t, 1, code)
	require.Regexp(t, `^gaoxing api: 409 Conflict USERNAME_TAKEN: `, stderr)

	// An expired access token is refreshed (and the rotated refresh token kept).
	before := readCredentials(t, path)
	before.Expiry = time.Now().Add(-time.Minute)
	require.NoError(t, before.save())
	code, _, stderr = runCLI(t, "api", "GET", "/api/identity/v1/tenants/ahz/tenants")
	require.Equal(t, 0, code, stderr)
	after := readCredentials(t, path)
	require.NotEqual(t, before.RefreshToken, after.RefreshToken)
	require.NotEqual(t, before.AccessToken, after.AccessToken)
	require.True(t, after.Expiry.After(time.Now()))

	// Signing out ends the sign-in at every service and forgets the tokens.
	code, stdout, stderr = runCLI(t, "logout")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "已退出登录")
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
	p.refusedWithin(t, after.AccessToken)
	require.Equal(t, http.StatusBadRequest, p.tokenRequest(t, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {after.RefreshToken}, "client_id": {"cli"}}, "", nil))
}

// approveDevice is a person at the verification page: the code, their name and
// password, then the approval after comparing the code shown.
func approveDevice(t *testing.T, verification, userCode string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(verification + "?user_code=" + url.QueryEscape(userCode))
	require.NoError(t, err)
	require.Contains(t, readAll(t, resp), `value="`+userCode+`"`)
	resp, err = browser.PostForm(verification, url.Values{"user_code": {userCode}, "username": {identity.AdminUsername}, "password": {adminPassword}})
	require.NoError(t, err)
	body := readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, userCode)
	m := stepField.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	resp, err = browser.PostForm(verification+"/approve", url.Values{"step": {m[1]}, "decision": {"approve"}})
	require.NoError(t, err)
	require.Contains(t, readAll(t, resp), "已授权")
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func readCredentials(t *testing.T, path string) credentials {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var c credentials
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

func TestAPICommandLine(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{args: []string{"api"}, code: 2, stderr: "usage: gaoxing api"},
		{args: []string{"api", "FETCH", "/api/x"}, code: 2, stderr: "usage: gaoxing api"},
		{args: []string{"api", "GET", "api/x"}, code: 2, stderr: "usage: gaoxing api"},
		{args: []string{"api", "GET", "/api/x", "-d"}, code: 2, stderr: "flag needs an argument"},
		{args: []string{"api", "GET", "/api/x"}, code: 1, stderr: "not signed in"},
		{args: []string{"logout"}, code: 1, stderr: "not signed in"},
		{args: []string{"login", "--url", "http://127.0.0.1:1"}, code: 1, stderr: "gaoxing login:"},
		{args: []string{"login", "extra"}, code: 2, stderr: "usage: gaoxing login"},
		{args: []string{"login", "-h"}, code: 0, stderr: "usage: gaoxing login"},
	} {
		t.Run(fmt.Sprint(tt.args), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			require.Equal(t, tt.code, code, stderr)
			require.Contains(t, stderr, tt.stderr)
		})
	}
}
