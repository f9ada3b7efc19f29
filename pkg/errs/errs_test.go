package errs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

var errTicketNotFound = errs.New(errs.NotFound, "TICKET_NOT_FOUND", "工单不存在")

func TestTableIsComplete(t *testing.T) {
	for k := errs.Internal; k <= errs.Unimplemented; k++ {
		require.NotZero(t, k.HTTPStatus(), "kind %d has an HTTP status", k)
		require.NotEmpty(t, k.String())
		if k != errs.Internal {
			require.NotEqual(t, codes.Internal, k.GRPCCode(), "kind %s has its own gRPC code", k)
		}
	}
	require.Equal(t, http.StatusRequestEntityTooLarge, errs.TooLarge.HTTPStatus())
	require.Equal(t, http.StatusUnprocessableEntity, errs.FailedPrecondition.HTTPStatus())
}

func TestWrappingKeepsStatusAndCode(t *testing.T) {
	err := fmt.Errorf("load T-1: %w", fmt.Errorf("store: %w", errTicketNotFound))
	require.ErrorIs(t, err, errTicketNotFound)
	e := errs.From(err)
	require.Equal(t, "TICKET_NOT_FOUND", e.Code)

	// kit hands gRPC the *Error itself (errs.From), so the wrapping text stays in logs.
	st := status.Convert(e)
	require.Equal(t, codes.NotFound, st.Code())
	require.Equal(t, "工单不存在", st.Message())

	// Across a gRPC hop: the status comes back as the same domain error.
	back := errs.From(st.Err())
	require.Equal(t, errs.NotFound, back.Kind)
	require.Equal(t, "TICKET_NOT_FOUND", back.Code)
	require.ErrorIs(t, back, errTicketNotFound)
}

func TestCopiesStillMatchTheirSentinel(t *testing.T) {
	err := errTicketNotFound.WithMessage("工单 %s 不存在", "T-1").WithField("name", "NOT_FOUND", "无此工单")
	require.ErrorIs(t, err, errTicketNotFound)
	require.Len(t, errs.From(err).Violations, 1)
	require.Empty(t, errTicketNotFound.Violations, "the sentinel is not changed")
}

func TestUnknownErrorsAreInternalAndHidden(t *testing.T) {
	e := errs.From(errors.New("pq: password authentication failed for user gaoxing"))
	require.Equal(t, errs.Internal, e.Kind)
	rec := httptest.NewRecorder()
	errs.WriteHTTP(context.Background(), rec, e)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.NotContains(t, rec.Body.String(), "password")
	require.JSONEq(t, `{"error":{"httpStatus":500,"status":"INTERNAL","code":"INTERNAL","message":"服务内部错误，请稍后重试"}}`, rec.Body.String())

	require.Equal(t, errs.DeadlineExceeded, errs.From(fmt.Errorf("query: %w", context.DeadlineExceeded)).Kind)
}

func TestHTTPBodyCarriesFieldsAndAuthChallenge(t *testing.T) {
	rec := httptest.NewRecorder()
	errs.WriteHTTP(context.Background(), rec, errs.Invalid("note.text", "TOO_LONG", "便签内容过长"))
	require.Equal(t, http.StatusBadRequest, rec.Code)
	// protojson varies its whitespace on purpose: compare the decoded body, never bytes.
	require.JSONEq(t, `{"error":{"httpStatus":400,"status":"INVALID_ARGUMENT","code":"INVALID_ARGUMENT","message":"便签内容过长",
		"fieldViolations":[{"field":"note.text","code":"TOO_LONG","description":"便签内容过长"}]}}`, rec.Body.String())

	rec = httptest.NewRecorder()
	errs.WriteHTTP(context.Background(), rec, errs.New(errs.Unauthenticated, "TOKEN_MISSING", "请先登录"))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Equal(t, `Bearer realm="gaoxing"`, rec.Header().Get("WWW-Authenticate"))
}

func TestEtagRule(t *testing.T) {
	tests := []struct {
		name, given, current string
		check, require       bool // whether CheckEtag / RequireEtag accept
	}{
		{"same", "3", "3", true, true},
		{"stale", "2", "3", false, false},
		{"empty", "", "3", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				rule func(given, current string) error
				ok   bool
			}{{errs.CheckEtag, tt.check}, {errs.RequireEtag, tt.require}} {
				err := c.rule(tt.given, tt.current)
				if c.ok {
					require.NoError(t, err)
					continue
				}
				require.ErrorIs(t, err, errs.ErrStaleVersion)
				require.Equal(t, errs.Aborted, errs.From(err).Kind)
				require.Equal(t, "STALE_VERSION", errs.From(err).Code)
			}
		})
	}
}
