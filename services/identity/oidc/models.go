package oidc

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Audience is the aud of every access token: the whole platform, which pkg/authn checks.
const Audience = "gaoxing"

// authRequest is a stored authorization request, as the op package sees it.
type authRequest struct {
	ID            string
	ClientID      string
	RedirectURI   string
	Scopes        []string
	State         string
	Nonce         string
	ResponseType  oidc.ResponseType
	ResponseMode  oidc.ResponseMode
	Challenge     string
	ChallengeMeth oidc.CodeChallengeMethod
	Subject       string
	Tenant        tenancy.ID
	Kind          authn.Kind
	AuthTime      time.Time
	IsDone        bool
	ExpiresAt     time.Time
}

func (a *authRequest) GetID() string         { return a.ID }
func (a *authRequest) GetACR() string        { return "" }
func (a *authRequest) GetAMR() []string      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string { return []string{a.ClientID, Audience} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.AuthTime
}
func (a *authRequest) GetClientID() string { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.Challenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.Challenge, Method: a.ChallengeMeth}
}
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.Subject }
func (a *authRequest) Done() bool                         { return a.IsDone }

// refreshRequest is a refresh token being exchanged, with the account as it is now.
type refreshRequest struct {
	TokenID  string
	FamilyID string
	ClientID string
	Subject  string
	Tenant   tenancy.ID
	Kind     authn.Kind
	Scopes   []string // what this exchange grants (the client may narrow it)
	Granted  []string // what the sign-in granted, carried to the next refresh token
	AuthTime time.Time
	Created  time.Time // when the sign-in (the family) began: its refresh tokens end RefreshMaxAge later
}

func (r *refreshRequest) GetAMR() []string            { return []string{"pwd"} }
func (r *refreshRequest) GetAudience() []string       { return []string{r.ClientID, Audience} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.ClientID }
func (r *refreshRequest) GetScopes() []string         { return r.Scopes }
func (r *refreshRequest) GetSubject() string          { return r.Subject }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.Scopes = s }

// machineRequest is a client credentials grant: the client is the subject.
type machineRequest struct {
	ClientID string
	Tenant   tenancy.ID
	Scopes   []string
}

func (m *machineRequest) GetSubject() string    { return m.ClientID }
func (m *machineRequest) GetAudience() []string { return []string{Audience} }
func (m *machineRequest) GetScopes() []string   { return m.Scopes }

// opClient adapts a Directory client to the op package's view.
type opClient struct {
	c        Client
	loginURL func(id string) string
	idTTL    time.Duration
	devMode  bool
}

func (c *opClient) GetID() string          { return c.c.ID }
func (c *opClient) RedirectURIs() []string { return c.c.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string {
	if len(c.c.LogoutURIs) > 0 {
		return c.c.LogoutURIs
	}
	return c.c.RedirectURIs
}
func (c *opClient) ApplicationType() op.ApplicationType {
	switch {
	case c.c.Public && len(c.c.RedirectURIs) == 0:
		return op.ApplicationTypeNative // the command line
	case c.c.Public:
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}
func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	if len(c.c.RedirectURIs) == 0 {
		return nil
	}
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType {
	var g []oidc.GrantType
	if len(c.c.RedirectURIs) > 0 {
		g = append(g, oidc.GrantTypeCode)
	}
	if c.c.Device {
		g = append(g, oidc.GrantTypeDeviceCode)
	}
	if len(c.c.RedirectURIs) > 0 || c.c.Device {
		g = append(g, oidc.GrantTypeRefreshToken)
	}
	if c.c.Confidential && !c.c.Public {
		g = append(g, oidc.GrantTypeClientCredentials)
	}
	return g
}
func (c *opClient) LoginURL(id string) string            { return c.loginURL(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *opClient) IDTokenLifetime() time.Duration       { return c.idTTL }
func (c *opClient) DevMode() bool                        { return c.devMode }
func (c *opClient) IsScopeAllowed(scope string) bool     { return slices.Contains(c.c.Scopes, scope) }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

var (
	_ op.AuthRequest         = (*authRequest)(nil)
	_ op.RefreshTokenRequest = (*refreshRequest)(nil)
	_ op.TokenRequest        = (*machineRequest)(nil)
	_ op.Client              = (*opClient)(nil)
)
