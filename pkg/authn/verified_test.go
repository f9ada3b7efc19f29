package authn_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// TestRememberedTokensStillExpireAndRevoke: a token verified once is remembered, but a
// remembered token is refused once it expires and whenever it is revoked.
func TestRememberedTokensStillExpireAndRevoke(t *testing.T) {
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	clk := newClock()
	var revoked atomic.Bool
	v := iss.Verifier(authn.WithClock(clk.Now), authn.WithRevoked(func(context.Context, string) bool { return revoked.Load() }))
	token := iss.Token(clerk, authntest.ExpiresAt(clk.Now().Add(5*time.Minute)))

	for range 3 {
		p, err := v.Verify(t.Context(), token)
		require.NoError(t, err)
		require.Equal(t, clerk.Subject, p.Subject)
		p.Scopes = append(p.Scopes, "tampered") // the caller's copy, not the cache's
	}
	p, err := v.Verify(t.Context(), token)
	require.NoError(t, err)
	require.NotContains(t, p.Scopes, "tampered")

	revoked.Store(true)
	_, err = v.Verify(t.Context(), token)
	requireCode(t, err, errs.Unauthenticated, "TOKEN_REVOKED")
	revoked.Store(false)

	clk.Advance(5*time.Minute + authn.DefaultSkew + time.Second)
	_, err = v.Verify(t.Context(), token)
	requireCode(t, err, errs.Unauthenticated, "TOKEN_EXPIRED")
}

// BenchmarkVerify: what a service pays per call to check a bearer token, for a token seen
// before (a client reusing its access token: the usual case) and for one never seen
// (every call a new token: the signature is checked each time).
//
//	go test ./pkg/authn -run '^$' -bench Verify -benchmem
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"ES256", "RS256"} {
		iss := authntest.New(b, authntest.WithAlgorithm(alg))
		v := iss.Verifier()
		ctx := b.Context()
		seen := iss.Token(clerk)
		if _, err := v.Verify(ctx, seen); err != nil {
			b.Fatal(err)
		}
		b.Run(alg+"/seen", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, seen); err != nil {
					b.Fatal(err)
				}
			}
		})
		// More distinct tokens than the cache keeps, so every check is a first check.
		fresh := make([]string, 20000)
		for i := range fresh {
			fresh[i] = iss.Token(clerk, authntest.ID("jti-"+strconv.Itoa(i)))
		}
		b.Run(alg+"/first", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := v.Verify(ctx, fresh[i%len(fresh)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
