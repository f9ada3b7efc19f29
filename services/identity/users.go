package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)

// normalizeUsername lower-cases and trims: usernames are unique without regard to case.
func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CreateUser adds an account. Bad input (unknown tenant, bad username, wrong check digit,
// weak password) and a taken username are refused before anything is written.
func (c *Core) CreateUser(ctx context.Context, in NewUser) (User, error) {
	if _, ok := c.tree.Get(in.Tenant); !ok {
		return User{}, tenancy.ErrNotFound.WithMessage("租户 %s 不存在", in.Tenant)
	}
	username := normalizeUsername(in.Username)
	if !usernamePattern.MatchString(username) {
		return User{}, errs.Invalid("user.username", "INVALID_USERNAME", "用户名应为 3 到 32 位小写字母、数字或 . _ -，以字母或数字开头")
	}
	display := strings.TrimSpace(in.DisplayName)
	if display == "" || utf8.RuneCountInString(display) > 64 {
		return User{}, errs.Invalid("user.display_name", "INVALID_DISPLAY_NAME", "姓名或名称不能为空，且不超过 64 个字")
	}
	r := userRow{User: User{ID: newID("u-"), Tenant: in.Tenant, Username: username, DisplayName: display, Kind: in.Kind, Status: Active}}
	var idIndex string
	switch in.Kind {
	case authn.Staff:
	case authn.Enterprise:
		r.CreditCode = govid.NormalizeCreditCode(in.CreditCode)
		if err := govid.ValidateCreditCode(r.CreditCode); err != nil {
			return User{}, err
		}
	case authn.Citizen:
		n := govid.NormalizeIDNumber(in.IDNumber)
		if err := govid.ValidateIDNumber(n, c.now()); err != nil {
			return User{}, err
		}
		r.idNumberSealed = c.ring.SealString(n, idNumberContext(r.ID))
		idIndex = c.ring.Index(idNumberPurpose, n)
	default:
		return User{}, errs.Invalid("user.kind", "INVALID_KIND", "账号类型应为 staff、enterprise 或 citizen")
	}
	if in.Kind != authn.Enterprise && in.CreditCode != "" {
		return User{}, errs.Invalid("user.credit_code", "UNEXPECTED_FIELD", "只有企业账号填写统一社会信用代码")
	}
	if in.Kind != authn.Citizen && in.IDNumber != "" {
		return User{}, errs.Invalid("id_number", "UNEXPECTED_FIELD", "只有群众账号填写身份证号码")
	}
	if err := checkPolicy(in.Password, username); err != nil {
		return User{}, err
	}
	// Answer a taken username before paying for the hash; the unique index still decides.
	if _, err := c.userWhere(ctx, `username = $1`, username); err == nil {
		return User{}, ErrUsernameTaken.WithMessage("用户名 %s 已被使用", username).WithField("user.username", "USERNAME_TAKEN", "用户名已被使用")
	} else if !errors.Is(err, ErrUserNotFound) {
		return User{}, err
	}
	r.passwordHash = hashPassword(in.Password, c.opts.Argon2)
	r.CreateTime, r.UpdateTime, r.Version = c.now(), c.now(), 1
	u := c.masked(r)
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		if err := c.insertUser(ctx, r, idIndex); err != nil {
			return err
		}
		_, err := c.audit.Record(ctx, audit.Entry{Tenant: u.Tenant, Action: "identity.CreateUser", Resource: u.Name(), After: u})
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// GetUser returns the account tenant/id (masked).
func (c *Core) GetUser(ctx context.Context, tenant tenancy.ID, id string) (User, error) {
	r, err := c.userWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
	if err != nil {
		return User{}, err
	}
	return c.masked(r), nil
}

// ListUsers lists the accounts of tenant's subtree by username, a page at a time.
func (c *Core) ListUsers(ctx context.Context, tenant tenancy.ID, size int32, token string) ([]User, string, error) {
	n, err := page.Size(size, 50, 500)
	if err != nil {
		return nil, "", err
	}
	query := page.Hash("identity.users", string(tenant))
	after, err := page.Decode(token, query)
	if err != nil {
		return nil, "", err
	}
	cond, args := tenant.SubtreeSQL("tenant", 1)
	rows, err := c.db.Query(ctx, `SELECT `+userColumns+` FROM users WHERE `+cond+` AND username > $3 ORDER BY username LIMIT $4`,
		append(args, after, n+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []User
	next := ""
	for rows.Next() {
		r, err := scanUser(rows.Scan)
		if err != nil {
			return nil, "", err
		}
		if len(out) == n {
			next = page.Encode(out[n-1].Username, query)
			break
		}
		out = append(out, c.masked(r))
	}
	return out, next, rows.Err()
}

// FindUserByIDNumber finds a citizen in tenant's subtree by ID card number, through the
// blind index: nothing is decrypted to search.
func (c *Core) FindUserByIDNumber(ctx context.Context, tenant tenancy.ID, idNumber string) (User, error) {
	n := govid.NormalizeIDNumber(idNumber)
	if err := govid.ValidateIDNumber(n, c.now()); err != nil {
		return User{}, err
	}
	cond, args := tenant.SubtreeSQL("tenant", 2)
	r, err := c.userWhere(ctx, `id_number_index = $1 AND `+cond, append([]any{c.ring.Index(idNumberPurpose, n)}, args...)...)
	if err != nil {
		return User{}, err
	}
	return c.masked(r), nil
}

// SetUserStatus moves an account through its state machine (active ⇄ suspended, → left).
// A suspended or departed account is also denied everything in the policy, so tokens it
// still holds stop working at every service at once; reactivating lifts the deny. The SQL
// change and its audit record commit together first; the policy follows. Setting the
// status an account already has re-applies the policy side, so a retry after an etcd
// failure repairs it.
func (c *Core) SetUserStatus(ctx context.Context, tenant tenancy.ID, id string, to Status, version int64) (User, error) {
	switch to {
	case Active, Suspended, Left:
	default:
		return User{}, errs.Invalid("status", "INVALID_STATUS", "状态应为 active、suspended 或 left")
	}
	var out User
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		r, err := c.userWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
		if err != nil {
			return err
		}
		if version != 0 && version != r.Version {
			return errs.ErrStaleVersion
		}
		if r.Status == to {
			out = c.masked(r)
			return nil
		}
		if !r.Status.canBecome(to) {
			return ErrIllegalStatus.WithMessage("账号状态不能从 %s 变为 %s", r.Status, to)
		}
		before := c.masked(r)
		now := c.now()
		res, err := c.db.Exec(ctx, `UPDATE users SET status = $1, version = version + 1, update_time = $2 WHERE id = $3 AND version = $4`,
			string(to), now.UnixMicro(), id, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.ErrStaleVersion
		}
		out = before
		out.Status, out.Version, out.UpdateTime = to, r.Version+1, now
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: tenant, Action: "identity.SetUserStatus", Resource: out.Name(), Before: before, After: out})
		return err
	})
	if err != nil {
		return User{}, err
	}
	if to == Active {
		err = c.enforcer.RemovePermission(ctx, authz.Permission{Subject: id, Tenant: authz.Any, Object: authz.Any, Action: authz.Any, Effect: authz.Deny})
	} else {
		err = c.enforcer.Deny(ctx, id, authz.Any, authz.Any, authz.Any)
	}
	return out, err
}

