package oidc

import (
	"context"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Directory is what the provider asks the identity service about people and clients. The
// identity service implements it; this package keeps its own copy of the types so that
// identity can import oidc without a cycle.
type Directory interface {
	// Authenticate checks a password from a source address (the login page's client),
	// applying the sign-in throttle. Its errors carry the codes INVALID_CREDENTIALS,
	// TOO_MANY_ATTEMPTS or ACCOUNT_SUSPENDED and a message shown on the login page as it is.
	Authenticate(ctx context.Context, username, password, address string) (Account, error)
	// AccountByID returns an account by its stable id (the tokens' sub).
	AccountByID(ctx context.Context, id string) (Account, error)
	// Client returns a registered OAuth client (an error when unknown).
	Client(ctx context.Context, id string) (Client, error)
	// CheckClientSecret fails unless secret is the client's current secret. It runs on
	// every client credentials token request, so it must be fast: client secrets are long
	// and random, so a SHA-256 (or HMAC) comparison is as safe as a password hash here,
	// where argon2id would cap token issuance at a few dozen per second.
	CheckClientSecret(ctx context.Context, id, secret string) error
	// ChooseNewPassword sets the new password of an account whose MustChangePassword is
	// set, during its sign-in: the password policy decides (errors carry WEAK_PASSWORD and
	// a message shown as it is); the account's other sessions end and the requirement is
	// lifted. It refuses an account without the requirement.
	ChooseNewPassword(ctx context.Context, id, next string) error
}

// AccountActive is the Status of an account that may sign in and keep its sessions.
const AccountActive = "active"

// Account (账号) is a person's account: staff, enterprise or citizen.
type Account struct {
	ID          string
	Username    string
	DisplayName string
	Tenant      tenancy.ID // home tenant (所属租户)
	Kind        authn.Kind
	Status      string // AccountActive, or another status that refuses tokens
	// SessionsAfter ends older sign-ins (the password was changed or reset): their
	// refresh tokens are refused.
	SessionsAfter time.Time
	// Org is an enterprise account's enterprise (its credit code), put in access tokens
	// as the org claim.
	Org string
	// ActsFor is a 帮代办 agent's mandates ("sub:…", "org:…"), put in access tokens as
	// the acts_for claim; AccountByID fills it, only while the account holds the agent role.
	ActsFor []string
	// MustChangePassword: someone else chose the password (the bootstrap, an
	// administrator); the sign-in chooses a new one before it completes.
	MustChangePassword bool
}

// Client (接入应用) is an OAuth client: the console (public, authorization code + PKCE),
// the command line (public, device flow) or a machine client such as a court system
// (confidential, client credentials).
type Client struct {
	ID           string
	Tenant       tenancy.ID // the tenant a machine client acts for
	DisplayName  string     // shown when a person approves a device
	Scopes       []string   // scopes the client may be granted
	RedirectURIs []string   // exact redirect URIs; none for a machine-only client
	LogoutURIs   []string   // exact pages a sign-out may return to; none: the redirect URIs
	Public       bool       // no secret: must use PKCE with S256
	Confidential bool       // has a secret: may use client credentials
	Device       bool       // may use the device authorization grant (RFC 8628)
	Disabled     bool       // gets no tokens (its existing ones are revoked by identity)
}
