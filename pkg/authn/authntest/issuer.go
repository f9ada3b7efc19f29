package authntest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/metadata"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
)

// DefaultAudience is the audience of minted tokens unless WithAudience says otherwise.
const DefaultAudience = "gaoxing"

// Issuer serves a JWKS and mints tokens. It is safe for concurrent use.
type Issuer struct {
	t        testing.TB
	alg      string
	audience string
	srv      *httptest.Server
	requests atomic.Int64

	mu        sync.Mutex
	published []key // served in the JWKS; the last one signs
	serial    int
}

type key struct {
	kid    string
	signer crypto.Signer
}

// Option configures an Issuer.
type Option func(*Issuer)

// WithAlgorithm sets the signing algorithm: "RS256" (default) or "ES256".
func WithAlgorithm(alg string) Option { return func(i *Issuer) { i.alg = alg } }

// WithAudience sets the audience of minted tokens and of Verifier (default DefaultAudience).
func WithAudience(aud string) Option { return func(i *Issuer) { i.audience = aud } }

// New starts an issuer, stopped when the test ends.
func New(t testing.TB, opts ...Option) *Issuer {
	t.Helper()
	i := &Issuer{t: t, alg: "RS256", audience: DefaultAudience}
	for _, o := range opts {
		o(i)
	}
	if i.alg != "RS256" && i.alg != "ES256" {
		t.Fatalf("authntest: unsupported algorithm %q", i.alg)
	}
	i.published = []key{i.newKey()}
	i.srv = httptest.NewServer(http.HandlerFunc(i.serveJWKS))
	t.Cleanup(i.srv.Close)
	return i
}

// URL is the issuer identifier (the iss of minted tokens).
func (i *Issuer) URL() string { return i.srv.URL }

// JWKSURL is where the keys are published.
func (i *Issuer) JWKSURL() string { return i.srv.URL + "/jwks.json" }

// Audience is the audience of minted tokens.
func (i *Issuer) Audience() string { return i.audience }

// JWKSRequests counts the JWKS requests served so far.
func (i *Issuer) JWKSRequests() int { return int(i.requests.Load()) }

// KeyID is the kid of the current signing key.
func (i *Issuer) KeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.published[len(i.published)-1].kid
}

// Verifier returns a verifier of this issuer's tokens.
func (i *Issuer) Verifier(opts ...authn.Option) *authn.Verifier {
	i.t.Helper()
	v, err := authn.NewVerifier(i.URL(), i.audience, i.JWKSURL(), opts...)
	if err != nil {
		i.t.Fatalf("authntest: verifier: %v", err)
	}
	return v
}

// Rotate makes a new key the signing key and returns its kid. Earlier keys stay
// published, as during a real rotation, so tokens they signed still verify.
func (i *Issuer) Rotate() string {
	i.t.Helper()
	k := i.newKey()
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = append(i.published, k)
	return k.kid
}

// Retire stops publishing every key but the current one.
func (i *Issuer) Retire() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = i.published[len(i.published)-1:]
}

func (i *Issuer) newKey() key {
	i.t.Helper()
	var (
		s   crypto.Signer
		err error
	)
	if i.alg == "ES256" {
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		i.t.Fatalf("authntest: generate key: %v", err)
	}
	i.mu.Lock()
	i.serial++
	kid := "test-key-" + strconv.Itoa(i.serial)
	i.mu.Unlock()
	return key{kid: kid, signer: s}
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.requests.Add(1)
	if r.URL.Path != "/jwks.json" {
		http.NotFound(w, r)
		return
	}
	i.mu.Lock()
	keys := make([]map[string]string, 0, len(i.published))
	for _, k := range i.published {
		keys = append(keys, jwk(k, i.alg))
	}
	i.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

func jwk(k key, alg string) map[string]string {
	enc := base64.RawURLEncoding.EncodeToString
	switch pub := k.signer.Public().(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": k.kid, "use": "sig", "alg": alg,
			"n": enc(pub.N.Bytes()), "e": enc(big.NewInt(int64(pub.E)).Bytes())}
	case *ecdsa.PublicKey:
		b, _ := pub.Bytes() // 0x04 || x || y
		n := (len(b) - 1) / 2
		return map[string]string{"kty": "EC", "kid": k.kid, "use": "sig", "alg": alg, "crv": "P-256",
			"x": enc(b[1 : 1+n]), "y": enc(b[1+n:])}
	}
	panic("authntest: unknown key type")
}

