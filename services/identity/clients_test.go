package identity

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestMachineClients(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	admin := f.as(t, f.admin)
	ctx := t.Context()

	cl, secret, err := f.core.RegisterClient(admin, NewClient{Tenant: "ahz", Slug: "court-01", DisplayName: "区人民法院",
		Scopes: []string{"legalaid.cases", "documents.documents"}})
	require.NoError(t, err)
	require.Equal(t, "svc-court-01", cl.ID)
	require.Len(t, secret, 43)

	// Stored as a digest only.
	var stored string
	require.NoError(t, f.db.QueryRow(ctx, `SELECT secret_hash FROM clients WHERE id = $1`, cl.ID).Scan(&stored))
	require.NotContains(t, stored, secret)

	require.NoError(t, f.core.CheckClientSecret(ctx, cl.ID, secret))
	requireCode(t, f.core.CheckClientSecret(ctx, cl.ID, secret+"x"), errs.Unauthenticated, "INVALID_CLIENT")
	requireCode(t, f.core.CheckClientSecret(ctx, "svc-nobody", secret), errs.Unauthenticated, "INVALID_CLIENT")
	dc, err := f.core.Client(ctx, cl.ID)
	require.NoError(t, err)
	require.Equal(t, Client{ID: "svc-court-01", Tenant: "ahz", DisplayName: "区人民法院", Scopes: []string{"legalaid.cases", "documents.documents"}, Confidential: true}, dc)
	_, err = f.core.Client(ctx, "svc-nobody")
	requireCode(t, err, errs.NotFound, "CLIENT_NOT_FOUND")

	rotated, next, err := f.core.RotateClientSecret(admin, "ahz", cl.ID)
	require.NoError(t, err)
	require.Equal(t, int64(2), rotated.Version)
	require.NotEqual(t, secret, next)
	requireCode(t, f.core.CheckClientSecret(ctx, cl.ID, secret), errs.Unauthenticated, "INVALID_CLIENT")
	require.NoError(t, f.core.CheckClientSecret(ctx, cl.ID, next))
	_, _, err = f.core.RotateClientSecret(admin, "ahz.s01", cl.ID)
	requireCode(t, err, errs.NotFound, "CLIENT_NOT_FOUND")

	console, none, err := f.core.RegisterClient(admin, NewClient{Tenant: "ahz", Slug: "console", DisplayName: "控制台", Public: true,
		Scopes: []string{"openid", "profile"}, RedirectURIs: []string{"http://127.0.0.1:8080/console/callback"}})
	require.NoError(t, err)
	require.Empty(t, none)
	requireCode(t, f.core.CheckClientSecret(ctx, console.ID, ""), errs.Unauthenticated, "INVALID_CLIENT")
	dc, err = f.core.Client(ctx, console.ID)
	require.NoError(t, err)
	require.True(t, dc.Public)
	require.False(t, dc.Confidential)

	before := f.counts(t)
	for _, bad := range []NewClient{
		{Tenant: "ahz", Slug: "court-01", DisplayName: "重复"},
		{Tenant: "ahz", Slug: "Court 01", DisplayName: "坏标识"},
		{Tenant: "ahz.s09", Slug: "x1", DisplayName: "未知租户"},
		{Tenant: "ahz", Slug: "web", DisplayName: "无回调", Public: true},
		{Tenant: "ahz", Slug: "web2", DisplayName: "坏回调", Public: true, RedirectURIs: []string{"javascript:alert(1)"}},
		{Tenant: "ahz", Slug: "x2", DisplayName: "坏范围", Scopes: []string{"a b"}},
	} {
		_, _, err := f.core.RegisterClient(admin, bad)
		require.Error(t, err, bad.DisplayName)
		require.Equal(t, before, f.counts(t))
	}
	_, _, err = f.core.RegisterClient(admin, NewClient{Tenant: "ahz", Slug: "court-01", DisplayName: "重复"})
	requireCode(t, err, errs.AlreadyExists, "CLIENT_EXISTS")
}

// A disabled client's secret no longer works, and every token issued to it is revoked by
// a marker in etcd; enabling it again lets it get new tokens.
func TestDisableClient(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t), Options{Argon2: testArgon2}) // real time: the marker's lease follows it
	admin := f.as(t, f.admin)
	cl, secret, err := f.core.RegisterClient(admin, NewClient{Tenant: "ahz", Slug: "court-02", DisplayName: "区法院", Scopes: []string{"cases.read"}})
	require.NoError(t, err)

	_, err = f.core.SetClientEnabled(admin, "ahz", cl.ID, false, cl.Version+1)
	requireCode(t, err, errs.Aborted, "STALE_VERSION")
	off, err := f.core.SetClientEnabled(admin, "ahz", cl.ID, false, cl.Version)
	require.NoError(t, err)
	require.True(t, off.Disabled)
	requireCode(t, f.core.CheckClientSecret(t.Context(), cl.ID, secret), errs.Unauthenticated, "CLIENT_DISABLED")
	requireCode(t, f.core.CheckClientSecret(t.Context(), cl.ID, "wrong"), errs.Unauthenticated, "INVALID_CLIENT")
	dc, err := f.core.Client(t.Context(), cl.ID)
	require.NoError(t, err)
	require.True(t, dc.Disabled)
	resp, err := f.etcd.Client().Get(t.Context(), authn.RevokedPrefix+"client/"+cl.ID)
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1, "its tokens are revoked everywhere")

	on, err := f.core.SetClientEnabled(admin, "ahz", cl.ID, true, 0)
	require.NoError(t, err)
	require.False(t, on.Disabled)
	require.NoError(t, f.core.CheckClientSecret(t.Context(), cl.ID, secret))
}
