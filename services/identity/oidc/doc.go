// Package oidc is the identity service's OpenID Provider (身份提供方): discovery, JWKS
// with key rotation, the authorization code flow with PKCE behind a Chinese login page,
// client credentials for machine clients (courts, legal aid, the 12345 platform), refresh
// tokens rotated on every use with reuse detection (a reused token revokes its whole
// family), revocation published to etcd so every service refuses the token, userinfo and
// introspection. The protocol is the zitadel op package's; the storage (SQL through
// sqlstore, with its own migration history), the ES256 keys and the policy are ours.
// Access tokens are JWTs for audience "gaoxing" carrying what pkg/authn reads: sub,
// tenant, kind, scope, client_id and jti. People and clients come from a Directory the
// identity service implements. Wiring, in the service's Run:
//
//	p, err := oidc.New(ctx, oidc.Config{Issuer: publicBase + "/api/identity"}, dir, db, env.Etcd)
//	for pattern, h := range p.Routes() {
//		k.HandleHTTP(pattern, h)
//	}
//
// Services verify the tokens with authn.NewVerifier(p.Issuer(), oidc.Audience, p.JWKSURL(),
// authn.WithRevocations(revocations)), revocations from authn.WatchRevocations (app.NewKit
// does this for every service). Sign-outs, revocations, reused refresh tokens and
// EndSessions (a password change) publish the tokens' ids there; refresh tokens end
// RefreshMaxAge after the sign-in whatever their rotation; disabled clients get nothing.
package oidc
