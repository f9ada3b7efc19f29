package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The command line's sign-in: `gaoxing login` runs the device authorization grant (RFC
// 8628) as the identity service's public client "cli", keeps the tokens in the user's
// config directory, and `gaoxing api` sends them, refreshing them when they expire.

const (
	cliClientID      = "cli"
	cliScopes        = "openid profile offline_access"
	defaultURL       = "http://127.0.0.1:8080"
	credentialsFile  = "credentials.json"
	deviceGrant      = "urn:ietf:params:oauth:grant-type:device_code"
	refreshAhead     = 30 * time.Second // refresh an access token this long before it expires
	cliHTTPTimeout   = 30 * time.Second
	maxResponseBytes = 64 << 20
)

// credentials are what a sign-in leaves in the user's config directory.
type credentials struct {
	URL          string    `json:"url"`            // the platform's base URL
	TokenURL     string    `json:"token_endpoint"` // from discovery
	RevokeURL    string    `json:"revocation_endpoint"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
}

// credentialsPath is <user config dir>/gaoxing/credentials.json ($XDG_CONFIG_HOME on Linux).
func credentialsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "gaoxing", credentialsFile), nil
}

func loadCredentials() (credentials, error) {
	var c credentials
	path, err := credentialsPath()
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, errors.New("not signed in: run gaoxing login first")
	}
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

// save writes the credentials readable by their owner only, replacing the file at once.
func (c credentials) save() error {
	path, err := credentialsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// oauthError is an OAuth error response (RFC 6749 §5.2).
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *oauthError) Error() string {
	if e.Description != "" {
		return e.Code + ": " + e.Description
	}
	return e.Code
}

// tokenResponse is a token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// postForm posts form and decodes a 2xx JSON answer into out, or returns the OAuth error.
func postForm(ctx context.Context, client *http.Client, endpoint string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &oauthError{}
		if json.Unmarshal(body, e) != nil || e.Code == "" {
			return fmt.Errorf("%s answered %s", endpoint, resp.Status)
		}
		return e
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// discover reads the provider's endpoints from the platform at base.
func discover(ctx context.Context, client *http.Client, base string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/identity/.well-known/openid-configuration", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery at %s answered %s", base, resp.Status)
	}
	var d map[string]any
	return d, json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d)
}

func loginCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", defaultURL, "the platform's `URL` (the launcher's port or the ingress)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: gaoxing login [--url URL]\n\nSigns in through the browser (device flow) and keeps the tokens for gaoxing api.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if err := login(ctx, strings.TrimSuffix(*base, "/"), stdout); err != nil {
		fmt.Fprintf(stderr, "gaoxing login: %v\n", err)
		return 1
	}
	return 0
}

func login(ctx context.Context, base string, stdout io.Writer) error {
	client := &http.Client{Timeout: cliHTTPTimeout}
	d, err := discover(ctx, client, base)
	if err != nil {
		return err
	}
	deviceURL, _ := d["device_authorization_endpoint"].(string)
	tokenURL, _ := d["token_endpoint"].(string)
	revokeURL, _ := d["revocation_endpoint"].(string)
	if deviceURL == "" || tokenURL == "" {
		return errors.New("the platform offers no device sign-in")
	}
	var da struct {
		DeviceCode              string `json:"device_code"`
		UserCode                string `json:"user_code"`
		VerificationURI         string `json:"verification_uri"`
		VerificationURIComplete string `json:"verification_uri_complete"`
		ExpiresIn               int64  `json:"expires_in"`
		Interval                int64  `json:"interval"`
	}
	if err := postForm(ctx, client, deviceURL, url.Values{"client_id": {cliClientID}, "scope": {cliScopes}}, &da); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "请在浏览器中打开 %s\n并输入用户码: %s\n(或直接打开 %s)\n等待授权…\n", da.VerificationURI, da.UserCode, da.VerificationURIComplete)

	interval := time.Duration(max(da.Interval, 1)) * time.Second
	deadline := time.Now().Add(time.Duration(da.ExpiresIn) * time.Second)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
		var tok tokenResponse
		err := postForm(ctx, client, tokenURL, url.Values{"grant_type": {deviceGrant}, "device_code": {da.DeviceCode}, "client_id": {cliClientID}}, &tok)
		var oe *oauthError
		switch {
		case errors.As(err, &oe) && oe.Code == "authorization_pending":
			if time.Now().After(deadline) {
				return errors.New("the user code expired before it was approved; run gaoxing login again")
			}
			continue
		case errors.As(err, &oe) && oe.Code == "slow_down":
			interval += 5 * time.Second // RFC 8628 §3.5
			continue
		case errors.As(err, &oe) && oe.Code == "access_denied":
			return errors.New("sign-in denied in the browser")
		case errors.As(err, &oe) && oe.Code == "expired_token":
			return errors.New("the user code expired before it was approved; run gaoxing login again")
		case err != nil:
			return err
		}
		c := credentials{URL: base, TokenURL: tokenURL, RevokeURL: revokeURL, AccessToken: tok.AccessToken,
			RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)}
		if err := c.save(); err != nil {
			return err
		}
		path, _ := credentialsPath()
		fmt.Fprintf(stdout, "已登录 %s（凭据保存在 %s）\n", base, path)
		return nil
	}
}

// fresh returns the credentials with an access token that is not about to expire,
// refreshing (and saving) them when it is.
func (c credentials) fresh(ctx context.Context, client *http.Client) (credentials, error) {
	if time.Now().Add(refreshAhead).Before(c.Expiry) {
		return c, nil
	}
	if c.RefreshToken == "" {
		return c, errors.New("the sign-in has expired: run gaoxing login again")
	}
	var tok tokenResponse
	err := postForm(ctx, client, c.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.RefreshToken}, "client_id": {cliClientID}}, &tok)
	var oe *oauthError
	if errors.As(err, &oe) {
		return c, fmt.Errorf("the sign-in has ended (%s): run gaoxing login again", oe.Code)
	}
	if err != nil {
		return c, err
	}
	c.AccessToken, c.Expiry = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second)
	if tok.RefreshToken != "" {
		c.RefreshToken = tok.RefreshToken // rotated: the old one is spent
	}
	return c, c.save()
}

// apiMethods are the methods gaoxing api sends.
var apiMethods = map[string]bool{http.MethodGet: true, http.MethodPost: true, http.MethodPatch: true, http.MethodDelete: true, http.MethodPut: true}

func apiCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("d", "", "JSON request `body`; @file reads a file, @- standard input")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: gaoxing api GET|POST|PATCH|PUT|DELETE /api/... [-d JSON]\n\nCalls the platform as the signed-in person (gaoxing login) and prints the JSON answer.\n\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after the method and path.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) != 2 || !apiMethods[strings.ToUpper(pos[0])] || !strings.HasPrefix(pos[1], "/") {
		fs.Usage()
		return 2
	}
	var body []byte
	var err error
	switch {
	case *data == "@-":
		body, err = io.ReadAll(os.Stdin)
	case strings.HasPrefix(*data, "@"):
		body, err = os.ReadFile(strings.TrimPrefix(*data, "@"))
	default:
		body = []byte(*data)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gaoxing api: %v\n", err)
		return 2
	}
	return callAPI(ctx, strings.ToUpper(pos[0]), pos[1], body, stdout, stderr)
}

// callAPI sends one request and prints the answer: the JSON (indented) on stdout when it
// succeeds, the status and the stable error code on stderr (exit 1) when it does not.
func callAPI(ctx context.Context, method, path string, body []byte, stdout, stderr io.Writer) int {
	client := &http.Client{Timeout: cliHTTPTimeout}
	c, err := loadCredentials()
	if err == nil {
		c, err = c.fresh(ctx, client)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gaoxing api: %v\n", err)
		return 1
	}
	var in io.Reader
	if len(body) > 0 {
		in = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, in)
	if err != nil {
		fmt.Fprintf(stderr, "gaoxing api: %v\n", err)
		return 2
	}
	req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "gaoxing api: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		fmt.Fprintf(stderr, "gaoxing api: %v\n", err)
		return 1
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = append(pretty.Bytes(), '\n')
	}
	if resp.StatusCode/100 == 2 {
		_, _ = stdout.Write(out)
		return 0
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(out, &e) == nil && e.Error.Code != "" {
		fmt.Fprintf(stderr, "gaoxing api: %s %s: %s\n", resp.Status, e.Error.Code, e.Error.Message)
	} else {
		fmt.Fprintf(stderr, "gaoxing api: %s\n", resp.Status)
	}
	_, _ = stdout.Write(out)
	return 1
}

func logoutCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: gaoxing logout\n\nEnds the command line's sign-in at the platform and forgets its tokens.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	c, err := loadCredentials()
	if err != nil {
		fmt.Fprintf(stderr, "gaoxing logout: %v\n", err)
		return 1
	}
	// Revoking the refresh token ends the whole sign-in: its access tokens are published
	// as revoked and every service refuses them.
	if c.RevokeURL != "" && c.RefreshToken != "" {
		err = postForm(ctx, &http.Client{Timeout: cliHTTPTimeout}, c.RevokeURL,
			url.Values{"token": {c.RefreshToken}, "token_type_hint": {"refresh_token"}, "client_id": {cliClientID}}, nil)
		if err != nil {
			fmt.Fprintf(stderr, "gaoxing logout: revoking at %s: %v (the tokens are kept; try again)\n", c.URL, err)
			return 1
		}
	}
	path, err := credentialsPath()
	if err == nil {
		err = os.Remove(path)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gaoxing logout: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "已退出登录 %s\n", c.URL)
	return 0
}
