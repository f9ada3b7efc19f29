package authz_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// ownersPolicy is the default roles and a few grants, built without etcd.
func ownersPolicy(t *testing.T, grants ...[3]string) *authz.Enforcer {
	t.Helper()
	var lines [][]string
	for _, r := range authz.DefaultRoles() {
		for _, p := range r.Permissions {
			lines = append(lines, []string{"p", p.Subject, p.Tenant, p.Object, p.Action, string(p.Effect)})
		}
	}
	for _, g := range grants {
		lines = append(lines, []string{"g", g[0], g[1], g[2]})
	}
	e, err := authz.FromLines(slices.Values(lines))
	require.NoError(t, err)
	return e
}

func TestApplicantRoles(t *testing.T) {
	require.ElementsMatch(t, []string{"agent", "citizen", "enterprise"}, authz.ApplicantRoles())
}

// TestDecide: staff permission is told from applicant permission in the decision itself.
func TestDecide(t *testing.T) {
	e := ownersPolicy(t,
		[3]string{"u-clerk", "window_clerk", "ahz.s01"},
		[3]string{"u-citizen", "citizen", "ahz.s01.c01"},
		[3]string{"u-both", "citizen", "ahz.s01.c01"}, [3]string{"u-both", "window_clerk", "ahz.s01"},
		[3]string{"u-agent", "agent", "ahz"},
		[3]string{"u-far", "citizen", "ahz.s01.c01"}, [3]string{"u-far", "window_clerk", "ahz.s02"},
	)
	for _, tc := range []struct {
		sub, tenant, obj, act string
		want                  authz.Decision
	}{
		{"u-clerk", "ahz.s01.c01", "matters.applications", "read", authz.Decision{Allowed: true, Staff: true}},
		{"u-citizen", "ahz.s01.c01", "matters.applications", "read", authz.Decision{Allowed: true}},
		{"u-citizen", "ahz.s01.c01", "matters.applications", "approve", authz.Decision{}},
		{"u-both", "ahz.s01.c01", "matters.applications", "read", authz.Decision{Allowed: true, Staff: true}},
		{"u-agent", "ahz.s03", "matters.applications", "create", authz.Decision{Allowed: true}},
		// Staff elsewhere does not make staff here.
		{"u-far", "ahz.s01.c01", "matters.applications", "read", authz.Decision{Allowed: true}},
		{"u-far", "ahz.s02", "matters.applications", "read", authz.Decision{Allowed: true, Staff: true}},
		{"u-nobody", "ahz", "matters.applications", "read", authz.Decision{}},
	} {
		got := e.Decide(tc.sub, tenancy.ID(tc.tenant), tc.obj, tc.act)
		require.Equal(t, tc.want, got, "%+v", tc)
		require.Equal(t, tc.want.Allowed, e.Allowed(tc.sub, tenancy.ID(tc.tenant), tc.obj, tc.act), "%+v", tc)
	}
	require.True(t, e.StaffScope("u-citizen", "matters.applications", "read").Empty())
	require.False(t, e.Scope("u-citizen", "matters.applications", "read").Empty())
	require.False(t, e.StaffScope("u-far", "matters.applications", "read").Empty())
}

func TestAccessOwns(t *testing.T) {
	staff := authz.Access{Subject: "u-clerk"}
	alice := authz.Access{Applicant: true, Subject: "u-alice"}
	acme := authz.Access{Applicant: true, Subject: "u-acme-1", Org: "91350100M000100Y43"}
	for _, tc := range []struct {
		name string
		a    authz.Access
		o    *commonv1.Owner
		want bool
	}{
		{"staff sees any", staff, &commonv1.Owner{Subject: "u-bob"}, true},
		{"own record", alice, &commonv1.Owner{Subject: "u-alice"}, true},
		{"another's record", alice, &commonv1.Owner{Subject: "u-bob"}, false},
		{"no owner", alice, nil, false},
		{"empty owner", alice, &commonv1.Owner{}, false},
		{"colleague's record", acme, &commonv1.Owner{Subject: "u-acme-2", Org: "91350100M000100Y43"}, true},
		{"another enterprise", acme, &commonv1.Owner{Subject: "u-other", Org: "91110000600037341L"}, false},
	} {
		require.Equal(t, tc.want, tc.a.Owns(tc.o), tc.name)
	}
	q, args := staff.OwnerFilter("owner_subject", "owner_org", 3)
	require.Empty(t, q)
	require.Empty(t, args)
	q, args = alice.OwnerFilter("owner_subject", "owner_org", 3)
	require.Equal(t, " AND owner_subject = $3", q)
	require.Equal(t, []any{"u-alice"}, args)
	q, args = acme.OwnerFilter("owner_subject", "owner_org", 3)
	require.Equal(t, " AND (owner_subject = $3 OR owner_org = $4)", q)
	require.Equal(t, []any{"u-acme-1", "91350100M000100Y43"}, args)
}

