package etcdwatch_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/etcdwatch"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// view is a map copy of a prefix.
type view struct {
	mu sync.Mutex
	m  map[string]string
	c  *clientv3.Client
}

func (v *view) apply(events []*clientv3.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, ev := range events {
		if ev.Type == clientv3.EventTypeDelete {
			delete(v.m, string(ev.Kv.Key))
		} else {
			v.m[string(ev.Kv.Key)] = string(ev.Kv.Value)
		}
	}
}

func (v *view) reload(ctx context.Context) (int64, error) {
	resp, err := v.c.Get(ctx, "/v/", clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	m := map[string]string{}
	for _, kv := range resp.Kvs {
		m[string(kv.Key)] = string(kv.Value)
	}
	v.mu.Lock()
	v.m = m
	v.mu.Unlock()
	return resp.Header.Revision, nil
}

func (v *view) get(k string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.m[k]
	return s, ok
}

func TestFollowAppliesChangesAndSurvivesAnOutage(t *testing.T) {
	e := testenv.StartEtcd(t)
	writer, reader := e.Client(), e.Client()
	v := &view{c: reader}
	rev, err := v.reload(t.Context())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		etcdwatch.Watch{Client: reader, Prefix: "/v/", Name: "test", Log: slog.Default(), Apply: v.apply, Reload: v.reload}.Follow(ctx, rev)
	}()
	t.Cleanup(func() { cancel(); <-done })

	_, err = writer.Put(t.Context(), "/v/a", "1")
	require.NoError(t, err)
	require.Eventually(t, func() bool { s, _ := v.get("/v/a"); return s == "1" }, 5*time.Second, 5*time.Millisecond)

	e.Restart()
	_, err = writer.Put(t.Context(), "/v/b", "2")
	require.NoError(t, err)
	_, err = writer.Delete(t.Context(), "/v/a")
	require.NoError(t, err)
	_, err = writer.Put(t.Context(), "/other", "not followed")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, hasA := v.get("/v/a")
		b, _ := v.get("/v/b")
		return !hasA && b == "2"
	}, 15*time.Second, 10*time.Millisecond, "changes made across the outage arrive")
	_, other := v.get("/other")
	require.False(t, other)
}
