package identity

import (
	"context"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Directory is what the OpenID Provider needs from identity.
type Directory interface {
	// Authenticate checks a username and password from a source address (empty when
	// unknown) under the sign-in throttle; errors are errs with stable codes
	// (INVALID_CREDENTIALS, TOO_MANY_ATTEMPTS, ACCOUNT_SUSPENDED).
	Authenticate(ctx context.Context, username, password, address string) (Account, error)
	AccountByID(ctx context.Context, id string) (Account, error)
	// Client returns a machine or console client; CheckClientSecret verifies a secret in constant time.
	Client(ctx context.Context, id string) (Client, error)
	CheckClientSecret(ctx context.Context, id, secret string) error
	// ChooseNewPassword sets the password a sign-in was told to choose (the account's
	// MustChangePassword): checked by the password policy, different from the current one;
	// it ends the account's sessions and lifts the requirement.
	ChooseNewPassword(ctx context.Context, id, next string) error
}

// Account is a person's account as the OpenID Provider sees it.
type Account struct {
	ID, Username, DisplayName string
	Tenant                    tenancy.ID
	Kind                      authn.Kind
	Status                    string
	SessionsAfter             time.Time // sign-ins before this are over (password changed)
	Org                       string    // an enterprise's credit code, the tokens' org claim
	ActsFor                   []string  // an agent's mandates, the tokens' acts_for claim (authn.Mandates.Claim)
	// MustChangePassword: someone else chose the password (bootstrap, an administrator);
	// the sign-in must choose a new one (ChooseNewPassword) before it completes.
	MustChangePassword bool
}

// Client is an OAuth client: a machine client (court, legal aid, 12345) or the console.
type Client struct {
	ID           string
	Tenant       tenancy.ID
	DisplayName  string
	Scopes       []string
	RedirectURIs []string
	LogoutURIs   []string
	Public       bool
	Confidential bool
	Device       bool
	Disabled     bool
}
