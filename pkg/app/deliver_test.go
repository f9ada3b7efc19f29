package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// TestDeliver: events committed to the outbox reach the receiver from env.Webhooks,
// signed, once woken; with no receivers configured nothing is started and events wait.
func TestDeliver(t *testing.T) {
	got := make(chan *http.Request, 4)
	bodies := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- string(b)
	}))
	t.Cleanup(srv.Close)
	secret := []byte("0123456789abcdef0123456789abcdef")
	env := app.Env{DataDir: t.TempDir(), Etcd: testenv.StartEtcd(t).Client(),
		Webhooks: outbox.StaticEndpoints{"hotline_12345": {URL: srv.URL, Secret: secret}}}
	db, err := app.OpenDB(t.Context(), env, "probe", fstest.MapFS{}, outbox.Migrate)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	loop, wake := app.Deliver(env, "probe", db, nil)
	require.Equal(t, "probe-outbox", loop.Name)
	require.True(t, loop.Leader, "one replica delivers")
	ctx, stop := context.WithCancel(t.Context())
	stopped := make(chan error, 1)
	go func() { stopped <- loop.Run(ctx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-stopped) })
	require.NoError(t, db.InTx(t.Context(), func(ctx context.Context) error {
		_, err := outbox.Add(ctx, db, outbox.Event{Tenant: "ahz", Topic: "probe.done", Receiver: "hotline_12345",
			Key: "tenants/ahz/probes/1#1", Payload: []byte(`{"n":1}`)})
		return err
	}))
	wake()
	select {
	case r := <-got:
		require.Equal(t, http.MethodPost, r.Method)
		require.NotEmpty(t, r.Header.Get(outbox.HeaderSignature))
		require.JSONEq(t, `{"n":1}`, <-bodies)
	case <-time.After(20 * time.Second):
		t.Fatal("the event was not delivered")
	}

	quiet := env
	quiet.Webhooks = nil
	loop, wake = app.Deliver(quiet, "probe2", db, nil)
	require.Nil(t, loop.Run, "nowhere to deliver: nothing to run")
	wake() // and wake does nothing
}
