package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// As is a context for gRPC calls made with token (a bearer token).
func As(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

// Do sends req with token as its bearer (none when token is "") and returns the status
// and the whole body.
func Do(t testing.TB, req *http.Request, token string) (int, []byte) {
	t.Helper()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// Get fetches url with token (none when "").
func Get(t testing.TB, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return Do(t, req, token)
}

// PostJSON posts body as JSON (protojson, as the gateway reads it) to url with token;
// header is more headers as name, value pairs (e.g. "Idempotency-Key", "k1").
func PostJSON(t testing.TB, url, token string, body proto.Message, header ...string) (int, []byte) {
	t.Helper()
	b, err := protojson.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return Do(t, req, token)
}

// HTTPError decodes an HTTP error body, {"error": {...}}.
func HTTPError(t testing.TB, body []byte) *commonv1.Error {
	t.Helper()
	var e commonv1.ErrorResponse
	require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &e), string(body))
	return e.GetError()
}

// StableCode is the stable code of an HTTP body: the first field violation's for bad
// input, else the error's; "" when the body is not an error.
func StableCode(body []byte) string {
	var e struct {
		Error struct {
			Code            string `json:"code"`
			FieldViolations []struct {
				Code string `json:"code"`
			} `json:"fieldViolations"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if v := e.Error.FieldViolations; len(v) > 0 {
		return v[0].Code
	}
	return e.Error.Code
}

// Code is the gRPC code of err and the stable code of its error detail ("" when none).
func Code(err error) (codes.Code, string) {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if e, ok := d.(*commonv1.Error); ok {
			return st.Code(), e.GetCode()
		}
	}
	return st.Code(), ""
}

// RequireCode checks err's gRPC code and stable code.
func RequireCode(t testing.TB, err error, code codes.Code, stable string) {
	t.Helper()
	require.Error(t, err)
	c, s := Code(err)
	require.Equal(t, code, c, err.Error())
	require.Equal(t, stable, s, err.Error())
}

// RequireField checks that err is bad input with a violation on field with code stable.
func RequireField(t testing.TB, err error, field, stable string) {
	t.Helper()
	require.Error(t, err)
	st, _ := status.FromError(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), err.Error())
	for _, d := range st.Details() {
		if e, ok := d.(*commonv1.Error); ok {
			for _, v := range e.GetFieldViolations() {
				if v.GetField() == field && v.GetCode() == stable {
					return
				}
			}
		}
	}
	t.Fatalf("no violation %s %s in %v", field, stable, err)
}
