package kit_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/kit"
)

// TestHTTPDeadlines: the server has read, write and idle deadlines, and a streaming
// route can lengthen its own through every wrapper the kit puts around it.
func TestHTTPDeadlines(t *testing.T) {
	s := kit.New("probe")
	srv := kit.NewHTTPServer(s.HTTPHandler())
	require.Equal(t, kit.ReadHeaderTimeout, srv.ReadHeaderTimeout)
	require.Equal(t, kit.ReadTimeout, srv.ReadTimeout)
	require.Equal(t, kit.WriteTimeout, srv.WriteTimeout)
	require.Equal(t, kit.IdleTimeout, srv.IdleTimeout)
	for _, d := range []time.Duration{srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout} {
		require.Positive(t, d)
	}

	// The handler reports whether the connection's deadline could be set from inside the
	// route (otelhttp and the mux wrap the writer; http.ResponseController unwraps them).
	s.Route("GET /stream", "Stream", kit.Rule{Public: true}, func(w http.ResponseWriter, _ *http.Request) error {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(kit.StreamTimeout)); err != nil {
			return err
		}
		_, err := io.WriteString(w, "ok")
		return err
	}, kit.Streaming(kit.StreamTimeout))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	resp, err := http.Get("http://" + lis.Addr().String() + "/api/probe/stream")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, "ok", string(body))
}

// TestHTTPPanicIsInternal: a plain route that panics answers 500 INTERNAL with the usual
// error body, and the server keeps serving.
func TestHTTPPanicIsInternal(t *testing.T) {
	s := kit.New("probe")
	s.HandleHTTP("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		var page []int
		_ = page[len(page)-1+9] // an index out of range, as an unchecked page number makes
	}))
	srv := httptest.NewServer(s.HTTPHandler())
	t.Cleanup(srv.Close)
	for range 2 {
		resp, err := http.Get(srv.URL + "/api/probe/boom")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		require.Contains(t, string(body), `"INTERNAL"`)
		require.NotContains(t, string(body), "index out of range", "the cause stays in the log")
	}
}
