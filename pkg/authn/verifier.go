package authn

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Defaults of a Verifier.
const (
	DefaultSkew            = 30 * time.Second // clock difference tolerated on exp, nbf and iat
	DefaultRefetchInterval = 10 * time.Second // least time between two JWKS fetches
	DefaultKeyMaxAge       = 15 * time.Minute // keys are refreshed this often, so removed keys stop working
)

// maxTokenBytes bounds what is handed to the parser; our tokens are well under 2 KiB.
const maxTokenBytes = 8 << 10

// asymmetric lists the algorithms a verifier may be configured with. Symmetric (HS*)
// and "none" are absent on purpose: with public keys they are forgeries.
var asymmetric = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Verifier checks access tokens offline. It is safe for concurrent use.
type Verifier struct {
	issuer   string
	audience string
	algs     []string
	skew     time.Duration
	revoked  func(ctx context.Context, t TokenRef) bool
	now      func() time.Time
	keys     *keyCache
	parser   *jwt.Parser
	verified verified
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithAlgorithms pins the accepted signature algorithms (default RS256 and ES256). Only
// asymmetric algorithms are allowed.
func WithAlgorithms(algs ...string) Option { return func(v *Verifier) { v.algs = algs } }

// WithSkew sets the tolerated clock difference (default DefaultSkew).
func WithSkew(d time.Duration) Option { return func(v *Verifier) { v.skew = d } }

// WithRevoked installs a revocation check by token id only: tokens whose jti it reports
// revoked are refused, and tokens without a jti or an iat are refused too, since they could
// not be revoked. Services use WithRevocations.
func WithRevoked(revoked func(ctx context.Context, jti string) bool) Option {
	return func(v *Verifier) {
		v.revoked = func(ctx context.Context, t TokenRef) bool { return revoked(ctx, t.ID) }
	}
}

// WithRevocations installs the full revocation check (token ids, and markers per subject
// and per client, see RevokedPrefix), usually a *Revocations from WatchRevocations. Tokens
// without a jti or an iat are refused, since they could not be revoked.
func WithRevocations(r interface {
	RevokedToken(ctx context.Context, t TokenRef) bool
}) Option {
	return func(v *Verifier) { v.revoked = r.RevokedToken }
}

// WithHTTPClient sets the client used to fetch the JWKS (default: one with a 5 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(v *Verifier) { v.keys.client = c } }

// WithRefetchInterval sets the least time between two JWKS fetches (default
// DefaultRefetchInterval), which bounds what a flood of unknown kids can cost.
func WithRefetchInterval(d time.Duration) Option { return func(v *Verifier) { v.keys.interval = d } }

// WithKeyMaxAge sets how long fetched keys are used before a background refresh (default
// DefaultKeyMaxAge).
func WithKeyMaxAge(d time.Duration) Option { return func(v *Verifier) { v.keys.maxAge = d } }

// WithClock replaces time.Now, for tests of expiry and of the refetch interval.
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// NewVerifier returns a verifier of tokens issued by issuer for audience, signed by keys
// published at jwksURL. Nothing is fetched until the first token arrives (or Refresh).
func NewVerifier(issuer, audience, jwksURL string, opts ...Option) (*Verifier, error) {
	if issuer == "" || audience == "" || jwksURL == "" {
		return nil, errors.New("authn: issuer, audience and JWKS URL are required")
	}
	v := &Verifier{
		issuer:   issuer,
		audience: audience,
		algs:     []string{"RS256", "ES256"},
		skew:     DefaultSkew,
		now:      time.Now,
		keys: &keyCache{
			url:      jwksURL,
			client:   &http.Client{Timeout: fetchTimeout},
			interval: DefaultRefetchInterval,
			maxAge:   DefaultKeyMaxAge,
		},
	}
	for _, o := range opts {
		o(v)
	}
	if len(v.algs) == 0 {
		return nil, errors.New("authn: no algorithm allowed")
	}
	for _, a := range v.algs {
		if !slices.Contains(asymmetric, a) {
			return nil, fmt.Errorf("authn: algorithm %q not allowed (only %s)", a, strings.Join(asymmetric, ", "))
		}
	}
	v.keys.now = v.now
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(v.algs),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithLeeway(v.skew),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(v.now),
		jwt.WithStrictDecoding(),
	)
	return v, nil
}

// Refresh fetches the key set now, whatever the refetch interval. Mains may call it at
// start so the first request does not wait, and readiness checks may use it.
func (v *Verifier) Refresh(ctx context.Context) error { return v.keys.refresh(ctx) }

