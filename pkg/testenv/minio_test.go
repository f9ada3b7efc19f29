package testenv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
)

func TestMinIORestartKeepsDataAndPort(t *testing.T) {
	m := StartMinIO(t)
	c := m.Client()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	require.NoError(t, c.MakeBucket(ctx, "docs", minio.MakeBucketOptions{}))
	body := []byte("申请材料 v1")
	_, err := c.PutObject(ctx, "docs", "a.txt", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
	require.NoError(t, err)

	endpoint, pid := m.Endpoint, m.PID()
	m.Stop()
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "the server process must be gone after Stop")
	down, cancelDown := context.WithTimeout(ctx, 5*time.Second)
	defer cancelDown()
	_, err = c.StatObject(down, "docs", "a.txt", minio.StatObjectOptions{})
	require.Error(t, err, "a stopped server must not answer")

	m.Restart()
	require.Equal(t, endpoint, m.Endpoint)
	obj, err := c.GetObject(ctx, "docs", "a.txt", minio.GetObjectOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.Equal(t, body, got)
}

func TestMinIOConfigMatchesFields(t *testing.T) {
	m := StartMinIO(t)
	cfg := m.Config()
	require.Equal(t, m.Endpoint, cfg.Endpoint)
	require.Equal(t, m.AccessKey, cfg.AccessKey)
	require.Equal(t, m.SecretKey, cfg.SecretKey)
	c, err := cfg.Client()
	require.NoError(t, err)
	_, err = c.ListBuckets(t.Context())
	require.NoError(t, err)

	// Wrong credentials are refused: the server really checks the root user it was given.
	cfg.SecretKey = "not-the-secret"
	bad, err := cfg.Client()
	require.NoError(t, err)
	_, err = bad.ListBuckets(t.Context())
	var resp minio.ErrorResponse
	require.True(t, errors.As(err, &resp), "got %v", err)
	require.Equal(t, "SignatureDoesNotMatch", resp.Code)
}
