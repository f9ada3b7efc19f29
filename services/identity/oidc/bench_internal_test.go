package oidc

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

type noDirectory struct{ Directory }

// BenchmarkSignAccessToken is the signing step alone: claims for a machine client and the
// ES256 signature, as the token endpoint makes them, without HTTP or client checks.
func BenchmarkSignAccessToken(b *testing.B) {
	ctx := b.Context()
	db, err := sqlstore.Open(ctx, testenv.SQLite(b), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	p, err := New(ctx, Config{Issuer: "https://id.example.cn/api/identity"}, noDirectory{}, db, testenv.StartEtcd(b).Client())
	require.NoError(b, err)
	req := &machineRequest{ClientID: "court-1", Tenant: "ahz.s01", Scopes: []string{"cases.read"}}
	client := &opClient{c: Client{ID: "court-1", Confidential: true}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		jti, exp, err := p.store.CreateAccessToken(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := op.CreateJWT(ctx, p.cfg.Issuer, req, exp, jti, client, p.store); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
