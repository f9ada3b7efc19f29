package identity

import (
	"context"
	"net/http"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/identity/oidc"
)

// OIDCProvider is the ProviderFunc of package oidc's OpenID Provider. Fields of cfg left
// empty are filled from the service: the issuer (env.Auth.Issuer), the logger and the
// sealing keys for the signing keys at rest. An http:// issuer is allowed (the provider
// accepts it on loopback addresses only), for development.
func OIDCProvider(cfg oidc.Config) ProviderFunc {
	return func(ctx context.Context, deps ProviderDeps) (map[string]http.Handler, error) {
		if cfg.Issuer == "" {
			cfg.Issuer = deps.Issuer
		}
		if cfg.Logger == nil {
			cfg.Logger = deps.Logger
		}
		if cfg.KeySealer == nil {
			cfg.KeySealer = deps.Ring
		}
		if cfg.Audit == nil {
			cfg.Audit = deps.Audit
		}
		if cfg.Revocations == nil {
			cfg.Revocations = deps.Revocations
		}
		if strings.HasPrefix(cfg.Issuer, "http://") {
			cfg.Insecure = true
		}
		p, err := oidc.New(ctx, cfg, oidcDirectory{deps.Directory}, deps.DB, deps.Etcd)
		if err != nil {
			return nil, err
		}
		if deps.Go != nil {
			deps.Go(app.Loop{Name: "identity-oidc-prune", Run: p.Prune})
		}
		if c, ok := deps.Directory.(*Core); ok {
			c.endSessions = p.EndSessions // password changes end the sign-ins the provider holds
		}
		return p.Routes(), nil
	}
}

// oidcDirectory hands Directory to the provider, which keeps its own copy of the types
// (it cannot import this package).
type oidcDirectory struct{ d Directory }

func (o oidcDirectory) Authenticate(ctx context.Context, username, password, address string) (oidc.Account, error) {
	a, err := o.d.Authenticate(ctx, username, password, address)
	return oidc.Account(a), err
}

func (o oidcDirectory) AccountByID(ctx context.Context, id string) (oidc.Account, error) {
	a, err := o.d.AccountByID(ctx, id)
	return oidc.Account(a), err
}

func (o oidcDirectory) Client(ctx context.Context, id string) (oidc.Client, error) {
	c, err := o.d.Client(ctx, id)
	return oidc.Client(c), err
}

func (o oidcDirectory) CheckClientSecret(ctx context.Context, id, secret string) error {
	return o.d.CheckClientSecret(ctx, id, secret)
}

func (o oidcDirectory) ChooseNewPassword(ctx context.Context, id, next string) error {
	return o.d.ChooseNewPassword(ctx, id, next)
}
