package identity

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// EnvAdminPassword names the variable that, when set, holds the bootstrap administrator's password (from a secret);
// otherwise a random one is printed once to the log.
const EnvAdminPassword = "GAOXING_ADMIN_PASSWORD"

// AdminUsername is the bootstrap administrator's username.
const AdminUsername = "admin"

// Bootstrap creates the platform administrator (平台管理员) on first start: when there are
// no accounts at all, "admin" is created at the first root tenant and granted
// platform_admin there. Its password is password (EnvAdminPassword in production) or, if
// empty, a random one written once to log. There is never a fixed default. Replicas
// starting together are safe: the username is unique, and the replica that loses takes
// back the grant it made. console, when known, is where to sign in, logged beside the
// password. It reports whether it created the account. The first sign-in must choose a
// new password before it completes.
func (c *Core) Bootstrap(ctx context.Context, password, console string, log *slog.Logger) (bool, error) {
	n, err := c.userCount(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	roots := c.tree.Roots()
	if len(roots) == 0 {
		return false, errs.New(errs.FailedPrecondition, "NO_ROOT_TENANT", "租户树为空，无法创建平台管理员")
	}
	root := roots[0].ID
	generated := password == ""
	if generated {
		password = randomPassword()
	}
	if err := checkPolicy(password, AdminUsername); err != nil {
		return false, errors.Join(errors.New(EnvAdminPassword+" does not pass the password policy"), err)
	}
	now := c.now()
	r := userRow{User: User{ID: newID("u-"), Tenant: root, Username: AdminUsername, DisplayName: "平台管理员",
		Kind: authn.Staff, Status: Active, Version: 1, CreateTime: now, UpdateTime: now}}
	r.passwordHash = hashPassword(password, c.opts.Argon2)
	// Whoever printed or holds this password is not the administrator's own secret: the
	// first sign-in chooses a new one before it completes.
	r.mustChange = true
	// Grant first: if the account then fails to appear, a grant to a subject nobody holds
	// is harmless, while an account without its grant could never administer anything.
	if err := c.enforcer.Grant(ctx, r.ID, PlatformAdmin, root); err != nil {
		return false, err
	}
	err = c.db.InTx(ctx, func(ctx context.Context) error {
		if err := c.insertUser(ctx, r, ""); err != nil {
			return err
		}
		_, err := c.audit.Record(ctx, audit.Entry{Tenant: root, Actor: "system:bootstrap", Action: "identity.Bootstrap",
			Resource: r.Name(), After: r.User})
		return err
	})
	if err != nil {
		return false, errors.Join(err, c.enforcer.Revoke(context.WithoutCancel(ctx), r.ID, PlatformAdmin, root))
	}
	if generated {
		// The attribute key is deliberately not one redact masks: this is the one time the
		// password is shown. Change it after the first login.
		log.Warn("bootstrap: platform administrator created; this password is shown only once, the first sign-in chooses a new one",
			"username", AdminUsername, "tenant", string(root), "first_login", password, "console", console)
	} else {
		log.Info("bootstrap: platform administrator created with the password from "+EnvAdminPassword,
			"username", AdminUsername, "tenant", string(root))
	}
	return true, nil
}

func adminPasswordFromEnv() string { return os.Getenv(EnvAdminPassword) }
