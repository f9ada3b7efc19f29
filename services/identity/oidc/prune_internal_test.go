package oidc

import (
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
		r := &refreshRequest{FamilyID: familyOf(t, s), ClientID: "console", Subject: "u-1", Scopes: a.Scopes, Granted: a.Scopes}
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
