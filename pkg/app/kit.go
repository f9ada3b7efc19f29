package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/idempotency"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Kit is a service's transport kit with the standard chain wired in, and the shared
// parts it was built from, for the service to use too (row filters need the enforcer).
type Kit struct {
	*kit.Service
	Verifier *authn.Verifier
	Enforcer *authz.Enforcer
	// Revocations is the set of revoked tokens the verifier refuses (from etcd, current
	// within a watch round trip of identity's revocation).
	Revocations *authn.Revocations
	Tree        *tenancy.Tree
	// Owners is the service's owner lookup for the owner check of APPLICANTS_OWN methods:
	// a service with such methods sets it (Owners.Set) before registering them.
	Owners *authz.Owners
}

// Close releases the etcd watches of the enforcer, the tenant tree and the revocations.
func (k *Kit) Close() error {
	return errors.Join(k.Enforcer.Close(), k.Tree.Close(), k.Revocations.Close())
}

// NewKit builds the service named name with the one chain every service uses, after the
// kit's own tracing, metrics, logging and recovery: authentication (bearer tokens checked
// offline against env.Auth, revoked ones refused through the revocation set in etcd;
// optional on public methods), the tenant check (tenancy.Guard over the tree in etcd: the
// tenant a request names exists, is enabled and has this service), authorization (Casbin
// policy from etcd, each method's rule from its contract or its route, failing closed)
// and idempotency keys (records in db, scoped by the caller). A method registered with a
// malformed rule stops the service from starting.
func NewKit(ctx context.Context, env Env, name string, db *sqlstore.DB) (*Kit, error) {
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	// Revocations follow etcd until Close (the service's run ends).
	revocations, err := authn.WatchRevocations(ctx, env.Etcd)
	if err != nil {
		return nil, fmt.Errorf("%s: token revocations: %w", name, err)
	}
	verifier, err := authn.NewVerifier(env.Auth.Issuer, env.Auth.Audience, env.Auth.Keys(), authn.WithRevocations(revocations))
	if err != nil {
		_ = revocations.Close()
		return nil, fmt.Errorf("%s: token verifier: %w", name, err)
	}
	enforcer, err := authz.New(ctx, env.Etcd, authz.DefaultPrefix, authz.WithLogger(env.Logger))
	if err != nil {
		_ = revocations.Close()
		return nil, fmt.Errorf("%s: authorization: %w", name, err)
	}
	tree, err := tenancy.OpenTree(ctx, env.Etcd, tenancy.DefaultTreePrefix)
	if err != nil {
		_ = errors.Join(enforcer.Close(), revocations.Close())
		return nil, fmt.Errorf("%s: tenant tree: %w", name, err)
	}
	authenticate := verifier.Middleware()
	owners := &authz.Owners{}
	svc := kit.New(name, kit.WithLogger(env.Logger), kit.WithRuleCheck(authz.CheckRule), kit.WithMiddleware(
		func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
			if m.Rule != nil && m.Rule.Public {
				return verifier.Middleware(m.FullName())(m, next)
			}
			return authenticate(m, next)
		},
		tenancy.Guard(tree),
		authz.Middleware(enforcer, authn.Subject, authz.WithOwners(owners)),
		idempotency.Middleware(db, idempotency.WithScope(func(ctx context.Context) string {
			s, _ := authn.Subject(ctx)
			return s
		})),
	))
	return &Kit{Service: svc, Verifier: verifier, Enforcer: enforcer, Revocations: revocations, Tree: tree, Owners: owners}, nil
}
