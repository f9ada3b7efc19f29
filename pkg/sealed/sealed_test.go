package sealed

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

func ring(t *testing.T, keys, index string) *Ring {
	t.Helper()
	r, err := ParseRing(keys, index)
	require.NoError(t, err)
	return r
}

func TestRoundTrip(t *testing.T) {
	r := ring(t, "k1="+NewKeySecret(), NewKeySecret())
	for _, plain := range []string{"", "11010519491231002X", "张三 13800138000", strings.Repeat("长", 1000)} {
		s := r.SealString(plain, "identity.users.id_number/u-1")
		require.True(t, strings.HasPrefix(s, "k1:"))
		require.NotContains(t, s, "11010519491231002X")
		got, err := r.OpenString(s, "identity.users.id_number/u-1")
		require.NoError(t, err)
		require.Equal(t, plain, got)
	}
	// A fresh nonce each time: equal plaintexts give different ciphertexts.
	require.NotEqual(t, r.SealString("x", "c"), r.SealString("x", "c"))
}

func TestTamperDetection(t *testing.T) {
	r := ring(t, "k1="+NewKeySecret(), NewKeySecret())
	s := r.SealString("11010519491231002X", "identity.users.id_number/u-1")
	id, body, _ := strings.Cut(s, ":")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	require.NoError(t, err)

	flipped := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return id + ":" + base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name, sealed, context string
		want                  error
	}{
		{"nonce bit flipped", flipped(0), "identity.users.id_number/u-1", ErrTampered},
		{"ciphertext bit flipped", flipped(14), "identity.users.id_number/u-1", ErrTampered},
		{"tag bit flipped", flipped(len(raw) - 1), "identity.users.id_number/u-1", ErrTampered},
		{"truncated", id + ":" + base64.RawURLEncoding.EncodeToString(raw[:20]), "identity.users.id_number/u-1", ErrTampered},
		{"moved to another row", s, "identity.users.id_number/u-2", ErrTampered},
		{"not base64", id + ":!!!", "identity.users.id_number/u-1", ErrTampered},
		{"no key id", body, "identity.users.id_number/u-1", ErrTampered},
		{"key id changed", "k9:" + body, "identity.users.id_number/u-1", ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Open(tt.sealed, tt.context)
			require.Error(t, err)
			require.True(t, errors.Is(err, tt.want), err)
			require.Equal(t, errs.Internal, errs.From(err).Kind)
		})
	}
	// Another deployment's ring with the same key id cannot open it.
	other := ring(t, "k1="+NewKeySecret(), NewKeySecret())
	_, err = other.Open(s, "identity.users.id_number/u-1")
	require.ErrorIs(t, err, ErrTampered)
}

func TestKeyRotation(t *testing.T) {
	k1, k2, idx := NewKeySecret(), NewKeySecret(), NewKeySecret()
	before := ring(t, "k1="+k1, idx)
	old := before.SealString("11010519491231002X", "ctx")
	require.False(t, before.Stale(old))

	// k2 becomes current; k1 stays to open what it sealed.
	after := ring(t, "k2="+k2+", k1="+k1, idx)
	require.Equal(t, "k2", after.CurrentKeyID())
	require.True(t, after.Stale(old))
	got, err := after.OpenString(old, "ctx")
	require.NoError(t, err)
	require.Equal(t, "11010519491231002X", got)

	resealed := after.SealString(got, "ctx")
	require.True(t, strings.HasPrefix(resealed, "k2:"))
	require.False(t, after.Stale(resealed))

	// Once everything is resealed, k1 retires: old values no longer open, new ones do.
	retired := ring(t, "k2="+k2, idx)
	_, err = retired.Open(old, "ctx")
	require.ErrorIs(t, err, ErrUnknownKey)
	got, err = retired.OpenString(resealed, "ctx")
	require.NoError(t, err)
	require.Equal(t, "11010519491231002X", got)

	// The blind index does not depend on the sealing keys.
	require.Equal(t, before.Index("identity.id_number", got), retired.Index("identity.id_number", got))
}

func TestBlindIndex(t *testing.T) {
	idx := NewKeySecret()
	r := ring(t, "k1="+NewKeySecret(), idx)
	a := r.Index("identity.id_number", "11010519491231002X")
	require.Equal(t, a, r.Index("identity.id_number", "11010519491231002X"))
	require.NotEqual(t, a, r.Index("identity.id_number", "440524188001010014"))
	require.NotEqual(t, a, r.Index("identity.phone", "11010519491231002X"), "purposes keep fields apart")
	require.NotEqual(t, r.Index("ab", "c"), r.Index("a", "bc"), "purpose and value cannot run together")
	require.NotContains(t, a, "11010519491231002X")
	other := ring(t, "k1="+NewKeySecret(), NewKeySecret())
	require.NotEqual(t, a, other.Index("identity.id_number", "11010519491231002X"), "the index is keyed")
}

func TestBadConfiguration(t *testing.T) {
	good, idx := NewKeySecret(), NewKeySecret()
	short := base64.StdEncoding.EncodeToString([]byte("too short"))
	tests := []struct{ name, keys, index string }{
		{"no keys", "", idx},
		{"no index key", "k1=" + good, ""},
		{"short key", "k1=" + short, idx},
		{"short index key", "k1=" + good, short},
		{"not base64", "k1=%%%", idx},
		{"missing id", good, idx},
		{"bad id", "K 1=" + good, idx},
		{"duplicate id", "k1=" + good + ",k1=" + NewKeySecret(), idx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRing(tt.keys, tt.index)
			require.ErrorIs(t, err, ErrBadKeys)
		})
	}
	t.Setenv(EnvKeys, "k3="+good)
	t.Setenv(EnvIndex, strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(idx), "="))
	r, err := FromEnv()
	require.NoError(t, err, "URL-safe unpadded base64 is accepted too")
	require.Equal(t, "k3", r.CurrentKeyID())
}
