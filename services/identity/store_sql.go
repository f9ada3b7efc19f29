package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/redact"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// userRow is a users row with its secrets, for the logic in this package only.
type userRow struct {
	User
	idNumberSealed string
	passwordHash   string
	failedLogins   int64
	lockouts       int64
	sessionsAfter  time.Time
	mustChange     bool // the next sign-in must choose a new password
}

const userColumns = `id, tenant, username, display_name, kind, status, credit_code, id_number_sealed,
	password_hash, failed_logins, lockouts, locked_until, version, create_time, update_time`

// userSelect is what scanUser reads: the columns written on insert and those changed later.
const userSelect = userColumns + `, sessions_after, must_change_password`

func scanUser(scan func(...any) error) (userRow, error) {
	var r userRow
	var tenant, kind, status string
	var locked, created, updated, sessionsAfter int64
	err := scan(&r.ID, &tenant, &r.Username, &r.DisplayName, &kind, &status, &r.CreditCode, &r.idNumberSealed,
		&r.passwordHash, &r.failedLogins, &r.lockouts, &locked, &r.Version, &created, &updated, &sessionsAfter, &r.mustChange)
	if err != nil {
		return userRow{}, err
	}
	r.Tenant, r.Kind, r.Status = tenancy.ID(tenant), authn.Kind(kind), Status(status)
	r.CreateTime, r.UpdateTime = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	if sessionsAfter > 0 {
		r.sessionsAfter = time.UnixMicro(sessionsAfter).UTC()
	}
	if locked > 0 {
		r.LockedUntil = time.UnixMicro(locked).UTC()
	}
	return r, nil
}

// idNumberContext binds a sealed ID number to its row.
func idNumberContext(userID string) string { return "identity.users.id_number/" + userID }

// idNumberPurpose names the blind index of ID numbers.
const idNumberPurpose = "identity.users.id_number"

// masked fills IDNumberMasked by opening the sealed number; a value that does not open
// (tampered, key missing) shows as fully masked rather than failing the read.
func (c *Core) masked(r userRow) User {
	u := r.User
	if r.idNumberSealed != "" {
		if n, err := c.ring.OpenString(r.idNumberSealed, idNumberContext(r.ID)); err == nil {
			u.IDNumberMasked = redact.IDCard(n)
		} else {
			c.opts.Logger.Error("citizen ID number does not open", "user", r.ID, "err", err)
			u.IDNumberMasked = redact.Secret(r.idNumberSealed)
		}
	}
	return u
}

func (c *Core) userWhere(ctx context.Context, cond string, args ...any) (userRow, error) {
	r, err := scanUser(c.db.QueryRow(ctx, `SELECT `+userSelect+` FROM users WHERE `+cond, args...).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return userRow{}, ErrUserNotFound
	}
	return r, err
}

func (c *Core) insertUser(ctx context.Context, r userRow, idIndex string) error {
	now := r.CreateTime.UnixMicro()
	_, err := c.db.Exec(ctx, `INSERT INTO users (`+userColumns+`, id_number_index, must_change_password)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, 0, 1, $10, $10, $11, $12)`,
		r.ID, string(r.Tenant), r.Username, r.DisplayName, string(r.Kind), string(r.Status), r.CreditCode,
		r.idNumberSealed, r.passwordHash, now, idIndex, r.mustChange)
	if errors.Is(err, sqlstore.ErrDuplicate) {
		if strings.Contains(err.Error(), "id_number") {
			return ErrIDNumberTaken
		}
		return ErrUsernameTaken.WithMessage("用户名 %s 已被使用", r.Username).WithField("user.username", "USERNAME_TAKEN", "用户名已被使用")
	}
	return err
}

// userCount is the number of accounts.
func (c *Core) userCount(ctx context.Context) (int64, error) {
	var n int64
	err := c.db.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// clientRow is a clients row with its secret digest.
type clientRow struct {
	OAuthClient
	secretHash string
}

const clientColumns = `id, tenant, display_name, scopes, redirect_uris, public, secret_hash, version, create_time, disabled, logout_uris, device`

func scanClient(scan func(...any) error) (clientRow, error) {
	var r clientRow
	var tenant, scopes, uris, logout string
	var created int64
	if err := scan(&r.ID, &tenant, &r.DisplayName, &scopes, &uris, &r.Public, &r.secretHash, &r.Version, &created, &r.Disabled, &logout, &r.Device); err != nil {
		return clientRow{}, err
	}
	r.Tenant, r.Scopes, r.RedirectURIs, r.LogoutURIs = tenancy.ID(tenant), fields(scopes), fields(uris), fields(logout)
	r.CreateTime = time.UnixMicro(created).UTC()
	return r, nil
}

func (c *Core) clientWhere(ctx context.Context, cond string, args ...any) (clientRow, error) {
	r, err := scanClient(c.db.QueryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE `+cond, args...).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return clientRow{}, ErrClientNotFound
	}
	return r, err
}

// fields splits a space-separated list; empty is nil, as it was before it was stored.
func fields(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}
