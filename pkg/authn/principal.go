package authn

import (
	"context"
	"slices"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Kind is what sort of party a principal is.
type Kind string

// The kinds of principal.
const (
	Staff      Kind = "staff"      // 工作人员: clerks, handlers, stewards, supervisors, admins
	Enterprise Kind = "enterprise" // 企业: a company's account
	Citizen    Kind = "citizen"    // 群众: a person applying or complaining
	Service    Kind = "service"    // 对接系统: courts, legal aid, 12345 and other systems (client credentials)
)

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool {
	switch k {
	case Staff, Enterprise, Citizen, Service:
		return true
	}
	return false
}

// Claim names Gaoxing adds to access tokens besides the registered ones (iss, sub, aud,
// exp, nbf, iat, jti). The identity service issues them; Verify reads them.
const (
	ClaimTenant   = "tenant"    // home tenant id, e.g. "ahz.s01"; required (citizens: the district)
	ClaimKind     = "kind"      // a Kind
	ClaimScope    = "scope"     // space-separated scopes (RFC 9068)
	ClaimClientID = "client_id" // the OAuth client the token was issued to (RFC 9068)
	ClaimOrg      = "org"       // an enterprise account's enterprise: its unified social credit code
)

// Principal (主体) is the authenticated caller.
type Principal struct {
	Subject  string     // stable user or client id (the token's sub)
	Tenant   tenancy.ID // home tenant (所属租户): where the account belongs
	Kind     Kind
	Scopes   []string
	ClientID string
	// Org is an enterprise account's enterprise (its unified social credit code), shared
	// by the colleagues of one enterprise; "" for other kinds.
	Org string
}

// HasScope reports whether the token was granted scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

type contextKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, contextKey{}, p)
}

// FromContext returns the principal in ctx; false when the call is unauthenticated (a
// public method called without a token, or no authn middleware at all).
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(contextKey{}).(Principal)
	return p, ok
}

// Subject is the authenticated caller's subject; false when the call is unauthenticated
// or its principal names no subject. Business logic records it as the actor of a change.
func Subject(ctx context.Context) (string, bool) {
	p, ok := FromContext(ctx)
	if !ok || p.Subject == "" {
		return "", false
	}
	return p.Subject, true
}
