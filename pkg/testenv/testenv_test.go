package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEtcdRestartKeepsData(t *testing.T) {
	e := StartEtcd(t)
	c := e.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := c.Put(ctx, "k", "v")
	require.NoError(t, err)
	e.Restart()
	resp, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	require.Equal(t, "v", string(resp.Kvs[0].Value))
}
