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
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
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
	// An administrator chose this password: the person chooses their own at first sign-in.
	r.mustChange = true
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
	rows, err := sqlstore.QueryAll(ctx, c.db, func(row sqlstore.Scanner) (userRow, error) { return scanUser(row.Scan) },
		`SELECT `+userSelect+` FROM users WHERE `+cond+` AND username > $3 ORDER BY username LIMIT $4`, append(args, after, n+1)...)
	if err != nil {
		return nil, "", err
	}
	out := make([]User, 0, min(len(rows), n))
	for _, r := range rows[:min(len(rows), n)] {
		out = append(out, c.masked(r))
	}
	next := ""
	if len(rows) > n {
		next = page.Encode(out[n-1].Username, query)
	}
	return out, next, nil
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
	if err := c.checkAdministers(ctx, usersObject, id, tenant); err != nil {
		return User{}, err
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
		return out, err
	}
	// Its tokens are refused as revoked too (TOKEN_REVOKED says more than a denial), every
	// one issued up to the end of this second: the account gets no new ones meanwhile.
	err = errors.Join(c.enforcer.Deny(ctx, id, authz.Any, authz.Any, authz.Any),
		authn.RevokeSubject(ctx, c.etcd, id, c.now().Truncate(time.Second).Add(time.Second), c.opts.TokenLifetime))
	return out, err
}

// ChangePassword is self-service: the caller proves its current password (failures count
// towards the account's sign-in throttle) and picks a new one that passes the policy. It
// ends the caller's sessions, this one included.
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
	return c.setPassword(ctx, r, next, false, "", "identity.ChangePassword")
}

// ChooseNewPassword is the new password a sign-in was told to choose (the account's
// must_change_password, set when the bootstrap or an administrator chose its password):
// the sign-in proved the current password a moment ago at the OpenID Provider, which
// calls this before it completes. It passes the policy and differs from the current one;
// the account's sessions end as for any change, and the requirement is lifted.
func (c *Core) ChooseNewPassword(ctx context.Context, id, next string) error {
	r, err := c.userWhere(ctx, `id = $1`, id)
	if err != nil {
		return err
	}
	if !r.mustChange {
		return ErrNoPasswordChangeDue
	}
	if r.Status != Active {
		return ErrAccountSuspended
	}
	if err := checkPolicy(next, r.Username); err != nil {
		return err
	}
	same, err := c.checkPassword(ctx, next, r.passwordHash)
	if err != nil {
		return err
	}
	if same {
		return ErrWeakPassword.WithMessage("新密码不能与当前密码相同").WithField("new_password", "WEAK_PASSWORD", "新密码不能与当前密码相同")
	}
	return c.setPassword(ctx, r, next, false, r.ID, "identity.ChooseNewPassword") // no token yet: the person is the actor
}

// ResetPassword is an administrator setting a new password; it lifts any wait on the
// account's sign-ins and ends its sessions.
func (c *Core) ResetPassword(ctx context.Context, tenant tenancy.ID, id, next string) (User, error) {
	if err := c.checkAdministers(ctx, usersObject, id, tenant); err != nil {
		return User{}, err
	}
	r, err := c.userWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
	if err != nil {
		return User{}, err
	}
	if err := checkPolicy(next, r.Username); err != nil {
		return User{}, err
	}
	// The administrator knows this password: the person chooses their own at sign-in.
	if err := c.setPassword(ctx, r, next, true, "", "identity.ResetPassword"); err != nil {
		return User{}, err
	}
	return c.GetUser(ctx, tenant, id)
}

// setPassword stores a new password and ends the account's sessions: sign-ins from
// before now can no longer refresh (sessions_after), the provider revokes them and
// publishes every access token they hold by its id, and a marker in etcd refuses any
// other token of the account issued before this second began (tokens carry their issue
// time in whole seconds, and a sign-in right after the change must work). mustChange
// says whether the next sign-in must choose another (someone else chose this one); actor
// is who is audited, "" for the caller.
func (c *Core) setPassword(ctx context.Context, r userRow, password string, mustChange bool, actor, action string) error {
	hash := hashPassword(password, c.opts.Argon2)
	now := c.now()
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		res, err := c.db.Exec(ctx, `UPDATE users SET password_hash = $1, failed_logins = 0, lockouts = 0, locked_until = 0,
			sessions_after = $2, must_change_password = $5, version = version + 1, update_time = $2 WHERE id = $3 AND version = $4`,
			hash, now.UnixMicro(), r.ID, r.Version, mustChange)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.ErrStaleVersion
		}
		if err := c.succeeded(ctx, r.Username); err != nil {
			return err
		}
		// The digest covers the account, never the password or its hash.
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: r.Tenant, Actor: actor, Action: action, Resource: r.Name(),
			Before: map[string]any{"version": r.Version}, After: map[string]any{"version": r.Version + 1, "sessions_ended": true, "must_change_password": mustChange}})
		return err
	})
	if err != nil {
		return err
	}
	err = authn.RevokeSubject(ctx, c.etcd, r.ID, now.Truncate(time.Second), c.opts.TokenLifetime)
	if c.endSessions != nil {
		err = errors.Join(err, c.endSessions(ctx, r.ID, "password changed"))
	}
	return err
}

