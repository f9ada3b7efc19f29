package identity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// Published examples: 91350100M000100Y43 (GB 32100 explanations), 11010519491231002X
// (GB 11643-1999).
const (
	creditCode = "91350100M000100Y43"
	idNumber   = "11010519491231002X"
)

func TestCreateUserBadInputChangesNothing(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		ctx := f.as(t, f.admin)
		f.user(t, ctx, "ahz.s01", "zhang.san")
		before := f.counts(t)

		good := func(mod func(*NewUser)) NewUser {
			u := NewUser{Tenant: "ahz.s01", Username: "li.si", DisplayName: "李四", Kind: authn.Staff, Password: strongPassword}
			mod(&u)
			return u
		}
		tests := []struct {
			name string
			in   NewUser
			kind errs.Kind
			code string
		}{
			{"credit code with wrong check character", good(func(u *NewUser) {
				u.Kind, u.CreditCode = authn.Enterprise, "91350100M000100Y44"
			}), errs.InvalidArgument, "INVALID_CREDIT_CODE"},
			{"enterprise without credit code", good(func(u *NewUser) { u.Kind = authn.Enterprise }), errs.InvalidArgument, "INVALID_CREDIT_CODE"},
			{"ID number with wrong check digit", good(func(u *NewUser) {
				u.Kind, u.IDNumber = authn.Citizen, "110105194912310021"
			}), errs.InvalidArgument, "INVALID_ID_NUMBER"},
			{"ID number with impossible birth date", good(func(u *NewUser) {
				c, _ := govid.IDNumberCheck("11010519490230002")
				u.Kind, u.IDNumber = authn.Citizen, "11010519490230002"+string(c)
			}), errs.InvalidArgument, "INVALID_ID_NUMBER"},
			{"duplicate username", good(func(u *NewUser) { u.Username = "zhang.san" }), errs.AlreadyExists, "USERNAME_TAKEN"},
			{"duplicate username in other case", good(func(u *NewUser) { u.Username = " Zhang.San " }), errs.AlreadyExists, "USERNAME_TAKEN"},
			{"password too short", good(func(u *NewUser) { u.Password = "Ab-12345" }), errs.InvalidArgument, "WEAK_PASSWORD"},
			{"password of one class", good(func(u *NewUser) { u.Password = "abcdefghijklmnop" }), errs.InvalidArgument, "WEAK_PASSWORD"},
			{"password of digits only", good(func(u *NewUser) { u.Password = "31415926535897" }), errs.InvalidArgument, "WEAK_PASSWORD"},
			{"password containing the username", good(func(u *NewUser) { u.Password = "Li.Si-2026-ok" }), errs.InvalidArgument, "WEAK_PASSWORD"},
			{"unknown tenant", good(func(u *NewUser) { u.Tenant = "ahz.s09" }), errs.NotFound, "TENANT_NOT_FOUND"},
			{"bad username", good(func(u *NewUser) { u.Username = "李四" }), errs.InvalidArgument, "INVALID_ARGUMENT"},
			{"service kind", good(func(u *NewUser) { u.Kind = authn.Service }), errs.InvalidArgument, "INVALID_ARGUMENT"},
			{"staff with an ID number", good(func(u *NewUser) { u.IDNumber = idNumber }), errs.InvalidArgument, "INVALID_ARGUMENT"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := f.core.CreateUser(ctx, tt.in)
				requireCode(t, err, tt.kind, tt.code)
				require.Equal(t, before, f.counts(t), "nothing changed")
			})
		}
	})
}