// TokenOption bends one minted token.
type TokenOption func(*mint)

type mint struct {
	claims  jwt.MapClaims
	kid     string
	foreign bool
}

// Expired makes the token expired an hour ago (well past any clock skew).
func Expired() TokenOption { return ExpiresAt(time.Now().Add(-time.Hour)) }

// ExpiresAt sets exp (issued an hour before it, and valid from then).
func ExpiresAt(t time.Time) TokenOption {
	return func(m *mint) {
		m.claims["exp"] = t.Unix()
		m.claims["iat"] = t.Add(-time.Hour).Unix()
		m.claims["nbf"] = t.Add(-time.Hour).Unix()
	}
}

// NotBefore sets nbf (and iat) to t.
func NotBefore(t time.Time) TokenOption {
	return func(m *mint) { m.claims["nbf"], m.claims["iat"] = t.Unix(), t.Unix() }
}

// Audience sets aud.
func Audience(aud string) TokenOption { return func(m *mint) { m.claims["aud"] = aud } }

// IssuedBy sets iss, for tokens from the wrong issuer.
func IssuedBy(iss string) TokenOption { return func(m *mint) { m.claims["iss"] = iss } }

// ID sets jti (by default a random one).
func ID(jti string) TokenOption { return func(m *mint) { m.claims["jti"] = jti } }

// Claim sets any claim; a nil value removes it.
func Claim(name string, value any) TokenOption {
	return func(m *mint) {
		if value == nil {
			delete(m.claims, name)
			return
		}
		m.claims[name] = value
	}
}

// KeyID names another kid in the header (signed by the current key), as a token from a
// key the verifier has not seen.
func KeyID(kid string) TokenOption { return func(m *mint) { m.kid = kid } }

// ForeignKey signs with a freshly generated key that is not published, under the current
// kid: a forgery.
func ForeignKey() TokenOption { return func(m *mint) { m.foreign = true } }

// Token mints an access token for p.
func (i *Issuer) Token(p authn.Principal, opts ...TokenOption) string {
	i.t.Helper()
	now := time.Now()
	m := &mint{claims: jwt.MapClaims{
		"iss":               i.URL(),
		"aud":               i.audience,
		"sub":               p.Subject,
		"iat":               now.Unix(),
		"nbf":               now.Unix(),
		"exp":               now.Add(time.Hour).Unix(),
		"jti":               rand.Text(),
		authn.ClaimTenant:   string(p.Tenant),
		authn.ClaimKind:     string(p.Kind),
		authn.ClaimClientID: p.ClientID,
	}}
	if len(p.Scopes) > 0 {
		m.claims[authn.ClaimScope] = strings.Join(p.Scopes, " ")
	}
	if p.ClientID == "" {
		delete(m.claims, authn.ClaimClientID)
	}
	if p.Org != "" {
		m.claims[authn.ClaimOrg] = p.Org
	}
	if !p.ActsFor.Empty() {
		m.claims[authn.ClaimActsFor] = p.ActsFor.Claim()
	}
	for _, o := range opts {
		o(m)
	}
	i.mu.Lock()
	k := i.published[len(i.published)-1]
	i.mu.Unlock()
	if m.kid == "" {
		m.kid = k.kid
	}
	if m.foreign {
		k = i.newKey()
	}
	method := jwt.GetSigningMethod(i.alg)
	tok := jwt.NewWithClaims(method, m.claims)
	tok.Header["kid"] = m.kid
	s, err := tok.SignedString(k.signer)
	if err != nil {
		i.t.Fatalf("authntest: sign: %v", err)
	}
	return s
}

// Bearer is the Authorization header value for token.
func Bearer(token string) string { return "Bearer " + token }

// Incoming returns ctx carrying token as incoming gRPC metadata, as the transports hand
// a call to the endpoint chain.
func Incoming(ctx context.Context, token string) context.Context {
	return metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", Bearer(token)))
}
