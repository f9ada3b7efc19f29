package outbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
)

func TestLoadEndpoints(t *testing.T) {
	secret := strings.Repeat("s", outbox.MinSecretLen)
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, body := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
		}
		return dir
	}

	dir := write(t, map[string]string{
		"hotline_12345.url":    "https://12345.example.gov.cn/hooks/gaoxing\n",
		"hotline_12345.secret": secret + "\n",
		"petition.url":         "http://10.0.0.7:8080/notify",
		"petition.secret":      secret,
		"README":               "ignored",
	})
	eps, err := outbox.LoadEndpoints(dir)
	require.NoError(t, err)
	require.Equal(t, outbox.StaticEndpoints{
		"hotline_12345": {URL: "https://12345.example.gov.cn/hooks/gaoxing", Secret: []byte(secret)},
		"petition":      {URL: "http://10.0.0.7:8080/notify", Secret: []byte(secret)},
	}, eps)

	for name, files := range map[string]map[string]string{
		"no secret":    {"a.url": "https://x.example/h"},
		"short secret": {"a.url": "https://x.example/h", "a.secret": "short"},
		"not a URL":    {"a.url": "ftp://x.example/h", "a.secret": secret},
		"no host":      {"a.url": "https:///h", "a.secret": secret},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := outbox.LoadEndpoints(write(t, files))
			require.Error(t, err)
		})
	}

	eps, err = outbox.LoadEndpoints(t.TempDir())
	require.NoError(t, err)
	require.Empty(t, eps, "an empty directory configures no receiver")
}
