package identity

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// snapshot is the whole tree, for "nothing changed".
func snapshot(tree *tenancy.Tree) []tenancy.Tenant {
	var out []tenancy.Tenant
	for _, r := range tree.Roots() {
		out = append(out, tree.Subtree(r.ID)...)
	}
	return out
}

func TestTenantOperations(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	admin := f.as(t, f.admin)

	c30, err := f.core.CreateTenant(admin, tenancy.Tenant{ID: "ahz.s01.c30", Name: "第一街道第30社区服务站", Tier: tenancy.Community, Enabled: true})
	require.NoError(t, err)
	require.Equal(t, tenancy.ID("ahz.s01"), c30.Parent)
	_, err = f.core.CreateTenant(admin, c30)
	requireCode(t, err, errs.AlreadyExists, "TENANT_EXISTS")

	renamed, err := f.core.RenameTenant(admin, "ahz.s01.c30", "第一街道新社区服务站", Etag(c30))
	require.NoError(t, err)
	require.Equal(t, "第一街道新社区服务站", renamed.Name)
	_, err = f.core.RenameTenant(admin, "ahz.s01.c30", "又一个名字", Etag(c30))
	requireCode(t, err, errs.Aborted, "STALE_VERSION")

	disabled, err := f.core.SetTenantEnabled(admin, "ahz.s01.c30", false, "")
	require.NoError(t, err)
	require.False(t, disabled.Enabled)
	svc, err := f.core.SetTenantServices(admin, "ahz.s01.c30", []string{"matters", "tickets"}, Etag(disabled))
	require.NoError(t, err)
	require.Equal(t, []string{"matters", "tickets"}, svc.Services)
	_, err = f.core.SetTenantServices(admin, "ahz.s01.c30", []string{"Bad Name"}, "")
	requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")

	// Bad moves change nothing.
	tree, counts := snapshot(f.tree), f.counts(t)
	bad := []struct {
		name      string
		id, under tenancy.ID
		kind      errs.Kind
		code      string
	}{
		{"under itself", "ahz.s01", "ahz.s01", errs.InvalidArgument, "TENANT_MOVE_CYCLE"},
		{"under its own child", "ahz.s01", "ahz.s01.c01", errs.InvalidArgument, "TENANT_MOVE_CYCLE"},
		{"root under its grandchild", "ahz", "ahz.s02.c14", errs.InvalidArgument, "TENANT_MOVE_CYCLE"},
		{"street under a street", "ahz.s02", "ahz.s01", errs.InvalidArgument, "INVALID_ARGUMENT"},
		{"under an unknown parent", "ahz.s01.c01", "ahz.s07", errs.FailedPrecondition, "PARENT_TENANT_NOT_FOUND"},
		{"onto a taken id", "ahz.s01.c01", "ahz.s02", errs.AlreadyExists, "TENANT_EXISTS"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.core.MoveTenant(admin, tt.id, tt.under, "")
			requireCode(t, err, tt.kind, tt.code)
			require.Equal(t, tree, snapshot(f.tree))
			require.Equal(t, counts, f.counts(t))
		})
	}

	// While the community has services whose rows cannot follow it, the move is refused.
	_, err = f.core.MoveTenant(admin, "ahz.s01.c30", "ahz.s02", "")
	requireCode(t, err, errs.FailedPrecondition, "TENANT_MOVE_BLOCKED")
	require.Equal(t, tree, snapshot(f.tree))
	require.Equal(t, counts, f.counts(t))
	_, err = f.core.SetTenantServices(admin, "ahz.s01.c30", nil, "")
	require.NoError(t, err)

	// A good move: the community, its accounts and its grants go to the other street.
	u := f.user(t, admin, "ahz.s01.c30", "c30-clerk")
	_, err = f.core.GrantRole(admin, "ahz.s01.c30", u.Name(), "window_clerk")
	require.NoError(t, err)
	moved, err := f.core.MoveTenant(admin, "ahz.s01.c30", "ahz.s02", "")
	require.NoError(t, err)
	require.Equal(t, tenancy.ID("ahz.s02.c30"), moved.ID)
	require.Equal(t, tenancy.ID("ahz.s02"), moved.Parent)
	require.Equal(t, "第一街道新社区服务站", moved.Name)
	_, ok := f.tree.Get("ahz.s01.c30")
	require.False(t, ok)
	got, err := f.core.GetUser(admin, "ahz.s02.c30", u.ID)
	require.NoError(t, err)
	require.Equal(t, tenancy.ID("ahz.s02.c30"), got.Tenant)
	require.True(t, f.enf.Allowed(u.ID, "ahz.s02.c30", "matters.applications", "create"))
	require.False(t, f.enf.Allowed(u.ID, "ahz.s01.c30", "matters.applications", "create"))

	// A street admin cannot move a tenant out of its reach.
	sa := f.user(t, admin, "ahz.s02", "s02-admin")
	require.NoError(t, f.enf.Grant(admin, sa.ID, "tenant_admin", "ahz.s02"))
	_, err = f.core.MoveTenant(f.as(t, sa.ID), "ahz.s02.c30", "ahz.s01", "")
	requireCode(t, err, errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE")

	recs, _, err := audit.List(t.Context(), f.db, "ahz.s02", audit.ListOptions{})
	require.NoError(t, err)
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.GetAction())
	}
	require.Contains(t, actions, "identity.MoveTenant")
}