// ChangePassword is self-service: the caller proves its current password (failures count
// towards the lockout) and picks a new one that passes the policy.
func (c *Core) ChangePassword(ctx context.Context, current, next string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	r, err := c.userWhere(ctx, `id = $1`, p.Subject)
	if err != nil {
		return err
	}
	if err := c.verify(ctx, r, current); err != nil {
		return err
	}
	if err := checkPolicy(next, r.Username); err != nil {
		return err
	}
	if current == next {
		return ErrWeakPassword.WithMessage("新密码不能与当前密码相同").WithField("new_password", "WEAK_PASSWORD", "新密码不能与当前密码相同")
	}
	return c.setPassword(ctx, r, next, "identity.ChangePassword")
}

// ResetPassword is an administrator setting a new password; it lifts any lockout.
func (c *Core) ResetPassword(ctx context.Context, tenant tenancy.ID, id, next string) (User, error) {
	r, err := c.userWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
	if err != nil {
		return User{}, err
	}
	if err := checkPolicy(next, r.Username); err != nil {
		return User{}, err
	}
	if err := c.setPassword(ctx, r, next, "identity.ResetPassword"); err != nil {
		return User{}, err
	}
	return c.GetUser(ctx, tenant, id)
}

func (c *Core) setPassword(ctx context.Context, r userRow, password, action string) error {
	hash := hashPassword(password, c.opts.Argon2)
	return c.db.InTx(ctx, func(ctx context.Context) error {
		res, err := c.db.Exec(ctx, `UPDATE users SET password_hash = $1, failed_logins = 0, lockouts = 0, locked_until = 0,
			version = version + 1, update_time = $2 WHERE id = $3 AND version = $4`, hash, c.now().UnixMicro(), r.ID, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.ErrStaleVersion
		}
		// The digest covers the account, never the password or its hash.
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: r.Tenant, Action: action, Resource: r.Name(),
			Before: map[string]any{"version": r.Version}, After: map[string]any{"version": r.Version + 1}})
		return err
	})
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// Authenticate checks a username and password, applying the lockout policy. An unknown
// username costs the same hash as a known one, so timing does not tell which exist. A
// locked account is refused before its password is checked; a suspended or departed one
// only after a correct password, so the status is not revealed to a guesser.
func (c *Core) Authenticate(ctx context.Context, username, password string) (Account, error) {
	r, err := c.userWhere(ctx, `username = $1`, normalizeUsername(username))
	if errors.Is(err, ErrUserNotFound) || (err == nil && len(password) > maxPasswordBytes) {
		dummyOnce.Do(func() { dummyHash = hashPassword("not a password", c.opts.Argon2) })
		if _, err := c.checkPassword(ctx, password, dummyHash); err != nil {
			return Account{}, err
		}
		return Account{}, ErrInvalidCredentials
	}
	if err != nil {
		return Account{}, err
	}
	if err := c.verify(ctx, r, password); err != nil {
		return Account{}, err
	}
	switch r.Status {
	case Active:
		return r.Account(), nil
	case Left:
		return Account{}, ErrAccountSuspended.WithMessage("账号已注销")
	}
	return Account{}, ErrAccountSuspended
}

