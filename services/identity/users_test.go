package identity

import (
	"fmt"
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

// signIn is one attempt from an address; it returns the error code ("" on success).
func (f *fixture) signIn(t *testing.T, username, password, address string) string {
	t.Helper()
	_, err := f.core.Authenticate(t.Context(), username, password, address)
	if err == nil {
		return ""
	}
	e := errs.From(err)
	if e.Code == "TOO_MANY_ATTEMPTS" {
		require.Equal(t, errs.ResourceExhausted, e.Kind)
	}
	return e.Code
}

// A stranger who fails on purpose on someone's account only delays its owner, by a
// bounded wait; the owner's correct password after the wait signs in.
func TestStrangerCannotHoldAnAccount(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	ctx := f.as(t, f.admin)
	f.user(t, ctx, "ahz.s01", "clerk01")
	p := DefaultThrottle

	for range p.AccountFree {
		require.Equal(t, "INVALID_CREDENTIALS", f.signIn(t, "clerk01", "Wrong-Password-1", "203.0.113.9"))
	}
	// Waiting: even the owner's right password, from elsewhere, is not checked yet.
	require.Equal(t, "TOO_MANY_ATTEMPTS", f.signIn(t, "clerk01", strongPassword, "198.51.100.7"))
	_, err := f.core.Authenticate(t.Context(), "clerk01", strongPassword, "198.51.100.7")
	require.Contains(t, errs.From(err).Message, "1 秒后重试")
	f.clock.Advance(p.Base)
	require.Empty(t, f.signIn(t, "clerk01", strongPassword, "198.51.100.7"))

	// However long the stranger keeps at it, from however many addresses, the wait
	// grows to AccountMax and no further; a refused attempt does not count.
	for i := range 40 {
		addr := fmt.Sprintf("192.0.2.%d", i)
		if f.signIn(t, "clerk01", "Wrong-Password-1", addr) == "TOO_MANY_ATTEMPTS" {
			f.clock.Advance(p.AccountMax)
			require.Equal(t, "INVALID_CREDENTIALS", f.signIn(t, "clerk01", "Wrong-Password-1", addr))
		}
	}
	_, err = f.core.Authenticate(t.Context(), "clerk01", strongPassword, "198.51.100.7")
	require.Contains(t, errs.From(err).Message, "60 秒后重试")
	f.clock.Advance(p.AccountMax)
	require.Empty(t, f.signIn(t, "clerk01", strongPassword, "198.51.100.7"))
	// The success cleared the account's count.
	require.Equal(t, "INVALID_CREDENTIALS", f.signIn(t, "clerk01", "Wrong-Password-1", "198.51.100.7"))

	// An administrator's reset lifts any wait.
	for range p.AccountFree {
		f.signIn(t, "clerk01", "Wrong-Password-1", "203.0.113.10")
	}
	require.Equal(t, "TOO_MANY_ATTEMPTS", f.signIn(t, "clerk01", strongPassword, "198.51.100.7"))
	u, err := f.core.userWhere(t.Context(), `username = $1`, "clerk01")
	require.NoError(t, err)
	_, err = f.core.ResetPassword(ctx, "ahz.s01", u.ID, "Another-Secret-77")
	require.NoError(t, err)
	require.Empty(t, f.signIn(t, "clerk01", "Another-Secret-77", "198.51.100.7"))
}

// Unknown names are answered exactly as known ones, failures and waits included, so a
// guesser cannot tell which exist.
func TestUnknownNamesAnsweredAlike(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	f.user(t, f.as(t, f.admin), "ahz.s01", "clerk05")
	answers := func(username string) []string {
		var out []string
		for range DefaultThrottle.AccountFree + 2 {
			_, err := f.core.Authenticate(t.Context(), username, "Wrong-Password-1", "")
			out = append(out, errs.From(err).Code+" "+errs.From(err).Message)
		}
		return out
	}
	known, unknown := answers("clerk05"), answers("nobody05")
	require.Equal(t, known, unknown)
	require.Contains(t, known[len(known)-1], "TOO_MANY_ATTEMPTS")
}

// One address guessing at many names is slowed down as a whole; other addresses are not.
func TestAddressThrottle(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	f.user(t, f.as(t, f.admin), "ahz.s01", "clerk06")
	for i := range DefaultThrottle.AddressFree {
		require.Equal(t, "INVALID_CREDENTIALS", f.signIn(t, fmt.Sprintf("name%02d", i), "Wrong-Password-1", "2001:db8::1"))
	}
	// The same /64 is the same address; another address is not held back.
	require.Equal(t, "TOO_MANY_ATTEMPTS", f.signIn(t, "clerk06", strongPassword, "[2001:db8::2]:4431"))
	require.Empty(t, f.signIn(t, "clerk06", strongPassword, "2001:db8:1::1"))
	f.clock.Advance(DefaultThrottle.Base)
	require.Empty(t, f.signIn(t, "clerk06", strongPassword, "2001:db8::2"))
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
	_, err = f.core.Authenticate(t.Context(), "clerk02", strongPassword, "")
	requireCode(t, err, errs.PermissionDenied, "ACCOUNT_SUSPENDED")
	_, err = f.core.Authenticate(t.Context(), "clerk02", "Wrong-Password-1", "")
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
	_, err = f.core.Authenticate(t.Context(), "clerk03", strongPassword, "")
	requireCode(t, err, errs.Unauthenticated, "INVALID_CREDENTIALS")
	acc, err := f.core.Authenticate(t.Context(), "clerk03", "Brand-New-Pass-9", "")
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
		f := newFixture(t, dsn, Options{Argon2: testArgon2, Throttle: Throttle{Window: time.Hour, AccountFree: 100, AddressFree: 100, Base: time.Second, AccountMax: time.Minute, AddressMax: time.Minute}})
		f.user(t, f.sys(), "ahz.s01", "clerk04")
		const n = 20
		errc := make(chan error, n)
		for range n {
			go func() {
				_, err := f.core.Authenticate(t.Context(), "clerk04", "Wrong-Password-1", "192.0.2.1")
				errc <- err
			}()
		}
		for range n {
			requireCode(t, <-errc, errs.Unauthenticated, "INVALID_CREDENTIALS")
		}
		var failed int64
		for _, key := range []string{"account:clerk04", "address:192.0.2.1"} {
			require.NoError(t, f.db.QueryRow(t.Context(), `SELECT failures FROM login_throttle WHERE key = $1`, key).Scan(&failed))
			require.Equal(t, int64(n), failed, "no failure lost to a concurrent one: %s", key)
		}
	})
}