func TestApplyTenants(t *testing.T) {
	f := newFixture(t, testenv.SQLite(t))
	ctx := t.Context()
	desired := tenancy.DefaultTree()
	changes, err := ApplyTenants(ctx, f.tree, desired)
	require.NoError(t, err)
	require.Empty(t, changes, "the seeded tree already equals the default file")

	// Rename one, add one, drop one community, enable a service on a street.
	desired = slices.DeleteFunc(desired, func(t tenancy.Tenant) bool { return t.ID == "ahz.s02.c14" })
	for i := range desired {
		switch desired[i].ID {
		case "ahz.s01.c01":
			desired[i].Name = "第一街道幸福社区服务站"
		case "ahz.s02":
			desired[i].Services = append(desired[i].Services, "legalaid")
		}
	}
	desired = append(desired, tenancy.Tenant{ID: "ahz.s02.c30", Name: "第二街道第30社区服务站", Tier: tenancy.Community, Enabled: true})
	// Left out of the file, the dropped community is kept: deleting takes its id.
	plan, err := PlanTenants(f.tree, desired)
	require.NoError(t, err)
	require.Equal(t, "! ahz.s02.c14 kept: not in the file, and not named for deletion", plan[len(plan)-1].String())
	plan, err = PlanTenants(f.tree, desired, "ahz.s02.c14")
	require.NoError(t, err)
	changes, err = ApplyTenants(ctx, f.tree, desired, "ahz.s02.c14")
	require.NoError(t, err)
	require.Equal(t, plan, changes)
	var lines []string
	for _, c := range changes {
		lines = append(lines, c.String())
	}
	require.Equal(t, []string{
		"~ ahz.s02 services",
		"~ ahz.s01.c01 name",
		"+ ahz.s02.c30 第二街道第30社区服务站",
		"- ahz.s02.c14",
	}, lines)
	got, _ := f.tree.Get("ahz.s01.c01")
	require.Equal(t, "第一街道幸福社区服务站", got.Name)

	again, err := ApplyTenants(ctx, f.tree, desired, "ahz.s02.c14")
	require.NoError(t, err)
	require.Empty(t, again, "applying the same file twice changes nothing")

	// Refused as a whole, changing nothing: an empty tree, deleting a tenant the file
	// still lists, deleting a street whose communities would stay.
	before := snapshot(f.tree)
	for _, c := range []struct {
		desired []tenancy.Tenant
		remove  []tenancy.ID
		code    string
	}{
		{nil, nil, "EMPTY_TENANT_TREE"},
		{desired, []tenancy.ID{"ahz.s01"}, "DELETE_LISTED_TENANT"},
		{slices.DeleteFunc(slices.Clone(desired), func(t tenancy.Tenant) bool { return t.ID == "ahz.s02" || t.ID.Parent() == "ahz.s02" }),
			[]tenancy.ID{"ahz.s02"}, "DELETE_HAS_CHILDREN"},
	} {
		_, err := ApplyTenants(ctx, f.tree, c.desired, c.remove...)
		requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")
		require.Equal(t, c.code, errs.From(err).Violations[0].Code)
		require.Equal(t, before, snapshot(f.tree))
	}

	// A file with a missing parent or a duplicate is refused as a whole.
	tree := snapshot(f.tree)
	for _, broken := range [][]tenancy.Tenant{
		append(slices.Clone(desired), tenancy.Tenant{ID: "ahz.s09.c01", Name: "孤儿", Tier: tenancy.Community}),
		append(slices.Clone(desired), desired[1]),
		append(slices.Clone(desired), tenancy.Tenant{ID: "AHZ.x", Name: "坏", Tier: tenancy.Street}),
	} {
		_, err := ApplyTenants(ctx, f.tree, broken)
		requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")
		require.Equal(t, tree, snapshot(f.tree))
	}

	ts, err := ReadTenants(strings.NewReader("- {id: ahz, name: 区中心, tier: district, enabled: true}\n"))
	require.NoError(t, err)
	require.Len(t, ts, 1)
	_, err = ReadTenants(strings.NewReader("- {id: ahz, nmae: 区中心, tier: district}\n"))
	requireCode(t, err, errs.InvalidArgument, "INVALID_ARGUMENT")
}