// claims is what an access token says.
type claims struct {
	jwt.RegisteredClaims
	Tenant   string   `json:"tenant"`
	Kind     Kind     `json:"kind"`
	Scope    string   `json:"scope"`
	ClientID string   `json:"client_id"`
	Org      string   `json:"org"`
	ActsFor  []string `json:"acts_for"`
}

// Verify checks token (the compact JWT, without "Bearer ") and returns its principal.
// Errors are ErrTokenInvalid, ErrTokenExpired, ErrTokenRevoked or ErrKeysUnavailable,
// wrapping the cause.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if len(token) > maxTokenBytes {
		return Principal{}, ErrTokenInvalid.Wrap(fmt.Errorf("token of %d bytes", len(token)))
	}
	if t, ok := v.verified.get(token); ok {
		if now := v.now(); now.Before(t.notAfter) && !now.Before(t.notBefor) && v.keys.has(t.kid) {
			if v.revoked != nil && v.revoked(ctx, t.ref()) {
				return Principal{}, ErrTokenRevoked.Wrap(fmt.Errorf("jti %s revoked", t.jti))
			}
			return t.principal(), nil
		}
	}
	var c claims
	parsed, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) { return v.key(ctx, t) })
	if err != nil {
		return Principal{}, v.failure(ctx, err)
	}
	p := Principal{Subject: c.Subject, Kind: c.Kind, ClientID: c.ClientID}
	if c.Kind == Enterprise {
		p.Org = c.Org // only an enterprise account speaks for an enterprise
	}
	if c.Scope != "" {
		p.Scopes = strings.Fields(c.Scope)
	}
	if len(c.ActsFor) > 0 && c.Kind != Service { // people act for others, systems do not
		if p.ActsFor, err = ParseMandates(c.ActsFor); err != nil {
			return Principal{}, ErrTokenInvalid.Wrap(fmt.Errorf("acts_for claim: %w", err))
		}
	}
	if p.Subject == "" {
		return Principal{}, ErrTokenInvalid.Wrap(errors.New("no sub claim"))
	}
	if !p.Kind.Valid() {
		return Principal{}, ErrTokenInvalid.Wrap(fmt.Errorf("kind claim %q", c.Kind))
	}
	if p.Tenant, err = tenancy.Parse(c.Tenant); err != nil {
		return Principal{}, ErrTokenInvalid.Wrap(fmt.Errorf("tenant claim: %w", err))
	}
	entry := verifiedToken{p: p, notAfter: c.ExpiresAt.Add(v.skew), jti: c.ID}
	if c.IssuedAt != nil {
		entry.issued = c.IssuedAt.Time
	}
	if v.revoked != nil {
		if c.ID == "" || c.IssuedAt == nil {
			return Principal{}, ErrTokenInvalid.Wrap(errors.New("no jti or iat claim: the token could not be revoked"))
		}
		if v.revoked(ctx, entry.ref()) {
			return Principal{}, ErrTokenRevoked.Wrap(fmt.Errorf("jti %s revoked", c.ID))
		}
	}
	entry.kid, _ = parsed.Header["kid"].(string)
	if c.NotBefore != nil {
		entry.notBefor = c.NotBefore.Add(-v.skew)
	}
	v.verified.put(token, entry)
	return entry.principal(), nil
}

// key finds the published key for t and checks it suits t's algorithm, so a token cannot
// choose how its signature is checked.
func (v *Verifier) key(ctx context.Context, t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("no kid in header")
	}
	k, err := v.keys.get(ctx, kid)
	if err != nil {
		return nil, err
	}
	alg := t.Method.Alg()
	if k.alg != "" && k.alg != alg {
		return nil, fmt.Errorf("key %q is for %s, token says %s", kid, k.alg, alg)
	}
	if !suits(alg, k.key) {
		return nil, fmt.Errorf("key %q does not suit %s", kid, alg)
	}
	return k.key, nil
}

func suits(alg string, key any) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		_, ok := key.(*rsa.PublicKey)
		return ok
	case "ES256":
		return onCurve(key, elliptic.P256())
	case "ES384":
		return onCurve(key, elliptic.P384())
	case "ES512":
		return onCurve(key, elliptic.P521())
	case "EdDSA":
		_, ok := key.(ed25519.PublicKey)
		return ok
	}
	return false
}

func onCurve(key any, c elliptic.Curve) bool {
	k, ok := key.(*ecdsa.PublicKey)
	return ok && k.Curve == c
}

// failure maps a parse error to the caller's error.
func (v *Verifier) failure(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ErrKeysUnavailable):
		return ErrKeysUnavailable.Wrap(err)
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return ctx.Err()
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired.Wrap(err)
	}
	return ErrTokenInvalid.Wrap(err)
}
