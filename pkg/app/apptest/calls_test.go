package apptest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// The HTTP helpers against a handler that answers the way services do: a refused
// request gets errs.WriteHTTP's body, an accepted one echoes what it got.
func TestHTTPHelpers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bad":
			errs.WriteHTTP(r.Context(), w, errs.Invalid("note.text", "REQUIRED", "必填"))
		case "/gone":
			errs.WriteHTTP(r.Context(), w, errs.ErrStaleVersion)
		default:
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write([]byte(r.Method + " " + r.Header.Get("Authorization") + " " + r.Header.Get("Content-Type") + " " +
				r.Header.Get("Idempotency-Key") + " " + string(b)))
		}
	}))
	t.Cleanup(srv.Close)

	code, body := Get(t, srv.URL+"/echo", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "GET    ", string(body))
	code, body = PostJSON(t, srv.URL+"/echo", "tok", &commonv1.FieldViolation{Field: "f"}, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, `POST Bearer tok application/json k1 {"field":"f"}`, string(body))
	require.Empty(t, StableCode(body))

	code, body = PostJSON(t, srv.URL+"/bad", "tok", &commonv1.FieldViolation{})
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "REQUIRED", StableCode(body))
	require.Equal(t, "INVALID_ARGUMENT", HTTPError(t, body).GetCode())
	code, body = Get(t, srv.URL+"/gone", "tok")
	require.Equal(t, http.StatusConflict, code)
	require.Equal(t, "STALE_VERSION", StableCode(body))
}

func TestGRPCHelpers(t *testing.T) {
	// The status a service's error becomes on the wire.
	err := errs.Invalid("ticket.title", "REQUIRED", "必填").GRPCStatus().Err()
	c, stable := Code(err)
	require.Equal(t, codes.InvalidArgument, c)
	require.Equal(t, "INVALID_ARGUMENT", stable)
	RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	RequireField(t, err, "ticket.title", "REQUIRED")
	c, stable = Code(errs.ErrStaleVersion.GRPCStatus().Err())
	require.Equal(t, []any{codes.Aborted, "STALE_VERSION"}, []any{c, stable})

	md, ok := metadata.FromOutgoingContext(As("tok"))
	require.True(t, ok)
	require.Equal(t, []string{"Bearer tok"}, md.Get("authorization"))
}