func TestCitizenIDNumberSealedAndMasked(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		ctx := f.as(t, f.admin)
		u, err := f.core.CreateUser(ctx, NewUser{Tenant: "ahz.s01.c01", Username: "citizen01", DisplayName: "王五",
			Kind: authn.Citizen, IDNumber: "11010519491231002x", Password: strongPassword})
		require.NoError(t, err)
		require.Equal(t, "110***********002X", u.IDNumberMasked)

		// At rest: sealed, never in clear; the blind index is not the number either.
		var stored, index string
		require.NoError(t, f.db.QueryRow(ctx, `SELECT id_number_sealed, id_number_index FROM users WHERE id = $1`, u.ID).Scan(&stored, &index))
		require.NotContains(t, stored, idNumber)
		require.NotContains(t, index, idNumber)
		plain, err := f.ring.OpenString(stored, idNumberContext(u.ID))
		require.NoError(t, err)
		require.Equal(t, idNumber, plain)

		got, err := f.core.GetUser(ctx, "ahz.s01.c01", u.ID)
		require.NoError(t, err)
		require.Equal(t, "110***********002X", got.IDNumberMasked)

		found, err := f.core.FindUserByIDNumber(ctx, "ahz", idNumber)
		require.NoError(t, err)
		require.Equal(t, u.ID, found.ID)
		_, err = f.core.FindUserByIDNumber(ctx, "ahz.s02", idNumber)
		requireCode(t, err, errs.NotFound, "USER_NOT_FOUND")

		before := f.counts(t)
		_, err = f.core.CreateUser(ctx, NewUser{Tenant: "ahz.s02", Username: "citizen02", DisplayName: "王五",
			Kind: authn.Citizen, IDNumber: idNumber, Password: strongPassword})
		requireCode(t, err, errs.AlreadyExists, "ID_NUMBER_TAKEN")
		require.Equal(t, before, f.counts(t))

		e, err := f.core.CreateUser(ctx, NewUser{Tenant: "ahz", Username: "ent01", DisplayName: "某某科技有限公司",
			Kind: authn.Enterprise, CreditCode: " 91350100m000100y43", Password: strongPassword})
		require.NoError(t, err)
		require.Equal(t, creditCode, e.CreditCode)

		recs, _, err := audit.List(ctx, f.db, "ahz.s01.c01", audit.ListOptions{})
		require.NoError(t, err)
		require.NotEmpty(t, recs)
		require.Equal(t, "identity.CreateUser", recs[len(recs)-1].GetAction())
	})
}

func TestLockoutWithBackoff(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	ctx := f.as(t, f.admin)
	u := f.user(t, ctx, "ahz.s01", "clerk01")

	fail := func() error {
		_, err := f.core.Authenticate(t.Context(), "clerk01", "Wrong-Password-1")
		return err
	}
	for range DefaultLockout.Threshold - 1 {
		requireCode(t, fail(), errs.Unauthenticated, "INVALID_CREDENTIALS")
	}
	requireCode(t, fail(), errs.PermissionDenied, "ACCOUNT_LOCKED")
	// Locked: even the right password is refused, without being checked.
	_, err := f.core.Authenticate(t.Context(), "clerk01", strongPassword)
	requireCode(t, err, errs.PermissionDenied, "ACCOUNT_LOCKED")
	got, err := f.core.GetUser(ctx, "ahz.s01", u.ID)
	require.NoError(t, err)
	require.Equal(t, f.clock.Now().Add(time.Minute), got.LockedUntil)

	f.clock.Advance(time.Minute - time.Second)
	_, err = f.core.Authenticate(t.Context(), "clerk01", strongPassword)
	requireCode(t, err, errs.PermissionDenied, "ACCOUNT_LOCKED")

	// After the lock, another run of failures locks for twice as long.
	f.clock.Advance(time.Second)
	for range DefaultLockout.Threshold {
		_ = fail()
	}
	got, err = f.core.GetUser(ctx, "ahz.s01", u.ID)
	require.NoError(t, err)
	require.Equal(t, f.clock.Now().Add(2*time.Minute), got.LockedUntil)

	// A successful login after the lock resets the backoff.
	f.clock.Advance(2 * time.Minute)
	acc, err := f.core.Authenticate(t.Context(), "CLERK01", strongPassword)
	require.NoError(t, err)
	require.Equal(t, u.ID, acc.ID)
	require.Equal(t, authn.Staff, acc.Kind)
	for range DefaultLockout.Threshold {
		_ = fail()
	}
	got, err = f.core.GetUser(ctx, "ahz.s01", u.ID)
	require.NoError(t, err)
	require.Equal(t, f.clock.Now().Add(time.Minute), got.LockedUntil)

	// An admin reset lifts the lock.
	_, err = f.core.ResetPassword(ctx, "ahz.s01", u.ID, "Another-Secret-77")
	require.NoError(t, err)
	_, err = f.core.Authenticate(t.Context(), "clerk01", "Another-Secret-77")
	require.NoError(t, err)

	recs, _, err := audit.List(ctx, f.db, "ahz.s01", audit.ListOptions{})
	require.NoError(t, err)
	locks := 0
	for _, r := range recs {
		if r.GetAction() == "identity.LockAccount" {
			locks++
		}
	}
	require.Equal(t, 3, locks)

	// Unknown usernames look like wrong passwords.
	_, err = f.core.Authenticate(t.Context(), "nobody", strongPassword)
	requireCode(t, err, errs.Unauthenticated, "INVALID_CREDENTIALS")
}