var (
	dummyOnce sync.Once
	dummyPHC  string
)

// Authenticate checks a username and password from a source address (empty when
// unknown) under the sign-in throttle. Known and unknown names are answered alike: the
// same argon2id work, the same INVALID_CREDENTIALS, failures counted the same way, and
// the same TOO_MANY_ATTEMPTS during a wait, so neither the answer nor its timing tells
// which names exist. A suspended or departed account is told so only after a correct
// password.
func (c *Core) Authenticate(ctx context.Context, username, password, address string) (Account, error) {
	keys := c.throttleKeys(username, address)
	if err := c.throttled(ctx, keys); err != nil {
		return Account{}, err
	}
	r, err := c.userWhere(ctx, `username = $1`, normalizeUsername(username))
	if errors.Is(err, ErrUserNotFound) || (err == nil && len(password) > maxPasswordBytes) {
		if _, err := c.checkPassword(ctx, password, c.dummyHash()); err != nil {
			return Account{}, err
		}
		if err := c.failed(ctx, keys); err != nil {
			return Account{}, err
		}
		return Account{}, ErrInvalidCredentials
	}
	if err != nil {
		return Account{}, err
	}
	if err := c.check(ctx, r, password, keys); err != nil {
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

// dummyHash is checked for unknown names, so they cost what known ones do.
func (c *Core) dummyHash() string {
	dummyOnce.Do(func() { dummyPHC = hashPassword("not a password", c.opts.Argon2) })
	return dummyPHC
}

// verify checks the signed-in caller's password (changing it), under the throttle of
// its account name.
func (c *Core) verify(ctx context.Context, r userRow, password string) error {
	keys := c.throttleKeys(r.Username, "")
	if err := c.throttled(ctx, keys); err != nil {
		return err
	}
	return c.check(ctx, r, password, keys)
}

// check compares password with r's and records the outcome on keys.
func (c *Core) check(ctx context.Context, r userRow, password string, keys []throttleKey) error {
	ok, err := c.checkPassword(ctx, password, r.passwordHash)
	if err != nil {
		return err
	}
	if ok {
		return c.succeeded(ctx, r.Username)
	}
	if err := c.failed(ctx, keys); err != nil {
		return err
	}
	return ErrInvalidCredentials
}

// AccountByID returns the account whose subject is id, whatever its status (the
// provider refuses tokens for a status other than active), with its mandates while it
// holds the agent role.
func (c *Core) AccountByID(ctx context.Context, id string) (Account, error) {
	r, err := c.userWhere(ctx, `id = $1`, id)
	if err != nil {
		return Account{}, err
	}
	a := r.Account()
	if a.ActsFor, err = c.actsFor(ctx, id); err != nil {
		return Account{}, err
	}
	return a, nil
}

// subjectOf resolves a user's or client's resource name to its subject and home tenant.
func (c *Core) subjectOf(ctx context.Context, field, name string) (string, tenancy.ID, error) {
	object, id, t, err := parseSubjectName(field, name)
	if err != nil {
		return "", "", err
	}
	if object == clientsObject {
		if _, err := c.clientWhere(ctx, `tenant = $1 AND id = $2`, string(t), id); err != nil {
			return "", "", err
		}
		return id, t, nil
	}
	if _, err := c.userWhere(ctx, `tenant = $1 AND id = $2`, string(t), id); err != nil {
		return "", "", fmt.Errorf("%s: %w", name, err)
	}
	return id, t, nil
}

// The objects administering accounts takes (checkAdministers).
const (
	usersObject   = "identity.users"
	clientsObject = "identity.clients"
)

// parseSubjectName parses a user's or client's resource name, without looking it up:
// the object administering it takes, its subject and its home tenant.
func parseSubjectName(field, name string) (object, sub string, home tenancy.ID, err error) {
	object, collection := usersObject, "users"
	if strings.Contains(name, "/clients/") {
		object, collection = clientsObject, "clients"
	}
	home, sub, err = parseChildName(field, name, collection)
	return object, sub, home, err
}
