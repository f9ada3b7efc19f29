package identity

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestGrantRules(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	admin := f.as(t, f.admin)
	// A street admin (tenant_admin and window_clerk at ahz.s01) and a community clerk.
	streetAdmin := f.user(t, admin, "ahz.s01", "s01-admin")
	for _, role := range []string{"tenant_admin", "window_clerk"} {
		_, err := f.core.GrantRole(admin, "ahz.s01", streetAdmin.Name(), role)
		require.NoError(t, err)
	}
	clerk := f.user(t, admin, "ahz.s01.c01", "c01-clerk")
	street := f.as(t, streetAdmin.ID)

	// Another service's enforcer, on its own etcd connection.
	other := f.otherEnforcer(t)

	g, err := f.core.GrantRole(street, "ahz.s01.c01", clerk.Name(), "window_clerk")
	require.NoError(t, err)
	require.Equal(t, "窗口人员", g.Title)
	require.Eventually(t, func() bool {
		return other.Allowed(clerk.ID, "ahz.s01.c01", "matters.applications", "create")
	}, time.Second, 2*time.Millisecond, "a grant made here is enforced by another enforcer within 1 s")

	before, grants := f.counts(t), f.enf.Grants(clerk.ID)
	tests := []struct {
		name   string
		tenant string
		role   string
		kind   errs.Kind
		code   string
	}{
		{"at the district above", "ahz", "window_clerk", errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE"},
		{"at a sibling street", "ahz.s02", "window_clerk", errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE"},
		{"below a sibling street", "ahz.s02.c01", "window_clerk", errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE"},
		{"a role the granter does not hold", "ahz.s01.c01", "ticket_handler", errs.PermissionDenied, "ROLE_NOT_HELD"},
		{"platform_admin", "ahz.s01", "platform_admin", errs.PermissionDenied, "ROLE_NOT_HELD"},
		{"an unknown role", "ahz.s01.c01", "wizard", errs.InvalidArgument, "UNKNOWN_ROLE"},
		{"at an unknown tenant", "ahz.s01.c99", "window_clerk", errs.NotFound, "TENANT_NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.core.GrantRole(street, tenantID(tt.tenant), clerk.Name(), tt.role)
			requireCode(t, err, tt.kind, tt.code)
			err = f.core.RevokeRole(street, tenantID(tt.tenant), clerk.Name(), tt.role)
			requireCode(t, err, tt.kind, tt.code)
			require.Equal(t, before, f.counts(t))
			require.Equal(t, grants, f.enf.Grants(clerk.ID))
		})
	}
	// A granter without any role administration: the clerk itself.
	_, err = f.core.GrantRole(f.as(t, clerk.ID), "ahz.s01.c01", streetAdmin.Name(), "window_clerk")
	requireCode(t, err, errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE")

	// The platform admin may grant anything within its reach.
	_, err = f.core.GrantRole(admin, "ahz.s02", clerk.Name(), "ticket_handler")
	require.NoError(t, err)

	roles, err := f.core.ListRoles(f.as(t, clerk.ID), clerk.Name(), "")
	require.NoError(t, err)
	require.Len(t, roles, 2)
	roles, err = f.core.ListRoles(street, clerk.Name(), "ahz.s01.c01")
	require.NoError(t, err)
	require.Len(t, roles, 1)
	require.Equal(t, "window_clerk", roles[0].Role)
	_, err = f.core.ListRoles(f.as(t, clerk.ID), streetAdmin.Name(), "")
	requireCode(t, err, errs.PermissionDenied, "PERMISSION_DENIED")

	// CheckAccess answers for the caller alone, at the tenant asked, in the request's order.
	perms := []string{"tickets.tickets:update", "matters.applications:create", "ops.telemetry:read", "identity.roles:create"}
	got, err := f.core.CheckAccess(f.as(t, clerk.ID), "ahz.s01.c01", perms)
	require.NoError(t, err)
	require.Equal(t, []string{"matters.applications:create"}, got)
	got, err = f.core.CheckAccess(f.as(t, clerk.ID), "ahz.s02.c03", perms)
	require.NoError(t, err)
	require.Equal(t, []string{"tickets.tickets:update"}, got, "the handler role reaches the street's subtree")
	got, err = f.core.CheckAccess(f.as(t, clerk.ID), "ahz.s01", perms)
	require.NoError(t, err)
	require.Empty(t, got, "nothing above the grants")
	_, err = f.core.CheckAccess(f.as(t, clerk.ID), "ahz.s01.c01", []string{"tickets.tickets"})
	requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")
	_, err = f.core.CheckAccess(f.as(t, clerk.ID), "ahz.s01.c01", make([]string, maxAccessChecks+1))
	requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")
	_, err = f.core.CheckAccess(f.as(t, clerk.ID), "ahz.s01.c99", perms)
	requireCode(t, err, errs.NotFound, "TENANT_NOT_FOUND")
	_, err = f.core.CheckAccess(t.Context(), "ahz.s01.c01", perms)
	require.Error(t, err, "only a signed-in caller asks")

	// The clerk now reaches beyond the street: the street admin no longer manages it.
	err = f.core.RevokeRole(street, "ahz.s01.c01", clerk.Name(), "window_clerk")
	requireCode(t, err, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE")
	require.NoError(t, f.core.RevokeRole(admin, "ahz.s02", clerk.Name(), "ticket_handler"))
	require.NoError(t, f.core.RevokeRole(street, "ahz.s01.c01", clerk.Name(), "window_clerk"))
	require.Eventually(t, func() bool {
		return !other.Allowed(clerk.ID, "ahz.s01.c01", "matters.applications", "create")
	}, time.Second, 2*time.Millisecond, "a revocation reaches another enforcer within 1 s")

	recs, _, err := audit.List(t.Context(), f.db, "ahz.s01.c01", audit.ListOptions{})
	require.NoError(t, err)
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.GetAction()+" by "+r.GetActor())
	}
	require.Contains(t, actions, "identity.GrantRole by "+streetAdmin.ID)
	require.Contains(t, actions, "identity.RevokeRole by "+streetAdmin.ID)
	rep, err := audit.Verify(t.Context(), f.db, "ahz.s01.c01")
	require.NoError(t, err)
	require.True(t, rep.OK())
}

func TestGrantToClient(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	admin := f.as(t, f.admin)
	cl, _, err := f.core.RegisterClient(admin, NewClient{Tenant: "ahz", Slug: "court-01", DisplayName: "区人民法院", Scopes: []string{"legalaid.cases"}})
	require.NoError(t, err)
	_, err = f.core.GrantRole(admin, "ahz", cl.Name(), "court_clerk")
	require.NoError(t, err)
	require.True(t, f.enf.Allowed(cl.ID, "ahz.s01", "legalaid.cases", "update"))
	require.True(t, slices.Contains(f.enf.Grants(cl.ID), authz.Grant{Subject: cl.ID, Role: "court_clerk", Tenant: "ahz"}))
}

func TestGrantWithoutAuditIsNotWritten(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	admin := f.as(t, f.admin)
	u := f.user(t, admin, "ahz.s01", "clerk05")
	// Break the audit log for real: its table is gone while the grant is attempted.
	_, err := f.db.Exec(t.Context(), `ALTER TABLE audit_pending RENAME TO audit_pending_away`)
	require.NoError(t, err)
	_, err = f.core.GrantRole(admin, "ahz.s01", u.Name(), "window_clerk")
	require.Error(t, err)
	require.Empty(t, f.enf.Grants(u.ID), "no grant in force without its audit record")
	_, err = f.db.Exec(t.Context(), `ALTER TABLE audit_pending_away RENAME TO audit_pending`)
	require.NoError(t, err)
	_, err = f.core.GrantRole(admin, "ahz.s01", u.Name(), "window_clerk")
	require.NoError(t, err)
	require.Len(t, f.enf.Grants(u.ID), 1)
}