func TestStatusAndPasswords(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	ctx := f.as(t, f.admin)
	u := f.user(t, ctx, "ahz.s01", "clerk02")
	require.NoError(t, f.enf.Grant(ctx, u.ID, "window_clerk", "ahz.s01"))
	require.True(t, f.enf.Allowed(u.ID, "ahz.s01", "matters.applications", "create"))

	s, err := f.core.SetUserStatus(ctx, "ahz.s01", u.ID, Suspended, u.Version)
	require.NoError(t, err)
	require.Equal(t, Suspended, s.Status)
	require.False(t, f.enf.Allowed(u.ID, "ahz.s01", "matters.applications", "create"), "a suspended account is denied everywhere")
	_, err = f.core.Authenticate(t.Context(), "clerk02", strongPassword)
	requireCode(t, err, errs.PermissionDenied, "ACCOUNT_SUSPENDED")
	_, err = f.core.Authenticate(t.Context(), "clerk02", "Wrong-Password-1")
	requireCode(t, err, errs.Unauthenticated, "INVALID_CREDENTIALS")

	_, err = f.core.SetUserStatus(ctx, "ahz.s01", u.ID, Active, u.Version)
	requireCode(t, err, errs.Aborted, "STALE_VERSION")
	_, err = f.core.SetUserStatus(ctx, "ahz.s01", u.ID, Active, s.Version)
	require.NoError(t, err)
	require.True(t, f.enf.Allowed(u.ID, "ahz.s01", "matters.applications", "create"))

	_, err = f.core.SetUserStatus(ctx, "ahz.s01", u.ID, Left, 0)
	require.NoError(t, err)
	before := f.counts(t)
	_, err = f.core.SetUserStatus(ctx, "ahz.s01", u.ID, Active, 0)
	requireCode(t, err, errs.FailedPrecondition, "ILLEGAL_STATUS_CHANGE")
	require.Equal(t, before, f.counts(t))

	// Self-service change: current password required, policy applies.
	v := f.user(t, ctx, "ahz.s01", "clerk03")
	self := f.as(t, v.ID)
	requireCode(t, f.core.ChangePassword(self, "Wrong-Password-1", "Brand-New-Pass-9"), errs.Unauthenticated, "INVALID_CREDENTIALS")
	requireCode(t, f.core.ChangePassword(self, strongPassword, "short"), errs.InvalidArgument, "WEAK_PASSWORD")
	requireCode(t, f.core.ChangePassword(t.Context(), strongPassword, "Brand-New-Pass-9"), errs.Unauthenticated, "UNAUTHENTICATED")
	require.NoError(t, f.core.ChangePassword(self, strongPassword, "Brand-New-Pass-9"))
	_, err = f.core.Authenticate(t.Context(), "clerk03", strongPassword)
	requireCode(t, err, errs.Unauthenticated, "INVALID_CREDENTIALS")
	acc, err := f.core.Authenticate(t.Context(), "clerk03", "Brand-New-Pass-9")
	require.NoError(t, err)
	byID, err := f.core.AccountByID(t.Context(), acc.ID)
	require.NoError(t, err)
	require.Equal(t, acc, byID)
}

func TestPasswordHashFormat(t *testing.T) {
	h := hashPassword("Correct-Horse-42", Argon2Params{MemoryKiB: 1024, Time: 2, Threads: 1})
	require.Regexp(t, `^\$argon2id\$v=19\$m=1024,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`, h)
	require.True(t, checkPassword("Correct-Horse-42", h))
	require.False(t, checkPassword("Correct-Horse-43", h))
	require.False(t, checkPassword("Correct-Horse-42", "$argon2i$v=19$m=1024,t=2,p=1$AAAA$AAAA"))
	require.False(t, checkPassword("Correct-Horse-42", "garbage"))
	for range 20 {
		require.NoError(t, checkPolicy(randomPassword(), AdminUsername))
	}
}

func TestConcurrentFailuresAllCount(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn, Options{Argon2: testArgon2, Lockout: Lockout{Threshold: 100, Base: time.Minute, Max: time.Hour}})
		f.user(t, f.sys(), "ahz.s01", "clerk04")
		const n = 20
		errc := make(chan error, n)
		for range n {
			go func() {
				_, err := f.core.Authenticate(t.Context(), "clerk04", "Wrong-Password-1")
				errc <- err
			}()
		}
		for range n {
			requireCode(t, <-errc, errs.Unauthenticated, "INVALID_CREDENTIALS")
		}
		var failed int64
		require.NoError(t, f.db.QueryRow(t.Context(), `SELECT failed_logins FROM users WHERE username = 'clerk04'`).Scan(&failed))
		require.Equal(t, int64(n), failed, "no failure lost to a concurrent one")
	})
}
