package oidc_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// BenchmarkIssueClientCredentials is token issuance as a machine client sees it: a
// client_credentials POST to the token endpoint over loopback HTTP (keep-alive), secret
// check, claims, ES256 signature and JSON, with GOMAXPROCS clients in parallel.
func BenchmarkIssueClientCredentials(b *testing.B) {
	e := start(b, testenv.SQLite(b))
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"cases.read"}}.Encode()
	tokenURL := e.issuer + "/oauth/token"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("court-1", courtSecret)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body := readBodyB(b, resp)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "access_token") {
				b.Errorf("status %d: %s", resp.StatusCode, body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkVerifyAccessToken is what every service pays per request: pkg/authn's offline
// check of a token the provider issued (keys already fetched).
func BenchmarkVerifyAccessToken(b *testing.B) {
	e := start(b, testenv.SQLite(b))
	tok, err := e.court(courtSecret, "cases.read").Token(b.Context())
	require.NoError(b, err)
	ctx := b.Context()
	revocations, err := authn.WatchRevocations(ctx, e.etcd.Client())
	require.NoError(b, err)
	for name, v := range map[string]*authn.Verifier{
		"signature+claims":    e.verifier(),
		"with-revocation-set": e.verifier(authn.WithRevoked(revocations.Revoked)),
	} {
		b.Run(name, func(b *testing.B) {
			_, err = v.Verify(ctx, tok.AccessToken)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok.AccessToken); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func readBodyB(b *testing.B, resp *http.Response) string {
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Error(err)
	}
	return string(body)
}
