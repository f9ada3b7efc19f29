package oidc

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func countRows(t *testing.T, s *storage, table string) int {
	var n int64
	require.NoError(t, s.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM `+table).Scan(&n))
	return int(n)
}

// TestPrune: rows go once nothing can use them, and not before: a rotated refresh token
// stays until its expiry so that its reuse is still caught.
func TestPrune(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := openDB(t, dsn)
		p, err := New(ctx, Config{Issuer: "https://id.example.cn/api/identity", RefreshTTL: time.Hour}, noDirectory{}, db, testenv.StartEtcd(t).Client())
		require.NoError(t, err)
		now := time.Now()
		s := p.store
		s.now = func() time.Time { return now }

		a := &authRequest{ClientID: "console", Subject: "u-1", Tenant: "ahz", Kind: "staff", Scopes: []string{"openid", "offline_access"}, AuthTime: now}
		_, first, _, err := s.CreateAccessAndRefreshTokens(ctx, a, "")
		require.NoError(t, err)
		r := &refreshRequest{FamilyID: familyOf(t, s), ClientID: "console", Subject: "u-1", Scopes: a.Scopes, Granted: a.Scopes, Created: now}
		_, _, _, err = s.CreateAccessAndRefreshTokens(ctx, r, first)
		require.NoError(t, err)
		require.Equal(t, 2, countRows(t, s, "oidc_refresh_tokens"))

		now = now.Add(30 * time.Minute) // access tokens expired, refresh tokens not
		require.NoError(t, s.prune(ctx))
		require.Zero(t, countRows(t, s, "oidc_access_tokens"))
		require.Equal(t, 2, countRows(t, s, "oidc_refresh_tokens"), "the rotated token is kept to catch its reuse")
		require.Equal(t, 1, countRows(t, s, "oidc_token_families"))

		now = now.Add(time.Hour)
		require.NoError(t, s.prune(ctx))
		require.Zero(t, countRows(t, s, "oidc_refresh_tokens"))
		require.Zero(t, countRows(t, s, "oidc_token_families"))
	})
}

func familyOf(t *testing.T, s *storage) string {
	var id string
	require.NoError(t, s.db.QueryRow(t.Context(), `SELECT id FROM oidc_token_families`).Scan(&id))
	return id
}

// activeDirectory knows one active account and one client.
type activeDirectory struct{ noDirectory }

func (activeDirectory) AccountByID(_ context.Context, id string) (Account, error) {
	return Account{ID: id, Tenant: "ahz", Kind: "staff", Status: AccountActive}, nil
}

func (activeDirectory) Client(_ context.Context, id string) (Client, error) {
	return Client{ID: id, Tenant: "ahz", Public: true}, nil
}

// TestRefreshMaxAge: rotation keeps a sign-in going only until its absolute end; the
// last refresh token issued before it expires with it.
func TestRefreshMaxAge(t *testing.T) {
	ctx := t.Context()
	p, err := New(ctx, Config{Issuer: "https://id.example.cn/api/identity", RefreshTTL: 8 * time.Hour, RefreshMaxAge: 24 * time.Hour},
		activeDirectory{}, openDB(t, testenv.SQLite(t)), testenv.StartEtcd(t).Client())
	require.NoError(t, err)
	now := time.Now()
	s := p.store
	s.now = func() time.Time { return now }

	a := &authRequest{ClientID: "console", Subject: "u-1", Tenant: "ahz", Kind: "staff", Scopes: []string{"openid", "offline_access"}, AuthTime: now}
	_, token, _, err := s.CreateAccessAndRefreshTokens(ctx, a, "")
	require.NoError(t, err)
	// Refreshed every 7 hours, well within RefreshTTL each time.
	for range 3 {
		now = now.Add(7 * time.Hour)
		r, err := s.TokenRequestByRefreshToken(ctx, token)
		require.NoError(t, err)
		_, token, _, err = s.CreateAccessAndRefreshTokens(ctx, r, token)
		require.NoError(t, err)
	}
	var expires int64
	require.NoError(t, s.db.QueryRow(ctx, `SELECT expires_at FROM oidc_refresh_tokens WHERE token_hash = $1`, hashSecret(token)).Scan(&expires))
	require.Equal(t, a.AuthTime.Add(24*time.Hour).UnixMicro()/1e6, expires/1e6, "capped at the sign-in's end, not 8 h on")

	now = now.Add(3 * time.Hour) // 24 h after sign-in
	_, err = s.TokenRequestByRefreshToken(ctx, token)
	require.Error(t, err)
}
