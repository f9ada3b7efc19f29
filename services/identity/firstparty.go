package identity

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// The platform's own public clients, registered from configuration at every start (no
// API can register anything before someone holds a token). Their ids lack ClientPrefix,
// so no client registered through the API can take them.
const (
	ConsoleClientID = "console" // the staff console: authorization code + PKCE in the browser
	CLIClientID     = "cli"     // `gaoxing login`: the device authorization grant (RFC 8628)
)

// The environment variables (bootstrap settings, named as pkg/config names flags:
// console-redirect-uris → GAOXING_CONSOLE_REDIRECT_URIS) that set the console's URIs,
// comma-separated. Unset, they follow from the issuer: <base>/auth/callback and <base>/,
// where the issuer is <base>/api/identity (on a loopback host, for both 127.0.0.1 and
// localhost).
var (
	EnvConsoleRedirectURIs = config.EnvName("console-redirect-uris")
	EnvConsoleLogoutURIs   = config.EnvName("console-logout-uris")
)

// ConsoleCallbackPath is where the console receives the authorization code.
const ConsoleCallbackPath = "/auth/callback"

// firstPartyScopes are what the platform's own clients ask for: a sign-in, the profile
// for the header, and refresh tokens to stay signed in for a working day.
var firstPartyScopes = []string{"openid", "profile", "offline_access"}

// ConfiguredClient is a public client identity keeps registered as its configuration says.
type ConfiguredClient struct {
	ID           string
	DisplayName  string
	Scopes       []string
	RedirectURIs []string // authorization code + PKCE, when set
	LogoutURIs   []string
	Device       bool // the device flow
}

// FirstPartyClients are the console and the command line, with the console's URIs from
// redirect and logout, or else from the issuer (see EnvConsoleRedirectURIs). The console
// is left out when neither gives a URI (a service without an issuer, in tests).
func FirstPartyClients(issuer string, redirect, logout []string) []ConfiguredClient {
	if len(redirect) == 0 {
		for _, b := range publicBases(issuer) {
			redirect = append(redirect, b+ConsoleCallbackPath)
		}
	}
	if len(logout) == 0 {
		// The console's own start page, beside each callback.
		for _, r := range redirect {
			if base, ok := strings.CutSuffix(r, ConsoleCallbackPath); ok {
				logout = append(logout, base+"/")
			} else if u, err := url.Parse(r); err == nil {
				logout = append(logout, u.Scheme+"://"+u.Host+"/")
			}
		}
		slices.Sort(logout)
		logout = slices.Compact(logout)
	}
	out := []ConfiguredClient{{ID: CLIClientID, DisplayName: "高兴办命令行工具", Scopes: firstPartyScopes, Device: true}}
	if len(redirect) > 0 {
		out = append(out, ConfiguredClient{ID: ConsoleClientID, DisplayName: "高兴办工作台", Scopes: firstPartyScopes,
			RedirectURIs: redirect, LogoutURIs: logout})
	}
	return out
}

// publicBases is the base the issuer is served under (the issuer minus its /api/identity),
// and its loopback twin: a browser on this machine may use either name.
func publicBases(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/"+Name)
	u.RawQuery, u.Fragment = "", ""
	bases := []string{strings.TrimSuffix(u.String(), "/")}
	twin := ""
	switch h := u.Hostname(); {
	case h == "localhost":
		twin = "127.0.0.1"
	case net.ParseIP(h) != nil && net.ParseIP(h).IsLoopback():
		twin = "localhost"
	}
	if twin != "" {
		if p := u.Port(); p != "" {
			twin = net.JoinHostPort(twin, p)
		}
		u.Host = twin
		bases = append(bases, strings.TrimSuffix(u.String(), "/"))
	}
	return bases
}

// envList reads a comma-separated list from the environment.
func envList(name string) []string {
	var l config.List
	_ = l.Set(os.Getenv(name))
	return l
}

