package authn

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
	// ClaimActsFor is a 帮代办 agent's mandates (委托): a JSON array of the parties that
	// mandated it, each "sub:<citizen account>" or "org:<unified social credit code>", at
	// most MaxMandates. Identity adds it to the tokens of accounts holding the agent role.
	ClaimActsFor = "acts_for"
)

// MaxMandates bounds a principal's mandates: the lists go into tokens and into the SQL
// of applicants' lists.
const MaxMandates = 100

// Mandates (委托) are the parties a 帮代办 agent acts for: it sees and changes their
// records as its own, and files for them.
type Mandates struct {
	Subjects []string // citizens' accounts
	Orgs     []string // enterprises' unified social credit codes
}

// Empty reports whether there are no mandates.
func (m Mandates) Empty() bool { return len(m.Subjects) == 0 && len(m.Orgs) == 0 }

// Claim is m as the acts_for claim's values ("sub:…", then "org:…").
func (m Mandates) Claim() []string {
	out := make([]string, 0, len(m.Subjects)+len(m.Orgs))
	for _, s := range m.Subjects {
		out = append(out, "sub:"+s)
	}
	for _, o := range m.Orgs {
		out = append(out, "org:"+o)
	}
	return out
}

// ParseMandates reads the acts_for claim's values: each must be "sub:" or "org:" and a
// non-empty party, and there must be at most MaxMandates.
func ParseMandates(values []string) (Mandates, error) {
	var m Mandates
	if len(values) > MaxMandates {
		return Mandates{}, fmt.Errorf("%d mandates, at most %d", len(values), MaxMandates)
	}
	for _, v := range values {
		kind, party, _ := strings.Cut(v, ":")
		switch {
		case party == "":
			return Mandates{}, fmt.Errorf("mandate %q names no party", v)
		case kind == "sub":
			m.Subjects = append(m.Subjects, party)
		case kind == "org":
			m.Orgs = append(m.Orgs, party)
		default:
			return Mandates{}, fmt.Errorf("mandate %q names neither a sub nor an org", v)
		}
	}
	return m, nil
}

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
	// ActsFor is a 帮代办 agent's mandates (the acts_for claim); empty for anyone else.
	ActsFor Mandates
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
