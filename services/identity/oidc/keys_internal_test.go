package oidc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func ids(keys []*signingKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.id
	}
	return out
}

// TestKeyLifecycle: a new key is published before it signs, the old one stays published
// until what it signed has expired, then it is withdrawn and deleted; keys rotate by age.
func TestKeyLifecycle(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := openDB(t, dsn)
		now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		r := &keyRing{db: db, now: func() time.Time { return now }, rotation: 30 * 24 * time.Hour, ahead: time.Minute, retention: 11 * time.Minute}

		first, err := r.signer(ctx)
		require.NoError(t, err)
		second, err := r.rotate(ctx)
		require.NoError(t, err)
		s, err := r.signer(ctx)
		require.NoError(t, err)
		require.Equal(t, first.id, s.id, "the new key does not sign before the others have it")
		pub, err := r.published(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{first.id, second}, ids(pub))

		now = now.Add(time.Minute + keyReload)
		s, err = r.signer(ctx)
		require.NoError(t, err)
		require.Equal(t, second, s.id)
		pub, err = r.published(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{first.id, second}, ids(pub), "tokens of the first key are still valid")

		now = now.Add(11 * time.Minute)
		pub, err = r.published(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{second}, ids(pub))
		require.NoError(t, r.prune(ctx))
		all, err := r.load(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{second}, ids(all))

		// Thirty days later the ring makes the next key by itself.
		now = now.Add(31 * 24 * time.Hour)
		pub, err = r.published(ctx)
		require.NoError(t, err)
		require.Len(t, pub, 2)
		s, err = r.signer(ctx)
		require.NoError(t, err)
		require.Equal(t, second, s.id, "published ahead of signing")
	})
}

// TestSealedKeys: with a sealing ring the private key is not stored in clear, and a
// replica without the ring cannot use it.
func TestSealedKeys(t *testing.T) {
	ctx := t.Context()
	db := openDB(t, testenv.SQLite(t))
	ring, err := sealed.ParseRing("k1="+sealed.NewKeySecret(), sealed.NewKeySecret())
	require.NoError(t, err)
	r := &keyRing{db: db, now: time.Now, sealer: ring}
	k, err := r.signer(ctx)
	require.NoError(t, err)

	var stored []byte
	var isSealed bool
	require.NoError(t, db.QueryRow(ctx, `SELECT private_der, sealed FROM oidc_signing_keys WHERE id = $1`, k.id).Scan(&stored, &isSealed))
	require.True(t, isSealed)
	require.Contains(t, string(stored), "k1:")

	again, err := (&keyRing{db: db, now: time.Now, sealer: ring}).signer(ctx)
	require.NoError(t, err)
	require.True(t, again.priv.Equal(k.priv))
	_, err = (&keyRing{db: db, now: time.Now}).signer(ctx)
	require.Error(t, err)
}

func openDB(t *testing.T, dsn string) *sqlstore.DB {
	db, err := sqlstore.Open(t.Context(), dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Migrate(t.Context(), versionTable, migrations()))
	return db
}

// TestCryptoRefusesWhatItDidNotEncrypt: the provider's decryption fails on anything it
// did not encrypt, such as our refresh tokens, so revocation never takes one for an
// encrypted access token (see New).
func TestCryptoRefusesWhatItDidNotEncrypt(t *testing.T) {
	p, err := New(t.Context(), Config{Issuer: "https://id.example.cn/api/identity"}, noDirectory{}, openDB(t, testenv.SQLite(t)), testenv.StartEtcd(t).Client())
	require.NoError(t, err)
	c := p.op.Crypto()
	for range 2000 {
		_, err := c.Decrypt(randomID(32))
		require.Error(t, err)
	}
	sealed, err := c.Encrypt("jti:subject")
	require.NoError(t, err)
	plain, err := c.Decrypt(sealed)
	require.NoError(t, err)
	require.Equal(t, "jti:subject", plain)
}
