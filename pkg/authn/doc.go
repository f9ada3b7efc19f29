// Package authn authenticates callers: it verifies bearer access tokens (signed JWTs)
// offline against the identity service's published keys (JWKS), turns them into a
// Principal (主体: who is calling, from which home tenant, as what kind of party) carried
// in the context, and rejects missing, forged, expired and revoked tokens with stable
// Unauthenticated codes. The same rules guard go-kit endpoints (Verifier.Middleware) and
// the few plain-HTTP routes (Verifier.Handler). Package authntest mints tokens for tests.
package authn
