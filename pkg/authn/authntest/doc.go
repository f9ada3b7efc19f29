// Package authntest is a token issuer for tests: it generates a signing key, serves the
// JWKS over httptest and mints access tokens for any authn.Principal, good or broken on
// purpose (expired, not yet valid, wrong audience or issuer, signed by an unpublished
// key, unknown kid, rotated key). Every service's tests authenticate through it:
//
//	iss := authntest.New(t)
//	v := iss.Verifier()
//	ctx := authntest.Incoming(t.Context(), iss.Token(authn.Principal{...}))
package authntest
