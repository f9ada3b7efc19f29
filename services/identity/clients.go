package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

var (
	clientSlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,30}$`)
	scopePattern      = regexp.MustCompile(`^[a-z][a-z0-9._:-]{0,63}$`)
)

// ClientPrefix starts every client_id, so a client id never looks like a role name.
const ClientPrefix = "svc-"

// NewClient is what registering a client takes.
type NewClient struct {
	Tenant      tenancy.ID
	Slug        string // the client_id becomes svc-{slug}; empty: random
	DisplayName string
	// Scopes the client may be granted. A token request naming a scope outside this list
	// is refused (invalid_scope); the token carries what was granted in its scope claim.
	// Scopes only narrow what a client asks for: what it may do at a service is decided by
	// the roles granted to it (authz), which no scope widens, and no service checks a
	// scope today.
	Scopes       []string
	RedirectURIs []string
	Public       bool // the console: no secret, PKCE
}

// newSecret returns a client secret (256 random bits) and the digest stored for it. A
// secret this long needs no slow hash: SHA-256 keeps the client-credentials grant fast.
func newSecret() (secret, digest string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, secretDigest(secret)
}

func secretDigest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// RegisterClient registers a client for a tenant and returns it with its secret, which is
// shown this once and stored only as a digest (none for a public client).
func (c *Core) RegisterClient(ctx context.Context, in NewClient) (OAuthClient, string, error) {
	if _, ok := c.tree.Get(in.Tenant); !ok {
		return OAuthClient{}, "", tenancy.ErrNotFound.WithMessage("租户 %s 不存在", in.Tenant)
	}
	id := newID(ClientPrefix)
	if in.Slug != "" {
		if !clientSlugPattern.MatchString(in.Slug) {
			return OAuthClient{}, "", errs.Invalid("client_id", "INVALID_CLIENT_ID", "应用标识应为 2 到 31 位小写字母、数字或 -")
		}
		id = ClientPrefix + strings.TrimPrefix(in.Slug, ClientPrefix)
	}
	display := strings.TrimSpace(in.DisplayName)
	if display == "" || utf8.RuneCountInString(display) > 64 {
		return OAuthClient{}, "", errs.Invalid("client.display_name", "INVALID_DISPLAY_NAME", "应用名称不能为空，且不超过 64 个字")
	}
	for i, s := range in.Scopes {
		if !scopePattern.MatchString(s) || slices.Contains(in.Scopes[:i], s) {
			return OAuthClient{}, "", errs.Invalid("client.scopes", "INVALID_SCOPE", "权限范围无效或重复: "+s)
		}
	}
	for _, u := range in.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.Fragment != "" {
			return OAuthClient{}, "", errs.Invalid("client.redirect_uris", "INVALID_REDIRECT_URI", "回调地址应为完整的 http(s) 地址: "+u)
		}
	}
	if in.Public && len(in.RedirectURIs) == 0 {
		return OAuthClient{}, "", errs.Invalid("client.redirect_uris", "REDIRECT_URI_REQUIRED", "公开应用（控制台）必须登记回调地址")
	}
	now := c.now()
	cl := OAuthClient{ID: id, Tenant: in.Tenant, DisplayName: display, Scopes: slices.Clone(in.Scopes),
		RedirectURIs: slices.Clone(in.RedirectURIs), Public: in.Public, Version: 1, CreateTime: now}
	secret, digest := "", ""
	if !in.Public {
		secret, digest = newSecret()
	}
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		_, err := c.db.Exec(ctx, `INSERT INTO clients (id, tenant, display_name, scopes, redirect_uris, public, secret_hash, version, create_time, update_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)`, cl.ID, string(cl.Tenant), cl.DisplayName,
			strings.Join(cl.Scopes, " "), strings.Join(cl.RedirectURIs, " "), cl.Public, digest, now.UnixMicro())
		if errors.Is(err, sqlstore.ErrDuplicate) {
			return ErrClientExists.WithMessage("应用标识 %s 已被使用", cl.ID)
		}
		if err != nil {
			return err
		}
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: cl.Tenant, Action: "identity.RegisterClient", Resource: cl.Name(), After: cl})
		return err
	})
	if err != nil {
		return OAuthClient{}, "", err
	}
	return cl, secret, nil
}

// GetClient returns the client tenant/id.
func (c *Core) GetClient(ctx context.Context, tenant tenancy.ID, id string) (OAuthClient, error) {
	r, err := c.clientWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
	return r.OAuthClient, err
}

// RotateClientSecret replaces a confidential client's secret; the old one stops working
// at once. The new secret is returned this once.
func (c *Core) RotateClientSecret(ctx context.Context, tenant tenancy.ID, id string) (OAuthClient, string, error) {
	if err := c.checkAdministers(ctx, clientsObject, id, tenant); err != nil {
		return OAuthClient{}, "", err
	}
	secret, digest := newSecret()
	var out OAuthClient
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		r, err := c.clientWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
		if err != nil {
			return err
		}
		if r.Public {
			return errs.New(errs.FailedPrecondition, "PUBLIC_CLIENT", "公开应用没有密钥")
		}
		res, err := c.db.Exec(ctx, `UPDATE clients SET secret_hash = $1, version = version + 1, update_time = $2 WHERE id = $3 AND version = $4`,
			digest, c.now().UnixMicro(), id, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.ErrStaleVersion
		}
		out = r.OAuthClient
		out.Version++
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: tenant, Action: "identity.RotateClientSecret", Resource: out.Name(),
			Before: map[string]any{"version": r.Version}, After: map[string]any{"version": out.Version}})
		return err
	})
	if err != nil {
		return OAuthClient{}, "", err
	}
	return out, secret, nil
}

// Client returns a client for the OpenID Provider.
func (c *Core) Client(ctx context.Context, id string) (Client, error) {
	r, err := c.clientWhere(ctx, `id = $1`, id)
	if err != nil {
		return Client{}, err
	}
	return r.directory(), nil
}

// CheckClientSecret verifies a confidential client's secret in constant time. Unknown
// clients, public clients and wrong secrets all get INVALID_CLIENT.
func (c *Core) CheckClientSecret(ctx context.Context, id, secret string) error {
	r, err := c.clientWhere(ctx, `id = $1`, id)
	if err != nil && !errors.Is(err, ErrClientNotFound) {
		return err
	}
	got, want := secretDigest(secret), r.secretHash
	if want == "" {
		want = strings.Repeat("0", len(got)) // same work for unknown and public clients
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 || err != nil || r.Public {
		return ErrInvalidClientCreds
	}
	if r.Disabled {
		return ErrClientDisabled
	}
	return nil
}

// SetClientEnabled disables a client or enables it again (version 0 skips the check). A
// disabled client gets no tokens, and every token issued to it until now is revoked at
// every service through a marker in etcd: its own machine tokens and people's tokens
// through it. The SQL change and its audit record commit first; setting the state a
// client already has publishes the marker again, so a retry after an etcd failure
// repairs it.
func (c *Core) SetClientEnabled(ctx context.Context, tenant tenancy.ID, id string, enabled bool, version int64) (OAuthClient, error) {
	if err := c.checkAdministers(ctx, clientsObject, id, tenant); err != nil {
		return OAuthClient{}, err
	}
	var out OAuthClient
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		r, err := c.clientWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
		if err != nil {
			return err
		}
		if version != 0 && version != r.Version {
			return errs.ErrStaleVersion
		}
		out = r.OAuthClient
		if r.Disabled == !enabled {
			return nil
		}
		res, err := c.db.Exec(ctx, `UPDATE clients SET disabled = $1, version = version + 1, update_time = $2 WHERE id = $3 AND version = $4`,
			!enabled, c.now().UnixMicro(), id, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.ErrStaleVersion
		}
		out.Disabled, out.Version = !enabled, r.Version+1
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: tenant, Action: "identity.SetClientEnabled", Resource: out.Name(),
			Before: map[string]any{"disabled": r.Disabled, "version": r.Version}, After: map[string]any{"disabled": out.Disabled, "version": out.Version}})
		return err
	})
	if err != nil || enabled {
		return out, err
	}
	// Every token issued up to the end of this second: the client gets none meanwhile.
	before := c.now().Truncate(time.Second).Add(time.Second)
	return out, authn.RevokeClient(ctx, c.etcd, id, before, c.opts.TokenLifetime)
}
