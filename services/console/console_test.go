package console

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

var built = fstest.MapFS{
	"index.html":             {Data: []byte(`<!doctype html><script type="module" src="/assets/index-abc123.js"></script>`)},
	"assets/index-abc123.js": {Data: []byte(strings.Repeat("console.log('高兴办');\n", 200))},
	"robots.txt":             {Data: []byte("User-agent: *\nDisallow: /\n")},
	".vite/manifest.json":    {Data: []byte(`{}`)},
}

func get(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		require.NoError(t, err)
		r = zr
	}
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

func TestHandler(t *testing.T) {
	h := Handler(Options{Files: built, Issuer: "http://127.0.0.1:8080/api/identity"})
	for _, tc := range []struct {
		name, path, cache, ctype, contains string
		status                             int
	}{
		{"the application", "/", "no-cache", "text/html; charset=utf-8", "/assets/index-abc123.js", http.StatusOK},
		{"a page of the application is index.html", "/clerk/applications/ahz.s01.c01/M-1", "no-cache", "text/html; charset=utf-8", "/assets/index-abc123.js", http.StatusOK},
		{"hashed assets are immutable", "/assets/index-abc123.js", "public, max-age=31536000, immutable", "text/javascript; charset=utf-8", "高兴办", http.StatusOK},
		{"a stale asset is not the page", "/assets/index-old999.js", "", "text/plain; charset=utf-8", "404", http.StatusNotFound},
		{"other files are revalidated", "/robots.txt", "no-cache", "text/plain; charset=utf-8", "Disallow", http.StatusOK},
		{"build metadata is not served", "/.vite/manifest.json", "", "text/plain; charset=utf-8", "404", http.StatusNotFound},
		{"where to sign in", "/config.json", "no-store", "application/json; charset=utf-8", `"issuer":"http://127.0.0.1:8080/api/identity"`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, h, tc.path, "Accept-Encoding", "gzip")
			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, tc.cache, resp.Header.Get("Cache-Control"))
			require.Equal(t, tc.ctype, resp.Header.Get("Content-Type"))
			require.Contains(t, body(t, resp), tc.contains)
			require.Equal(t, Policy, resp.Header.Get("Content-Security-Policy"))
			require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
		})
	}

	t.Run("compressed for clients that accept it, with a validator", func(t *testing.T) {
		plain := get(t, h, "/assets/index-abc123.js")
		require.Empty(t, plain.Header.Get("Content-Encoding"))
		zipped := get(t, h, "/assets/index-abc123.js", "Accept-Encoding", "gzip, br")
		require.Equal(t, "gzip", zipped.Header.Get("Content-Encoding"))
		require.Less(t, zipped.ContentLength, plain.ContentLength)
		require.Equal(t, body(t, plain), body(t, zipped))
		again := get(t, h, "/assets/index-abc123.js", "Accept-Encoding", "gzip", "If-None-Match", zipped.Header.Get("ETag"))
		require.Equal(t, http.StatusNotModified, again.StatusCode)
	})

	t.Run("only reads", func(t *testing.T) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	})
}

// A binary built before `make web` still serves: every page says how to build the console.
func TestNotBuilt(t *testing.T) {
	h := Handler(Options{Files: fstest.MapFS{".keep": {Data: []byte("x")}}})
	for _, path := range []string{"/", "/clerk/queue", "/assets/index-abc123.js"} {
		resp := get(t, h, path)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Contains(t, body(t, resp), "make web")
	}
	require.False(t, Built(fstest.MapFS{}))
	require.True(t, Built(built))
}
