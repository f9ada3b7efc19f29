package identity

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestFirstPartyClients(t *testing.T) {
	console := func(cs []ConfiguredClient) *ConfiguredClient {
		for i := range cs {
			if cs[i].ID == ConsoleClientID {
				return &cs[i]
			}
		}
		return nil
	}
	for _, c := range []struct {
		name, issuer     string
		redirect, logout []string
		wantRedirect     []string
		wantLogout       []string
	}{
		{name: "launcher: both loopback names", issuer: "http://127.0.0.1:8080/api/identity",
			wantRedirect: []string{"http://127.0.0.1:8080/auth/callback", "http://localhost:8080/auth/callback"},
			wantLogout:   []string{"http://127.0.0.1:8080/", "http://localhost:8080/"}},
		{name: "cluster: the ingress host", issuer: "https://gov.example.cn/api/identity",
			wantRedirect: []string{"https://gov.example.cn/auth/callback"}, wantLogout: []string{"https://gov.example.cn/"}},
		{name: "configured", issuer: "https://gov.example.cn/api/identity", redirect: []string{"https://console.example.cn/app/auth/callback"},
			wantRedirect: []string{"https://console.example.cn/app/auth/callback"}, wantLogout: []string{"https://console.example.cn/app/"}},
		{name: "configured both", issuer: "https://gov.example.cn/api/identity", redirect: []string{"https://a.example.cn/cb"}, logout: []string{"https://a.example.cn/bye"},
			wantRedirect: []string{"https://a.example.cn/cb"}, wantLogout: []string{"https://a.example.cn/bye"}},
		{name: "no issuer: no console"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := FirstPartyClients(c.issuer, c.redirect, c.logout)
			require.Equal(t, CLIClientID, got[0].ID)
			require.True(t, got[0].Device)
			require.Empty(t, got[0].RedirectURIs)
			con := console(got)
			if c.wantRedirect == nil {
				require.Nil(t, con)
				return
			}
			require.NotNil(t, con)
			require.Equal(t, c.wantRedirect, con.RedirectURIs)
			require.Equal(t, c.wantLogout, con.LogoutURIs)
			require.False(t, con.Device)
		})
	}
}

// TestEnsureClients: the platform's clients are registered once, a restart with the same
// configuration changes nothing, a changed configuration updates (and audits) the
// registration, and an administrator's disabling survives it.
func TestEnsureClients(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		ctx := t.Context()
		clients := FirstPartyClients("http://127.0.0.1:8080/api/identity", nil, nil)
		changed, err := f.core.EnsureClients(ctx, clients)
		require.NoError(t, err)
		require.Equal(t, []string{CLIClientID, ConsoleClientID}, changed)
		before := f.counts(t)
		changed, err = f.core.EnsureClients(ctx, clients)
		require.NoError(t, err)
		require.Empty(t, changed)
		require.Equal(t, before, f.counts(t), "nothing written on a restart")

		c, err := f.core.Client(ctx, ConsoleClientID)
		require.NoError(t, err)
		require.Equal(t, Client{ID: "console", Tenant: "ahz", DisplayName: "高兴办工作台", Scopes: []string{"openid", "profile", "offline_access"},
			RedirectURIs: []string{"http://127.0.0.1:8080/auth/callback", "http://localhost:8080/auth/callback"},
			LogoutURIs:   []string{"http://127.0.0.1:8080/", "http://localhost:8080/"}, Public: true}, c)
		cli, err := f.core.Client(ctx, CLIClientID)
		require.NoError(t, err)
		require.True(t, cli.Public && cli.Device)
		requireCode(t, f.core.CheckClientSecret(ctx, ConsoleClientID, ""), errs.Unauthenticated, "INVALID_CLIENT")

		_, err = f.core.SetClientEnabled(f.as(t, f.admin), "ahz", ConsoleClientID, false, 0)
		require.NoError(t, err)
		changed, err = f.core.EnsureClients(ctx, FirstPartyClients("http://127.0.0.1:9090/api/identity", nil, nil))
		require.NoError(t, err)
		require.Equal(t, []string{ConsoleClientID}, changed)
		c, err = f.core.Client(ctx, ConsoleClientID)
		require.NoError(t, err)
		require.Equal(t, []string{"http://127.0.0.1:9090/auth/callback", "http://localhost:9090/auth/callback"}, c.RedirectURIs)
		require.True(t, c.Disabled, "an administrator's decision outlives a restart")
		var audited int
		require.NoError(t, f.db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM audit_records WHERE action = 'identity.UpdateClient')
			+ (SELECT COUNT(*) FROM audit_pending WHERE action = 'identity.UpdateClient')`).Scan(&audited))
		require.Equal(t, 1, audited)

		_, err = f.core.EnsureClients(ctx, []ConfiguredClient{{ID: ConsoleClientID, DisplayName: "x", RedirectURIs: []string{"ftp://nope"}}})
		requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")
		require.ErrorContains(t, err, "ftp://nope")
	})
}

// TestPasswordChosenBySomeoneElse: an account whose password an administrator chose
// (created or reset) must choose its own at its next sign-in; the new one passes the
// policy and differs from the old; only such an account may set one without the current
// password; a self-service change lifts the requirement too.
func TestPasswordChosenBySomeoneElse(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	ctx := t.Context()
	admin := f.as(t, f.admin)
	u := f.user(t, admin, "ahz.s01", "clerk09")
	acc, err := f.core.Authenticate(ctx, "clerk09", strongPassword, "")
	require.NoError(t, err)
	require.True(t, acc.MustChangePassword, "an administrator created it")

	requireCode(t, f.core.ChooseNewPassword(ctx, u.ID, "short"), errs.InvalidArgument, "WEAK_PASSWORD")
	requireCode(t, f.core.ChooseNewPassword(ctx, u.ID, strongPassword), errs.InvalidArgument, "WEAK_PASSWORD")
	require.NoError(t, f.core.ChooseNewPassword(ctx, u.ID, "Chosen-By-Me-2026"))
	acc, err = f.core.Authenticate(ctx, "clerk09", "Chosen-By-Me-2026", "")
	require.NoError(t, err)
	require.False(t, acc.MustChangePassword)
	require.False(t, acc.SessionsAfter.IsZero(), "the change ended the sessions before it")
	requireCode(t, f.core.ChooseNewPassword(ctx, u.ID, "Another-Mine-2026"), errs.FailedPrecondition, "NO_PASSWORD_CHANGE_DUE")

	_, err = f.core.ResetPassword(admin, "ahz.s01", u.ID, "Reset-By-Admin-2026")
	require.NoError(t, err)
	acc, err = f.core.Authenticate(ctx, "clerk09", "Reset-By-Admin-2026", "")
	require.NoError(t, err)
	require.True(t, acc.MustChangePassword, "an administrator reset it")
	require.NoError(t, f.core.ChangePassword(f.as(t, u.ID), "Reset-By-Admin-2026", "Chosen-Again-2026"))
	acc, err = f.core.AccountByID(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, acc.MustChangePassword)
}