// verify checks password against r under the lockout policy and records the outcome.
func (c *Core) verify(ctx context.Context, r userRow, password string) error {
	now := c.now()
	if r.LockedUntil.After(now) {
		return lockedError(r.LockedUntil)
	}
	ok, err := c.checkPassword(ctx, password, r.passwordHash)
	if err != nil {
		return err
	}
	if ok {
		if r.failedLogins != 0 || r.lockouts != 0 {
			_, err := c.db.Exec(ctx, `UPDATE users SET failed_logins = 0, lockouts = 0, locked_until = 0 WHERE id = $1`, r.ID)
			if err != nil {
				return err
			}
		}
		return nil
	}
	until, err := c.recordFailure(ctx, r, now)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return lockedError(until)
	}
	return ErrInvalidCredentials
}

// recordFailure counts one failed password for r and locks the account when the count
// reaches the threshold, returning the lock's end (zero if not locked). The counters are
// incremented in SQL, not read and written back, so concurrent failures all count.
func (c *Core) recordFailure(ctx context.Context, r userRow, now time.Time) (time.Time, error) {
	var until time.Time
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		var failed int64
		err := c.db.QueryRow(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`, r.ID).Scan(&failed)
		if err != nil || failed < int64(c.opts.Lockout.Threshold) {
			return err
		}
		var lockouts int64
		err = c.db.QueryRow(ctx, `UPDATE users SET failed_logins = 0, lockouts = lockouts + 1 WHERE id = $1 RETURNING lockouts`, r.ID).Scan(&lockouts)
		if err != nil {
			return err
		}
		until = now.Add(c.opts.Lockout.duration(lockouts))
		if _, err := c.db.Exec(ctx, `UPDATE users SET locked_until = $1 WHERE id = $2`, until.UnixMicro(), r.ID); err != nil {
			return err
		}
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: r.Tenant, Actor: "system:lockout", Action: "identity.LockAccount",
			Resource: r.Name(), After: map[string]any{"locked_until": until.UnixMicro(), "lockouts": lockouts}})
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	return until, nil
}

func lockedError(until time.Time) error {
	return ErrAccountLocked.WithMessage("登录失败次数过多，账号已锁定至 %s，请稍后再试",
		until.In(time.FixedZone("CST", 8*3600)).Format("15:04:05"))
}

// AccountByID returns the account whose subject is id, whatever its status (the
// provider refuses tokens for a status other than active).
func (c *Core) AccountByID(ctx context.Context, id string) (Account, error) {
	r, err := c.userWhere(ctx, `id = $1`, id)
	if err != nil {
		return Account{}, err
	}
	return r.Account(), nil
}

// subjectOf resolves a user's or client's resource name to its subject and home tenant.
func (c *Core) subjectOf(ctx context.Context, field, name string) (string, tenancy.ID, error) {
	if strings.Contains(name, "/clients/") {
		t, id, err := parseChildName(field, name, "clients")
		if err != nil {
			return "", "", err
		}
		if _, err := c.clientWhere(ctx, `tenant = $1 AND id = $2`, string(t), id); err != nil {
			return "", "", err
		}
		return id, t, nil
	}
	t, id, err := parseChildName(field, name, "users")
	if err != nil {
		return "", "", err
	}
	if _, err := c.userWhere(ctx, `tenant = $1 AND id = $2`, string(t), id); err != nil {
		return "", "", fmt.Errorf("%s: %w", name, err)
	}
	return id, t, nil
}
