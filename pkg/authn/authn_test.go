package authn_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/clock"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
)

var clerk = authn.Principal{
	Subject:  "u-1001",
	Tenant:   "ahz.s01.c07",
	Kind:     authn.Staff,
	Scopes:   []string{"openid", "tickets"},
	ClientID: "console",
}

// agent is a 帮代办 agent mandated by a citizen and an enterprise.
var agent = authn.Principal{
	Subject: "u-agent", Tenant: "ahz", Kind: authn.Staff,
	ActsFor: authn.Mandates{Subjects: []string{"u-alice"}, Orgs: []string{"91350100M000100Y43"}},
}

// tooMany is one mandate more than a token may carry.
var tooMany = func() []string {
	out := make([]string, authn.MaxMandates+1)
	for i := range out {
		out[i] = fmt.Sprintf("sub:u-%d", i)
	}
	return out
}()

// newClock is a settable time source for the verifier, from now (wall time only).
func newClock() *clock.Fake { return clock.NewFake(time.Now().Round(0)) }

// requireCode checks err is the Unauthenticated (or other kind) error with code.
func requireCode(t *testing.T, err error, kind errs.Kind, code string) {
	t.Helper()
	require.Error(t, err)
	e := errs.From(err)
	require.Equal(t, code, e.Code, "err: %v", err)
	require.Equal(t, kind, e.Kind, "err: %v", err)
}

func TestVerify(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			iss := authntest.New(t, authntest.WithAlgorithm(alg))
			v := iss.Verifier()
			now := time.Now()
			for _, tc := range []struct {
				name string
				opts []authntest.TokenOption
				p    authn.Principal
				code string // "" for a valid token
			}{
				{name: "valid", p: clerk},
				{name: "service without scopes", p: authn.Principal{Subject: "court-1", Tenant: "ahz", Kind: authn.Service, ClientID: "court-1"}},
				{name: "expired within skew", p: clerk, opts: []authntest.TokenOption{authntest.ExpiresAt(now.Add(-10 * time.Second))}},
				{name: "expired", p: clerk, opts: []authntest.TokenOption{authntest.Expired()}, code: "TOKEN_EXPIRED"},
				{name: "expired just past skew", p: clerk, opts: []authntest.TokenOption{authntest.ExpiresAt(now.Add(-authn.DefaultSkew - 5*time.Second))}, code: "TOKEN_EXPIRED"},
				{name: "not yet valid", p: clerk, opts: []authntest.TokenOption{authntest.NotBefore(now.Add(5 * time.Minute))}, code: "TOKEN_INVALID"},
				{name: "no exp", p: clerk, opts: []authntest.TokenOption{authntest.Claim("exp", nil)}, code: "TOKEN_INVALID"},
				{name: "wrong audience", p: clerk, opts: []authntest.TokenOption{authntest.Audience("other-platform")}, code: "TOKEN_INVALID"},
				{name: "wrong issuer", p: clerk, opts: []authntest.TokenOption{authntest.IssuedBy("https://evil.example")}, code: "TOKEN_INVALID"},
				{name: "unpublished key", p: clerk, opts: []authntest.TokenOption{authntest.ForeignKey()}, code: "TOKEN_INVALID"},
				{name: "bad tenant", p: authn.Principal{Subject: "u-1", Tenant: "AHZ_1", Kind: authn.Staff}, code: "TOKEN_INVALID"},
				{name: "no tenant", p: authn.Principal{Subject: "u-1", Kind: authn.Citizen}, code: "TOKEN_INVALID"},
				{name: "unknown kind", p: authn.Principal{Subject: "u-1", Tenant: "ahz", Kind: "admin"}, code: "TOKEN_INVALID"},
				{name: "no subject", p: authn.Principal{Tenant: "ahz", Kind: authn.Staff}, code: "TOKEN_INVALID"},
				{name: "agent with mandates", p: agent},
				{name: "mandate of no kind", p: clerk, opts: []authntest.TokenOption{authntest.Claim(authn.ClaimActsFor, []string{"u-1"})}, code: "TOKEN_INVALID"},
				{name: "mandate of no party", p: clerk, opts: []authntest.TokenOption{authntest.Claim(authn.ClaimActsFor, []string{"org:"})}, code: "TOKEN_INVALID"},
				{name: "too many mandates", p: clerk, opts: []authntest.TokenOption{authntest.Claim(authn.ClaimActsFor, tooMany)}, code: "TOKEN_INVALID"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					got, err := v.Verify(t.Context(), iss.Token(tc.p, tc.opts...))
					if tc.code != "" {
						requireCode(t, err, errs.Unauthenticated, tc.code)
						return
					}
					require.NoError(t, err)
					require.Equal(t, tc.p, got)
				})
			}
			for _, garbage := range []string{"", "abc", "a.b.c", iss.Token(clerk) + "x"} {
				_, err := v.Verify(t.Context(), garbage)
				requireCode(t, err, errs.Unauthenticated, "TOKEN_INVALID")
			}
		})
	}
}