// TestAccessMandates: a 帮代办 agent reaches its own records and those of the parties
// that mandated it, files only for them, and its list filter says so with placeholders.
func TestAccessMandates(t *testing.T) {
	const ours, theirs = "91350100M000100Y43", "91110000600037341L"
	agent := authz.Access{Applicant: true, Subject: "u-agent",
		ActsFor: authn.Mandates{Subjects: []string{"u-alice", "u-carol"}, Orgs: []string{ours}}}
	for _, tc := range []struct {
		name       string
		o          *commonv1.Owner
		owns, file bool
	}{
		{"its own", &commonv1.Owner{Subject: "u-agent"}, true, false},
		{"a mandating citizen's", &commonv1.Owner{Subject: "u-alice"}, true, true},
		{"another citizen's", &commonv1.Owner{Subject: "u-bob"}, false, false},
		{"a mandating enterprise's, filed by its account", &commonv1.Owner{Subject: "u-acme-1", Org: ours}, true, false},
		{"a mandating enterprise's, named by code", &commonv1.Owner{Org: ours}, true, true},
		{"another enterprise's", &commonv1.Owner{Subject: "u-other", Org: theirs}, false, false},
		{"a mandating citizen named with another enterprise", &commonv1.Owner{Subject: "u-alice", Org: theirs}, true, false},
		{"no owner", nil, false, false},
		{"empty owner", &commonv1.Owner{}, false, false},
	} {
		require.Equal(t, tc.owns, agent.Owns(tc.o), "owns: %s", tc.name)
		require.Equal(t, tc.file, agent.MandatedBy(tc.o), "files for: %s", tc.name)
	}
	// Mandates reach nothing without the applicant flag (staff sees anyway) and an
	// applicant without mandates files for no one.
	require.False(t, authz.Access{Applicant: true, Subject: "u-agent"}.MandatedBy(&commonv1.Owner{Subject: "u-alice"}))

	q, args := agent.OwnerFilter("owner_subject", "owner_org", 7)
	require.Equal(t, " AND (owner_subject = $7 OR owner_subject IN ($8, $9) OR owner_org = $10)", q)
	require.Equal(t, []any{"u-agent", "u-alice", "u-carol", ours}, args)
	acme := authz.Access{Applicant: true, Subject: "u-acme-1", Org: ours, ActsFor: authn.Mandates{Orgs: []string{theirs, "X"}}}
	q, args = acme.OwnerFilter("s", "o", 1)
	require.Equal(t, " AND (s = $1 OR o = $2 OR o IN ($3, $4))", q)
	require.Equal(t, []any{"u-acme-1", ours, theirs, "X"}, args)
	// A value never reaches the SQL text.
	evil := authz.Access{Applicant: true, Subject: "u-x", ActsFor: authn.Mandates{Subjects: []string{"') OR 1=1 --"}}}
	q, _ = evil.OwnerFilter("s", "o", 1)
	require.NotContains(t, q, "OR 1=1")
}

