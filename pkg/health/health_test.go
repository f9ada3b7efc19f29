package health_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gaoxing-gov/gaoxing/pkg/health"
)

func TestReadinessFollowsChecks(t *testing.T) {
	c := health.New()
	down := errors.New("connection refused")
	var sqlErr error
	c.Add("sql", func(context.Context) error { return sqlErr })
	c.Add("etcd", func(context.Context) error { return nil })

	rec := httptest.NewRecorder()
	c.Ready().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"ready":true,"checks":{"sql":"","etcd":""}}`, rec.Body.String())

	sqlErr = down
	rec = httptest.NewRecorder()
	c.Ready().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.JSONEq(t, `{"ready":false,"checks":{"sql":"connection refused","etcd":""}}`, rec.Body.String())

	g := c.GRPC("tickets")
	resp, err := g.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "tickets"})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
	_, err = g.Check(t.Context(), &healthpb.HealthCheckRequest{Service: "other"})
	require.Error(t, err)

	sqlErr = nil
	resp, err = g.Check(t.Context(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
}

func TestSlowCheckIsBoundedByTimeout(t *testing.T) {
	c := health.New()
	c.Timeout = 50e6 // 50 ms
	c.Add("minio", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	rep := c.Run(t.Context())
	require.False(t, rep.Ready)
	require.Contains(t, rep.Checks["minio"], "deadline")
}
