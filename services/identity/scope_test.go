package identity

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// TestAdministrationWithinBounds replays the attacks of a street administrator on accounts
// homed in its street that reach beyond it: each is refused with OUTSIDE_ADMIN_SCOPE (or
// TENANT_OUTSIDE_SUBTREE for a grant above) and nothing changes, while the accounts that
// lie wholly inside its street stay its to manage.
func TestAdministrationWithinBounds(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	admin := f.as(t, f.admin)
	grant := func(u User, role string, at string) {
		t.Helper()
		_, err := f.core.GrantRole(admin, tenantID(at), u.Name(), role)
		require.NoError(t, err)
	}
	streetAdmin := f.user(t, admin, "ahz.s01", "s01-admin")
	grant(streetAdmin, "tenant_admin", "ahz.s01")
	grant(streetAdmin, "window_clerk", "ahz.s01")
	// Homed in the street, but holding grants at the district.
	districtAdmin := f.user(t, admin, "ahz.s01", "ahz-admin")
	grant(districtAdmin, "tenant_admin", "ahz")
	grant(districtAdmin, "window_clerk", "ahz")
	supervisor := f.user(t, admin, "ahz.s01", "ahz-supervisor")
	grant(supervisor, "supervisor", "ahz")
	// Wholly inside the street.
	clerk := f.user(t, admin, "ahz.s01.c01", "c01-clerk")
	grant(clerk, "window_clerk", "ahz.s01.c01")
	// Homed in a sibling street.
	sibling := f.user(t, admin, "ahz.s02", "s02-clerk")
	street := f.as(t, streetAdmin.ID)

	subjects := []User{streetAdmin, districtAdmin, supervisor, clerk, sibling}
	grantsOf := func() map[string][]authz.Grant {
		out := map[string][]authz.Grant{}
		for _, u := range subjects {
			out[u.ID] = f.enf.Grants(u.ID)
		}
		return out
	}
	usersOf := func() []User {
		var out []User
		for _, u := range subjects {
			got, err := f.core.GetUser(admin, u.Tenant, u.ID)
			require.NoError(t, err)
			out = append(out, got)
		}
		return out
	}
	counts, grants, users := f.counts(t), grantsOf(), usersOf()

	attacks := []struct {
		name string
		do   func() error
		kind errs.Kind
		code string
	}{
		{"reset the password of a district admin homed in the street", func() error {
			_, err := f.core.ResetPassword(street, districtAdmin.Tenant, districtAdmin.ID, "Taken-Over-2026")
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
		{"grant itself tenant_admin at the district", func() error {
			_, err := f.core.GrantRole(street, "ahz", streetAdmin.Name(), "tenant_admin")
			return err
		}, errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE"},
		{"suspend a district supervisor homed in the street", func() error {
			_, err := f.core.SetUserStatus(street, supervisor.Tenant, supervisor.ID, Suspended, 0)
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
		{"mark the district admin as left", func() error {
			_, err := f.core.SetUserStatus(street, districtAdmin.Tenant, districtAdmin.ID, Left, 0)
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
		{"grant a street role to the district admin", func() error {
			_, err := f.core.GrantRole(street, "ahz.s01", districtAdmin.Name(), "window_clerk")
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
		{"revoke the district supervisor's grant", func() error {
			return f.core.RevokeRole(street, "ahz", supervisor.Name(), "supervisor")
		}, errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE"},
		{"reset the password of a user homed in a sibling street", func() error {
			_, err := f.core.ResetPassword(street, sibling.Tenant, sibling.ID, "Taken-Over-2026")
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
		{"grant a street role to a user homed in a sibling street", func() error {
			_, err := f.core.GrantRole(street, "ahz.s01", sibling.Name(), "window_clerk")
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
		{"the same answer for an account that does not exist there", func() error {
			_, err := f.core.ResetPassword(street, "ahz.s02", "u-0000000000000000", "Taken-Over-2026")
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
		{"a district admin resetting the platform admin", func() error {
			_, err := f.core.ResetPassword(f.as(t, districtAdmin.ID), "ahz", f.admin, "Taken-Over-2026")
			return err
		}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			requireCode(t, a.do(), a.kind, a.code)
			require.Equal(t, counts, f.counts(t), "no account, client or audit record changed")
			require.Equal(t, grants, grantsOf(), "no grant changed")
			require.Equal(t, users, usersOf(), "no account changed")
		})
	}
	// The district admin still signs in with its own password; the supervisor still reads.
	_, err := f.core.Authenticate(t.Context(), districtAdmin.Username, strongPassword, "")
	require.NoError(t, err)
	require.True(t, f.enf.Allowed(supervisor.ID, "ahz.s02", "tickets.tickets", "read"))

	// What lies wholly inside the street is the street admin's to manage.
	_, err = f.core.ResetPassword(street, clerk.Tenant, clerk.ID, "Street-Reset-2026")
	require.NoError(t, err)
	s, err := f.core.SetUserStatus(street, clerk.Tenant, clerk.ID, Suspended, 0)
	require.NoError(t, err)
	require.Equal(t, Suspended, s.Status)
	_, err = f.core.SetUserStatus(street, clerk.Tenant, clerk.ID, Active, 0)
	require.NoError(t, err)
	require.NoError(t, f.core.RevokeRole(street, "ahz.s01.c01", clerk.Name(), "window_clerk"))
	_, err = f.core.GrantRole(street, "ahz.s01", clerk.Name(), "window_clerk")
	require.NoError(t, err)
	_, err = f.core.Authenticate(t.Context(), clerk.Username, "Street-Reset-2026", "")
	require.NoError(t, err)

	// Once the clerk is also given a grant at the district, it is the district's to manage
	// (its admin holds that role there too).
	grant(clerk, "window_clerk", "ahz")
	_, err = f.core.ResetPassword(street, clerk.Tenant, clerk.ID, "Taken-Over-2026")
	requireCode(t, err, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE")
	_, err = f.core.ResetPassword(f.as(t, districtAdmin.ID), clerk.Tenant, clerk.ID, "District-Reset-2026")
	require.NoError(t, err)
	// And the district admin manages the street admin, whose grants lie inside the district.
	_, err = f.core.SetUserStatus(f.as(t, districtAdmin.ID), streetAdmin.Tenant, streetAdmin.ID, Suspended, 0)
	require.NoError(t, err)
}
