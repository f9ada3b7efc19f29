package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/idempotency"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Security is what a service declares about who may call its methods: one authz rule per
// method ("<service>.<Method>" → object and action). Methods marked Public in their rule
// also pass authentication without a token.
type Security struct {
	Rules map[string]authz.Rule
}

// Kit is a service's transport kit with the standard chain wired in, and the shared
// parts it was built from, for the service to use too (row filters need the enforcer).
type Kit struct {
	*kit.Service
	Verifier *authn.Verifier
	Enforcer *authz.Enforcer
}

// Close releases the enforcer's etcd watch.
func (k *Kit) Close() error { return k.Enforcer.Close() }

// NewKit builds the service named name with the one chain every service uses, after the
// kit's own tracing, metrics, logging and recovery: authentication (bearer tokens checked
// offline against env.Auth), authorization (Casbin policy from etcd, sec.Rules per method,
// failing closed) and idempotency keys (records in db, scoped by the caller).
func NewKit(ctx context.Context, env Env, name string, db *sqlstore.DB, sec Security) (*Kit, error) {
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	verifier, err := authn.NewVerifier(env.Auth.Issuer, env.Auth.Audience, env.Auth.Keys())
	if err != nil {
		return nil, fmt.Errorf("%s: token verifier: %w", name, err)
	}
	enforcer, err := authz.New(ctx, env.Etcd, authz.DefaultPrefix, authz.WithLogger(env.Logger))
	if err != nil {
		return nil, fmt.Errorf("%s: authorization: %w", name, err)
	}
	var public []string
	for method, r := range sec.Rules {
		if r.Public {
			public = append(public, method)
		}
	}
	svc := kit.New(name, kit.WithLogger(env.Logger), kit.WithMiddleware(
		verifier.Middleware(public...),
		authz.Middleware(enforcer, Subject, sec.Rules),
		idempotency.Middleware(db, idempotency.WithScope(func(ctx context.Context) string {
			s, _ := Subject(ctx)
			return s
		})),
	))
	return &Kit{Service: svc, Verifier: verifier, Enforcer: enforcer}, nil
}

// Subject is the authenticated caller's subject, from the context authn filled.
func Subject(ctx context.Context) (string, bool) {
	p, ok := authn.FromContext(ctx)
	if !ok || p.Subject == "" {
		return "", false
	}
	return p.Subject, true
}
