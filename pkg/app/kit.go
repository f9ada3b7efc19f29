package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/go-kit/kit/endpoint"

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
	// Revocations is the set of revoked tokens the verifier refuses (from etcd, current
	// within a watch round trip of identity's revocation).
	Revocations *authn.Revocations
	// rules is every method's rule, the RPCs' (Security) and the routes' (Route); the
	// chain looks a method's rule up when the method is registered.
	rules map[string]authz.Rule
}

// Close releases the enforcer's etcd watch.
func (k *Kit) Close() error { return k.Enforcer.Close() }

// NewKit builds the service named name with the one chain every service uses, after the
// kit's own tracing, metrics, logging and recovery: authentication (bearer tokens checked
// offline against env.Auth, revoked ones refused through the revocation set in etcd),
// authorization (Casbin policy from etcd, sec.Rules per method,
// failing closed) and idempotency keys (records in db, scoped by the caller).
func NewKit(ctx context.Context, env Env, name string, db *sqlstore.DB, sec Security) (*Kit, error) {
	if env.Logger == nil {
		env.Logger = slog.Default()
	}
	// Revocations follow etcd until ctx (the service's run) ends.
	revocations, err := authn.WatchRevocations(ctx, env.Etcd)
	if err != nil {
		return nil, fmt.Errorf("%s: token revocations: %w", name, err)
	}
	verifier, err := authn.NewVerifier(env.Auth.Issuer, env.Auth.Audience, env.Auth.Keys(), authn.WithRevocations(revocations))
	if err != nil {
		return nil, fmt.Errorf("%s: token verifier: %w", name, err)
	}
	enforcer, err := authz.New(ctx, env.Etcd, authz.DefaultPrefix, authz.WithLogger(env.Logger))
	if err != nil {
		return nil, fmt.Errorf("%s: authorization: %w", name, err)
	}
	rules := make(map[string]authz.Rule, len(sec.Rules))
	for method, r := range sec.Rules {
		rules[method] = r
	}
	// Public methods pass authentication without a token. The rule is looked up when a
	// method is registered, so routes whose rules come with them (Route) are known then.
	authenticate := func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
		if rules[m.FullName()].Public {
			return verifier.Middleware(m.FullName())(m, next)
		}
		return verifier.Middleware()(m, next)
	}
	svc := kit.New(name, kit.WithLogger(env.Logger), kit.WithMiddleware(
		authenticate,
		authz.Middleware(enforcer, Subject, rules),
		idempotency.Middleware(db, idempotency.WithScope(func(ctx context.Context) string {
			s, _ := Subject(ctx)
			return s
		})),
	))
	return &Kit{Service: svc, Verifier: verifier, Enforcer: enforcer, Revocations: revocations, rules: rules}, nil
}

// Route adds a plain-HTTP route (kit.Service.Route) behind the standard chain, with the
// rule that authorizes its calls declared here, beside the route. It panics, stopping the
// service at start-up, when the rule is not valid (a route without a rule cannot be
// registered) or the method already has one.
func (k *Kit) Route(pattern, name string, rule authz.Rule, h kit.RouteFunc, opts ...kit.RouteOption) {
	full := k.Name() + "." + name
	if !rule.Valid() {
		panic(fmt.Sprintf("app: route %s (%s) needs a valid authorization rule, got %+v", full, pattern, rule))
	}
	if _, dup := k.rules[full]; dup {
		panic(fmt.Sprintf("app: route %s (%s): the method already has a rule", full, pattern))
	}
	k.rules[full] = rule
	k.Service.Route(pattern, name, h, opts...)
}

// Subject is the authenticated caller's subject, from the context authn filled.
func Subject(ctx context.Context) (string, bool) {
	p, ok := authn.FromContext(ctx)
	if !ok || p.Subject == "" {
		return "", false
	}
	return p.Subject, true
}