// TestMiddlewareOwners: the owner axis in the middleware, with a lookup and a service
// that returns what it is told to.
func TestMiddlewareOwners(t *testing.T) {
	e := ownersPolicy(t,
		[3]string{"u-clerk", "window_clerk", "ahz"},
		[3]string{"u-alice", "citizen", "ahz.s01.c01"},
		[3]string{"u-agent", "agent", "ahz"},
	)
	owners := &authz.Owners{}
	records := map[string]*commonv1.Owner{
		"tenants/ahz.s01.c01/applications/A": {Subject: "u-alice"},
		"tenants/ahz.s01.c01/applications/B": {Subject: "u-bob"},
	}
	notFound := errs.New(errs.NotFound, "APPLICATION_NOT_FOUND", "办件不存在")
	owners.Set(authz.OwnerLookup{
		Owner: func(_ context.Context, name string) (*commonv1.Owner, error) {
			if o, ok := records[name]; ok {
				return o, nil
			}
			return nil, notFound
		},
		NotFound: func(string) error { return notFound },
	})
	mw := authz.Middleware(e, func(ctx context.Context) (string, bool) {
		p, ok := authn.FromContext(ctx)
		return p.Subject, ok
	}, authz.WithOwners(owners))
	as := func(sub string, kind authn.Kind) context.Context {
		return authn.NewContext(t.Context(), authn.Principal{Subject: sub, Kind: kind})
	}
	asAgent := func() context.Context {
		return authn.NewContext(t.Context(), authn.Principal{Subject: "u-agent", Kind: authn.Staff,
			ActsFor: authn.Mandates{Subjects: []string{"u-alice"}}})
	}
	rule := func(act string, a kit.Applicants) kit.Method {
		return kit.Method{Service: "matters", Name: "M", Rule: &kit.Rule{Object: "matters.applications", Action: act, Applicants: a}}
	}
	app := func(name, owner string) *mattersv1.Application {
		return &mattersv1.Application{Name: name, Owner: &commonv1.Owner{Subject: owner}}
	}
	for _, tc := range []struct {
		name   string
		method kit.Method
		ctx    context.Context
		req    any
		resp   proto.Message
		code   string // "" for allowed
		access authz.Access
	}{
		{"staff, staff-only method", rule("read", kit.StaffOnly), as("u-clerk", authn.Staff),
			listRequest{"tenants/ahz.s01"}, &mattersv1.ListApplicationsResponse{}, "", authz.Access{Subject: "u-clerk"}},
		{"staff reads another's record", rule("read", kit.ApplicantsOwn), as("u-clerk", authn.Staff),
			getRequest{"tenants/ahz.s01.c01/applications/B"}, app("B", "u-bob"), "", authz.Access{Subject: "u-clerk"}},
		{"citizen, staff-only method", rule("read", kit.StaffOnly), as("u-alice", authn.Citizen),
			listRequest{"tenants/ahz.s01.c01"}, nil, "STAFF_ONLY", authz.Access{}},
		{"agent by role, staff-only method", rule("read", kit.StaffOnly), as("u-agent", authn.Staff),
			listRequest{"tenants/ahz.s01"}, nil, "STAFF_ONLY", authz.Access{}},
		{"a citizen account with a staff role is still an applicant", rule("read", kit.StaffOnly), as("u-clerk", authn.Citizen),
			listRequest{"tenants/ahz.s01"}, nil, "STAFF_ONLY", authz.Access{}},
		{"citizen reads own", rule("read", kit.ApplicantsOwn), as("u-alice", authn.Citizen),
			getRequest{"tenants/ahz.s01.c01/applications/A"}, app("A", "u-alice"), "", authz.Access{Applicant: true, Subject: "u-alice"}},
		{"citizen reads another's: not found", rule("read", kit.ApplicantsOwn), as("u-alice", authn.Citizen),
			getRequest{"tenants/ahz.s01.c01/applications/B"}, nil, "APPLICATION_NOT_FOUND", authz.Access{}},
		{"citizen reads a missing one: not found alike", rule("read", kit.ApplicantsOwn), as("u-alice", authn.Citizen),
			getRequest{"tenants/ahz.s01.c01/applications/C"}, nil, "APPLICATION_NOT_FOUND", authz.Access{}},
		{"a list leaking another's record fails", rule("read", kit.ApplicantsOwn), as("u-alice", authn.Citizen),
			listRequest{"tenants/ahz.s01.c01"}, &mattersv1.ListApplicationsResponse{Applications: []*mattersv1.Application{app("A", "u-alice"), app("B", "u-bob")}},
			"OWNER_CHECK_FAILED", authz.Access{}},
		{"a bundle's member of another fails", rule("read", kit.ApplicantsOwn), as("u-alice", authn.Citizen),
			listRequest{"tenants/ahz.s01.c01"}, &mattersv1.BundleApplication{Members: []*mattersv1.Application{app("B", "u-bob")}},
			"OWNER_CHECK_FAILED", authz.Access{}},
		{"citizen files", rule("create", kit.ApplicantsFile), as("u-alice", authn.Citizen),
			listRequest{"tenants/ahz.s01.c01"}, app("A", "u-alice"), "", authz.Access{Applicant: true, Subject: "u-alice"}},
		{"mandated agent reads the mandator's", rule("read", kit.ApplicantsOwn), asAgent(),
			getRequest{"tenants/ahz.s01.c01/applications/A"}, app("A", "u-alice"), "",
			authz.Access{Applicant: true, Subject: "u-agent", ActsFor: authn.Mandates{Subjects: []string{"u-alice"}}}},
		{"mandated agent reads another's: not found", rule("read", kit.ApplicantsOwn), asAgent(),
			getRequest{"tenants/ahz.s01.c01/applications/B"}, nil, "APPLICATION_NOT_FOUND", authz.Access{}},
		{"mandates do not make staff", rule("read", kit.StaffOnly), asAgent(),
			listRequest{"tenants/ahz.s01"}, nil, "STAFF_ONLY", authz.Access{}},
		{"citizen cannot approve", rule("approve", kit.StaffOnly), as("u-alice", authn.Citizen),
			getRequest{"tenants/ahz.s01.c01/applications/A"}, nil, "PERMISSION_DENIED", authz.Access{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen *authz.Access
			next := func(ctx context.Context, _ any) (any, error) {
				a := authz.AccessFrom(ctx)
				seen = &a
				return tc.resp, nil
			}
			_, err := mw(tc.method, next)(tc.ctx, tc.req)
			if tc.code == "" {
				require.NoError(t, err)
				require.Equal(t, tc.access, *seen)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.code, errs.From(err).Code)
		})
	}
}