// EnsureClients registers each configured client at the first root tenant, or brings
// its registration up to date with the configuration; a client an administrator disabled
// stays disabled. Every change is audited; an unchanged configuration changes nothing, so
// replicas starting together and restarts are harmless. It reports what it changed.
func (c *Core) EnsureClients(ctx context.Context, clients []ConfiguredClient) ([]string, error) {
	var changed []string
	for _, cc := range clients {
		ok, err := c.ensureClient(ctx, cc)
		if errors.Is(err, sqlstore.ErrDuplicate) {
			ok, err = c.ensureClient(ctx, cc) // another replica registered it a moment ago
		}
		if err != nil {
			return changed, fmt.Errorf("client %s: %w", cc.ID, err)
		}
		if ok {
			changed = append(changed, cc.ID)
		}
	}
	return changed, nil
}

func (c *Core) ensureClient(ctx context.Context, in ConfiguredClient) (bool, error) {
	for _, u := range append(slices.Clone(in.RedirectURIs), in.LogoutURIs...) {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.Fragment != "" {
			return false, errs.Invalid("redirect_uris", "INVALID_REDIRECT_URI", "回调地址应为完整的 http(s) 地址: "+u)
		}
	}
	roots := c.tree.Roots()
	if len(roots) == 0 {
		return false, errs.New(errs.FailedPrecondition, "NO_ROOT_TENANT", "租户树为空，无法登记平台应用")
	}
	want := OAuthClient{ID: in.ID, Tenant: roots[0].ID, DisplayName: in.DisplayName, Scopes: in.Scopes,
		RedirectURIs: in.RedirectURIs, LogoutURIs: in.LogoutURIs, Public: true, Device: in.Device, Version: 1}
	changed := false
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		now := c.now()
		r, err := c.clientWhere(ctx, `id = $1`, in.ID)
		switch {
		case errors.Is(err, ErrClientNotFound):
			want.CreateTime = now
			if _, err := c.db.Exec(ctx, `INSERT INTO clients (id, tenant, display_name, scopes, redirect_uris, logout_uris, public, device,
				secret_hash, version, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, '', 1, $8, $8)`,
				want.ID, string(want.Tenant), want.DisplayName, strings.Join(want.Scopes, " "), strings.Join(want.RedirectURIs, " "),
				strings.Join(want.LogoutURIs, " "), want.Device, now.UnixMicro()); err != nil {
				return err
			}
			changed = true
			_, err := c.audit.Record(ctx, audit.Entry{Tenant: want.Tenant, Actor: "system:bootstrap", Action: "identity.RegisterClient",
				Resource: want.Name(), After: want})
			return err
		case err != nil:
			return err
		}
		if r.DisplayName == want.DisplayName && slices.Equal(r.Scopes, want.Scopes) && slices.Equal(r.RedirectURIs, want.RedirectURIs) &&
			slices.Equal(r.LogoutURIs, want.LogoutURIs) && r.Public && r.Device == want.Device {
			return nil
		}
		res, err := c.db.Exec(ctx, `UPDATE clients SET display_name = $1, scopes = $2, redirect_uris = $3, logout_uris = $4, public = TRUE,
			device = $5, secret_hash = '', version = version + 1, update_time = $6 WHERE id = $7 AND version = $8`,
			want.DisplayName, strings.Join(want.Scopes, " "), strings.Join(want.RedirectURIs, " "), strings.Join(want.LogoutURIs, " "),
			want.Device, now.UnixMicro(), in.ID, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.ErrStaleVersion
		}
		changed = true
		after := want
		after.Tenant, after.Disabled, after.Version, after.CreateTime = r.Tenant, r.Disabled, r.Version+1, r.CreateTime
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: r.Tenant, Actor: "system:bootstrap", Action: "identity.UpdateClient",
			Resource: r.Name(), Before: r.OAuthClient, After: after})
		return err
	})
	return changed, err
}
