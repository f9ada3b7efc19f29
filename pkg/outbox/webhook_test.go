package outbox_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
)

func TestVerifySignature(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"case":"C-1","status":"registered"}`)
	old := []byte("previous-secret-previous-secret-")
	good := outbox.Sign(secret, now, body)
	for _, tc := range []struct {
		name    string
		header  string
		body    []byte
		secrets [][]byte
		want    error
	}{
		{"valid", good, body, [][]byte{secret}, nil},
		{"valid during rotation", good, body, [][]byte{old, secret}, nil},
		{"signed by the old secret during rotation", outbox.Sign(old, now, body), body, [][]byte{old, secret}, nil},
		{"one of several v1 values", good + ",v1=00ff", body, [][]byte{secret}, nil},
		{"body changed", good, []byte(`{"case":"C-1","status":"rejected"}`), [][]byte{secret}, outbox.ErrBadSignature},
		{"wrong secret", good, body, [][]byte{old}, outbox.ErrBadSignature},
		{"timestamp changed", strings.Replace(good, "t=", "t=1", 1), body, [][]byte{secret}, outbox.ErrStale},
		{"too old", outbox.Sign(secret, now.Add(-6*time.Minute), body), body, [][]byte{secret}, outbox.ErrStale},
		{"from the future", outbox.Sign(secret, now.Add(6*time.Minute), body), body, [][]byte{secret}, outbox.ErrStale},
		{"no signature", "t=1764061200", body, [][]byte{secret}, outbox.ErrBadSignature},
		{"garbage", "hello", body, [][]byte{secret}, outbox.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := outbox.VerifySignature(tc.header, tc.body, now, 5*time.Minute, tc.secrets...)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestSignatureFormat(t *testing.T) {
	// The format receivers in other languages implement:
	// t=<unix>,v1=hex(HMAC-SHA256(secret, "<unix>.<body>")); the value was computed
	// independently of this package.
	got := outbox.Sign([]byte("key"), time.Unix(1764061200, 0), []byte(`{}`))
	require.Equal(t, "t=1764061200,v1=bf60872f9b93de3f69cfb7b0be90adc94879aec48c42f115df3c02cdebe9399f", got)
}

func TestVerifyRequest(t *testing.T) {
	body := []byte(`{"case":"C-1"}`)
	req := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
	req.Header.Set(outbox.HeaderSignature, outbox.Sign(secret, time.Now(), body))
	req.Header.Set(outbox.HeaderDelivery, "d-1")
	req.Header.Set(outbox.HeaderEvent, "legalaid.case.registered")
	req.Header.Set(outbox.HeaderTenant, "ahz")
	got, err := outbox.VerifyRequest(req, time.Minute, secret)
	require.NoError(t, err)
	require.Equal(t, outbox.Received{ID: "d-1", Topic: "legalaid.case.registered", Tenant: "ahz", Body: body}, got)

	req = httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
	req.Header.Set(outbox.HeaderSignature, outbox.Sign(secret, time.Now(), body))
	_, err = outbox.VerifyRequest(req, time.Minute, secret)
	require.Error(t, err, "a delivery id is required")
}

func TestBackoffGrowsWithJitterUpToMax(t *testing.T) {
	b := outbox.Backoff{Initial: time.Second, Max: time.Minute}
	for n, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 40: time.Minute} {
		for range 50 {
			d := b.Delay(n)
			require.GreaterOrEqual(t, d, full/2, "try %d", n)
			require.LessOrEqual(t, d, full, "try %d", n)
		}
	}
}