// TestTokenWithoutKeyID: our issuer always names its key; a token that does not is refused.
func TestTokenWithoutKeyID(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	tok := iss.Token(clerk)
	header, rest, _ := cut(tok)
	var h map[string]any
	raw, err := base64.RawURLEncoding.DecodeString(header)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &h))
	delete(h, "kid")
	raw, _ = json.Marshal(h)
	_, err = iss.Verifier().Verify(t.Context(), base64.RawURLEncoding.EncodeToString(raw)+"."+rest)
	requireCode(t, err, errs.Unauthenticated, "TOKEN_INVALID")
}

func cut(tok string) (header, rest string, ok bool) {
	for i := range len(tok) {
		if tok[i] == '.' {
			return tok[:i], tok[i+1:], true
		}
	}
	return tok, "", false
}

// TestForgedAlgorithms re-signs a genuine token's claims the ways an attacker would: no
// signature, HMAC keyed with the public key, and a key of another type under the real kid.
func TestForgedAlgorithms(t *testing.T) {
	iss := authntest.New(t)
	v := iss.Verifier(authn.WithAlgorithms("RS256", "ES256"))
	genuine := iss.Token(clerk)
	_, err := v.Verify(t.Context(), genuine)
	require.NoError(t, err)

	claims := jwt.MapClaims{}
	_, _, err = jwt.NewParser().ParseUnverified(genuine, claims)
	require.NoError(t, err)
	resign := func(m jwt.SigningMethod, key any) string {
		tok := jwt.NewWithClaims(m, claims)
		tok.Header["kid"] = iss.KeyID()
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}

	// What the attacker knows: the published JWKS, and the public key in its usual forms.
	resp, err := http.Get(iss.JWKSURL())
	require.NoError(t, err)
	jwksBody, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	var set struct {
		Keys []struct{ N, E string } `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(jwksBody, &set))
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	for name, forged := range map[string]string{
		"none":              resign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType),
		"HS256 pem":         resign(jwt.SigningMethodHS256, pemKey),
		"HS256 der":         resign(jwt.SigningMethodHS256, der),
		"HS256 jwks":        resign(jwt.SigningMethodHS256, jwksBody),
		"HS512 pem":         resign(jwt.SigningMethodHS512, pemKey),
		"ES256 on RSA kid":  resign(jwt.SigningMethodES256, ecKey),
		"RS256 foreign key": resign(jwt.SigningMethodRS256, mustRSA(t)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), forged)
			requireCode(t, err, errs.Unauthenticated, "TOKEN_INVALID")
		})
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}

func TestSymmetricAlgorithmsCannotBeConfigured(t *testing.T) {
	for _, alg := range []string{"none", "HS256", "HS384", "HS512", "rs256", ""} {
		_, err := authn.NewVerifier("https://id.example", "gaoxing", "https://id.example/jwks", authn.WithAlgorithms(alg))
		require.Error(t, err, alg)
	}
	_, err := authn.NewVerifier("https://id.example", "gaoxing", "https://id.example/jwks", authn.WithAlgorithms())
	require.Error(t, err)
	_, err = authn.NewVerifier("", "gaoxing", "https://id.example/jwks")
	require.Error(t, err)
}

// TestKeyRotation: a token from a new key triggers one refetch, not more than one per
// interval, and a flood of unknown kids costs at most one request per interval.
func TestKeyRotation(t *testing.T) {
	iss := authntest.New(t)
	clk := newClock()
	v := iss.Verifier(authn.WithClock(clk.Now))
	ctx := t.Context()

	old := iss.Token(clerk)
	_, err := v.Verify(ctx, old)
	require.NoError(t, err)
	require.Equal(t, 1, iss.JWKSRequests())

	iss.Rotate()
	rotated := iss.Token(clerk)
	_, err = v.Verify(ctx, rotated)
	requireCode(t, err, errs.Unauthenticated, "TOKEN_INVALID")
	require.Equal(t, 1, iss.JWKSRequests(), "a refetch within the interval")

	clk.Advance(authn.DefaultRefetchInterval + time.Second)
	_, err = v.Verify(ctx, rotated)
	require.NoError(t, err)
	require.Equal(t, 2, iss.JWKSRequests())
	_, err = v.Verify(ctx, old)
	require.NoError(t, err, "the previous key is still published")
	require.Equal(t, 2, iss.JWKSRequests())

	flood := make([]string, 200)
	for i := range flood {
		flood[i] = iss.Token(clerk, authntest.KeyID("unknown-"+rand.Text()))
	}
	verifyAll := func() {
		results := make([]error, len(flood))
		var wg sync.WaitGroup
		for i, tok := range flood {
			wg.Go(func() { _, results[i] = v.Verify(ctx, tok) })
		}
		wg.Wait()
		for _, err := range results {
			requireCode(t, err, errs.Unauthenticated, "TOKEN_INVALID")
		}
	}
	verifyAll()
	require.Equal(t, 2, iss.JWKSRequests(), "unknown kids within the interval fetch nothing")
	clk.Advance(authn.DefaultRefetchInterval + time.Second)
	verifyAll()
	require.Equal(t, 3, iss.JWKSRequests(), "200 concurrent unknown kids share one fetch")
	_, err = v.Verify(ctx, rotated)
	require.NoError(t, err, "known keys keep working during a flood")
}

func TestColdStartSharesOneFetch(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	v := iss.Verifier()
	tok := iss.Token(clerk)
	start := make(chan struct{})
	principals, failures := make([]authn.Principal, 50), make([]error, 50)
	var wg sync.WaitGroup
	for i := range principals {
		wg.Go(func() {
			<-start
			principals[i], failures[i] = v.Verify(t.Context(), tok)
		})
	}
	close(start)
	wg.Wait()
	for i := range principals {
		require.NoError(t, failures[i])
		require.Equal(t, clerk, principals[i])
	}
	require.Equal(t, 1, iss.JWKSRequests())
}

// TestRetiredKeyStopsWorking: keys are refreshed after their max age, in the background,
// so a key the issuer withdraws stops verifying.
func TestRetiredKeyStopsWorking(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	clk := newClock()
	v := iss.Verifier(authn.WithClock(clk.Now), authn.WithKeyMaxAge(time.Minute))
	old := iss.Token(clerk)
	_, err := v.Verify(t.Context(), old)
	require.NoError(t, err)

	iss.Rotate()
	iss.Retire()
	clk.Advance(2 * time.Minute)
	_, err = v.Verify(t.Context(), old)
	require.NoError(t, err, "a stale key is used while the refresh runs")
	require.Eventually(t, func() bool {
		_, err := v.Verify(t.Context(), old)
		return err != nil && errs.From(err).Code == "TOKEN_INVALID"
	}, 5*time.Second, 10*time.Millisecond)
	_, err = v.Verify(t.Context(), iss.Token(clerk))
	require.NoError(t, err)
}

func TestKeysUnavailable(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	v, err := authn.NewVerifier(iss.URL(), iss.Audience(), down.URL)
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), iss.Token(clerk))
	requireCode(t, err, errs.Unavailable, "AUTH_KEYS_UNAVAILABLE")
	require.Error(t, v.Refresh(t.Context()))
	_, err = v.Verify(t.Context(), iss.Token(clerk))
	requireCode(t, err, errs.Unavailable, "AUTH_KEYS_UNAVAILABLE")

	require.NoError(t, iss.Verifier().Refresh(t.Context()))
}

// TestIssuerDown: while the key set cannot be fetched (the identity of a district's
// release briefly down, seen from a street's), the keys already fetched keep verifying,
// also past their max age; a kid not among them (a key rotated to meanwhile) is
// AUTH_KEYS_UNAVAILABLE, retry, on every call, never TOKEN_INVALID, which would sign the
// caller out; once the set can be fetched again its token verifies.
func TestIssuerDown(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	var down atomic.Bool
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		resp, err := http.Get(iss.JWKSURL())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer func() { _ = resp.Body.Close() }()
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(keys.Close)
	clk := newClock()
	v, err := authn.NewVerifier(iss.URL(), iss.Audience(), keys.URL, authn.WithClock(clk.Now), authn.WithKeyMaxAge(time.Minute))
	require.NoError(t, err)
	known := iss.Token(clerk)
	_, err = v.Verify(t.Context(), known)
	require.NoError(t, err)

	down.Store(true)
	clk.Advance(2 * time.Minute)
	for range 3 {
		_, err = v.Verify(t.Context(), known)
		require.NoError(t, err, "a known key verifies while the issuer is away")
	}
	iss.Rotate()
	rotated := iss.Token(clerk)
	for range 3 {
		_, err = v.Verify(t.Context(), rotated)
		requireCode(t, err, errs.Unavailable, "AUTH_KEYS_UNAVAILABLE")
	}

	down.Store(false)
	_, err = v.Verify(t.Context(), rotated)
	requireCode(t, err, errs.Unavailable, "AUTH_KEYS_UNAVAILABLE") // no fetch within the refetch interval
	clk.Advance(authn.DefaultRefetchInterval)
	_, err = v.Verify(t.Context(), rotated)
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), known)
	require.NoError(t, err)
}

func TestRevoked(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	var asked atomic.Int64
	v := iss.Verifier(authn.WithRevoked(func(_ context.Context, jti string) bool {
		asked.Add(1)
		return jti == "revoked-1"
	}))
	_, err := v.Verify(t.Context(), iss.Token(clerk, authntest.ID("revoked-1")))
	requireCode(t, err, errs.Unauthenticated, "TOKEN_REVOKED")
	_, err = v.Verify(t.Context(), iss.Token(clerk, authntest.ID("live-1")))
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), iss.Token(clerk, authntest.Claim("jti", nil)))
	requireCode(t, err, errs.Unauthenticated, "TOKEN_INVALID")
	require.EqualValues(t, 2, asked.Load())
}

// TestMiddleware runs a kit endpoint behind the middleware, as the kit chain does.
func TestMiddleware(t *testing.T) {
	iss := authntest.New(t)
	mw := iss.Verifier().Middleware("sample.Ping")
	echo := func(ctx context.Context, _ any) (any, error) {
		p, ok := authn.FromContext(ctx)
		if !ok {
			return "anonymous", nil
		}
		return p.Subject, nil
	}
	getNote := mw(kit.Method{Service: "sample", Name: "GetNote"}, echo)
	ping := mw(kit.Method{Service: "sample", Name: "Ping"}, echo)

	valid, expired := iss.Token(clerk), iss.Token(clerk, authntest.Expired())
	md := func(values ...string) context.Context {
		m := metadata.MD{}
		for _, v := range values {
			m.Append("authorization", v)
		}
		return metadata.NewIncomingContext(t.Context(), m)
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		code string // "" when the call passes
		want string
	}{
		{"no metadata", t.Context(), "TOKEN_MISSING", ""},
		{"no authorization", md(), "TOKEN_MISSING", ""},
		{"empty bearer", md("Bearer "), "TOKEN_MISSING", ""},
		{"basic", md("Basic dXNlcjpwYXNz"), "TOKEN_INVALID", ""},
		{"garbage", md("Bearer not-a-jwt"), "TOKEN_INVALID", ""},
		{"two tokens", md(authntest.Bearer(valid), authntest.Bearer(valid)), "TOKEN_INVALID", ""},
		{"expired", md(authntest.Bearer(expired)), "TOKEN_EXPIRED", ""},
		{"valid", authntest.Incoming(t.Context(), valid), "", clerk.Subject},
		{"lowercase scheme", md("bearer " + valid), "", clerk.Subject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := getNote(tc.ctx, nil)
			if tc.code == "" {
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
				return
			}
			requireCode(t, err, errs.Unauthenticated, tc.code)
			require.Equal(t, codes.Unauthenticated, status.Code(err), "gRPC status of the error")
		})
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		code string
		want string
	}{
		{"public without token", t.Context(), "", "anonymous"},
		{"public with basic", md("Basic dXNlcjpwYXNz"), "", "anonymous"},
		{"public with valid token", authntest.Incoming(t.Context(), valid), "", clerk.Subject},
		{"public with expired token", md(authntest.Bearer(expired)), "TOKEN_EXPIRED", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ping(tc.ctx, nil)
			if tc.code == "" {
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
				return
			}
			requireCode(t, err, errs.Unauthenticated, tc.code)
		})
	}
}

func TestHandler(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	v := iss.Verifier()
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := authn.FromContext(r.Context())
		if !ok {
			_, _ = io.WriteString(w, "anonymous")
			return
		}
		_, _ = io.WriteString(w, p.Subject+"@"+string(p.Tenant))
	})
	for _, tc := range []struct {
		name     string
		h        http.Handler
		header   string
		status   int
		code     string
		wantBody string
	}{
		{"missing", v.Handler(whoami), "", http.StatusUnauthorized, "TOKEN_MISSING", ""},
		{"expired", v.Handler(whoami), authntest.Bearer(iss.Token(clerk, authntest.Expired())), http.StatusUnauthorized, "TOKEN_EXPIRED", ""},
		{"forged", v.Handler(whoami), authntest.Bearer(iss.Token(clerk, authntest.ForeignKey())), http.StatusUnauthorized, "TOKEN_INVALID", ""},
		{"valid", v.Handler(whoami), authntest.Bearer(iss.Token(clerk)), http.StatusOK, "", "u-1001@ahz.s01.c07"},
		{"optional without token", v.OptionalHandler(whoami), "", http.StatusOK, "", "anonymous"},
		{"optional with token", v.OptionalHandler(whoami), authntest.Bearer(iss.Token(clerk)), http.StatusOK, "", "u-1001@ahz.s01.c07"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/sample/open311/v2/requests.json", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code)
			if tc.code == "" {
				require.Equal(t, tc.wantBody, w.Body.String())
				return
			}
			require.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
			var body struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			require.Equal(t, tc.code, body.Error.Code)
			require.NotEmpty(t, body.Error.Message)
		})
	}
}
