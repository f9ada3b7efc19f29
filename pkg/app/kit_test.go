package app_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
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

	probeTree(t, e.Client())
	env := app.Env{Etcd: e.Client(), Auth: app.AuthConfig{Issuer: issuer.URL(), JWKSURL: issuer.JWKSURL(), Audience: issuer.Audience()}}
	k, err := app.NewKit(t.Context(), env, "probe", db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Close() })
	// The sample contract's rules: ListNotes is "read" on sample.notes, Ping is public.
	require.NoError(t, k.RegisterService(samplev1.NotesService_ServiceDesc.ServiceName, probe{}))
	client := samplev1.NewNotesServiceClient(k.Local())
	call := func(token, tenant string) codes.Code {
		ctx := t.Context()
		if token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", authntest.Bearer(token))
		}
		_, err := client.ListNotes(ctx, &samplev1.ListNotesRequest{Parent: "tenants/" + tenant})
		return status.Code(err)
	}

	_, err = client.Ping(t.Context(), &samplev1.PingRequest{})
	require.NoError(t, err, "public methods need no token")

	clerk := issuer.Token(authn.Principal{Subject: "u-clerk", Tenant: "ahz.s01", Kind: authn.Staff})
	require.Equal(t, codes.Unauthenticated, call("", "ahz.s01.c01"))
	require.Equal(t, codes.PermissionDenied, call(clerk, "ahz.s01.c01"), "no grant yet")

	_, err = k.Enforcer.Seed(t.Context(), []authz.Role{{Name: "note_reader", Title: "便签查阅",
		Permissions: []authz.Permission{{Subject: "note_reader", Tenant: authz.Any, Object: "sample.notes", Action: "read", Effect: authz.Allow}}}})
	require.NoError(t, err)
	require.NoError(t, k.Enforcer.Grant(t.Context(), "u-clerk", "note_reader", "ahz.s01"))
	require.Eventually(t, func() bool { return call(clerk, "ahz.s01.c01") == codes.OK }, 5e9, 1e7,
		"the grant reaches the enforcer through its etcd watch")
	require.Equal(t, codes.PermissionDenied, call(clerk, "ahz.s02"), "never sideways")
	require.Equal(t, codes.PermissionDenied, call(clerk, "ahz"), "never upward")
	require.Equal(t, codes.NotFound, call(clerk, "ahz.s01.c01.x9"), "a tenant the tree lacks is refused before authorization")
}

// TestKitRoutes: a plain-HTTP route passes the same chain with the rule declared beside
// it: no token → 401, a token without the grant → 403, a grant → the handler, a public
// route without a token → the handler. A route without a valid rule is refused at once.
func TestKitRoutes(t *testing.T) {
	e := testenv.StartEtcd(t)
	issuer := authntest.New(t)
	db, err := sqlstore.Open(t.Context(), testenv.SQLite(t), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	probeTree(t, e.Client())
	env := app.Env{Etcd: e.Client(), Auth: app.AuthConfig{Issuer: issuer.URL(), JWKSURL: issuer.JWKSURL(), Audience: issuer.Audience()}}
	k, err := app.NewKit(t.Context(), env, "probe", db)
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.Close() })

	who := func(w http.ResponseWriter, r *http.Request) error {
		p, _ := authn.FromContext(r.Context())
		_, err := io.WriteString(w, "hello "+p.Subject)
		return err
	}
	k.Route("GET /v1/tenants/{tenant}/things:read", "ReadThing", authz.Rule{Object: "tickets.tickets", Action: "read"}, who)
	k.Route("GET /v1/tenants/{tenant}/things:public", "PublicThing", authz.Rule{Public: true}, who)
	require.Panics(t, func() { k.Route("GET /v1/things", "NoRule", authz.Rule{}, who) }, "a route needs a valid rule")
	require.Panics(t, func() { k.Route("GET /v1/other", "ReadThing", authz.Rule{Public: true}, who) }, "one rule per method")
	srv := kittest.Serve(t, k.Service)

	clerk := issuer.Token(authn.Principal{Subject: "u-clerk", Tenant: "ahz.s01", Kind: authn.Staff})
	get := func(path, token string) (int, string) {
		code, body := apptest.Get(t, srv.URL+"/api/probe/v1/tenants/"+path, token)
		if code >= 400 {
			return code, apptest.StableCode(body)
		}
		return code, string(body)
	}
	for _, c := range []struct {
		path, token string
		status      int
		want        string
	}{
		{"ahz.s01/things:read", "", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"ahz.s01/things:read", clerk, http.StatusForbidden, "PERMISSION_DENIED"},
		{"ahz.s01/things:public", "", http.StatusOK, "hello "},
		{"ahz.s01/things:public", clerk, http.StatusOK, "hello u-clerk"},
	} {
		code, got := get(c.path, c.token)
		require.Equal(t, c.status, code, "%+v: %s", c, got)
		if c.status < 400 {
			require.Equal(t, c.want, got)
		}
	}

	_, err = k.Enforcer.Seed(t.Context(), authz.DefaultRoles())
	require.NoError(t, err)
	require.NoError(t, k.Enforcer.Grant(t.Context(), "u-clerk", "ticket_handler", "ahz.s01"))
	require.Eventually(t, func() bool { code, _ := get("ahz.s01/things:read", clerk); return code == http.StatusOK }, 5e9, 1e7)
	_, got := get("ahz.s01/things:read", clerk)
	require.Equal(t, "hello u-clerk", got)
	code, _ := get("ahz.s02/things:read", clerk)
	require.Equal(t, http.StatusForbidden, code, "never sideways")
}

// probe is a do-nothing implementation of the sample contract.
type probe struct{}

func (probe) CreateNote(context.Context, *samplev1.CreateNoteRequest) (*samplev1.Note, error) {
	return &samplev1.Note{}, nil
}
func (probe) GetNote(context.Context, *samplev1.GetNoteRequest) (*samplev1.Note, error) {
	return &samplev1.Note{}, nil
}
func (probe) ListNotes(context.Context, *samplev1.ListNotesRequest) (*samplev1.ListNotesResponse, error) {
	return &samplev1.ListNotesResponse{}, nil
}
func (probe) Ping(context.Context, *samplev1.PingRequest) (*samplev1.PingResponse, error) {
	return &samplev1.PingResponse{}, nil
}

// probeTree writes a small tenant tree with the "probe" service enabled everywhere: the
// chain refuses tenants the tree lacks.
func probeTree(t *testing.T, c *clientv3.Client) {
	t.Helper()
	tree, err := tenancy.OpenTree(t.Context(), c, tenancy.DefaultTreePrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tree.Close() })
	for _, id := range []tenancy.ID{"ahz", "ahz.s01", "ahz.s01.c01", "ahz.s02"} {
		tier := map[int]tenancy.Tier{1: tenancy.District, 2: tenancy.Street, 3: tenancy.Community}[id.Depth()]
		require.NoError(t, tree.Put(t.Context(), tenancy.Tenant{ID: id, Name: string(id), Tier: tier, Enabled: true, Services: []string{"probe"}}))
	}
}
