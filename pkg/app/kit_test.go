package app_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	samplev1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/sample/v1"
)

// TestNewKitChain checks the standard chain: no token → unauthenticated; a token without
// a grant → denied; a grant at the street → allowed on its community, not on the sibling.
func TestNewKitChain(t *testing.T) {
	e := testenv.StartEtcd(t)
	issuer := authntest.New(t)
	db, err := sqlstore.Open(t.Context(), testenv.SQLite(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	env := app.Env{Etcd: e.Client(), Auth: app.AuthConfig{Issuer: issuer.URL(), JWKSURL: issuer.JWKSURL(), Audience: issuer.Audience()}}
	k, err := app.NewKit(t.Context(), env, "probe", db, app.Security{Rules: map[string]authz.Rule{
		"probe.List": {Object: "tickets.tickets", Action: "read"},
		"probe.Ping": {Public: true},
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Close() })
	list := kit.Handle(k.Service, "List", func(context.Context, *samplev1.ListNotesRequest) (*samplev1.ListNotesResponse, error) {
		return &samplev1.ListNotesResponse{}, nil
	})
	ping := kit.Handle(k.Service, "Ping", func(context.Context, *samplev1.PingRequest) (*samplev1.PingResponse, error) {
		return &samplev1.PingResponse{}, nil
	})
	call := func(token, tenant string) codes.Code {
		ctx := t.Context()
		if token != "" {
			ctx = authntest.Incoming(ctx, token)
		}
		_, err := list.Call(ctx, &samplev1.ListNotesRequest{Parent: "tenants/" + tenant})
		return status.Code(err)
	}

	_, err = ping.Call(t.Context(), &samplev1.PingRequest{})
	require.NoError(t, err, "public methods need no token")

	clerk := issuer.Token(authn.Principal{Subject: "u-clerk", Tenant: "ahz.s01", Kind: authn.Staff})
	require.Equal(t, codes.Unauthenticated, call("", "ahz.s01.c01"))
	require.Equal(t, codes.PermissionDenied, call(clerk, "ahz.s01.c01"), "no grant yet")

	_, err = k.Enforcer.Seed(t.Context(), authz.DefaultRoles())
	require.NoError(t, err)
	require.NoError(t, k.Enforcer.Grant(t.Context(), "u-clerk", "ticket_handler", "ahz.s01"))
	require.Eventually(t, func() bool { return call(clerk, "ahz.s01.c01") == codes.OK }, 5e9, 1e7,
		"the grant reaches the enforcer through its etcd watch")
	require.Equal(t, codes.PermissionDenied, call(clerk, "ahz.s02"), "never sideways")
	require.Equal(t, codes.PermissionDenied, call(clerk, "ahz"), "never upward")
}
