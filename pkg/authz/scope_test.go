package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// A list query filtered by Scope.SQL returns exactly the rows Allowed allows, on both SQL
// engines, including ids that are string prefixes of others and a deny carved out of a
// grant.
func TestScopeSQLFiltersRowsLikeAllowed(t *testing.T) {
	t.Parallel()
	e := newEnforcer(t, testenv.EtcdClient(t))
	zone(t, e)
	ctx := t.Context()
	require.NoError(t, e.Deny(ctx, handlerS01, "ahz.s01.c03", "tickets.tickets", "read"))
	require.NoError(t, e.Grant(ctx, clerkC07, "ticket_handler", "ahz.s02.c01"))

	tenants := []tenancy.ID{"ahz.s010", "ahz.s01.c1", "bhz.s01"}
	for _, tn := range tenancy.DefaultTree() {
		tenants = append(tenants, tn.ID)
	}
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		db, err := sqlstore.Open(ctx, dsn, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		_, err = db.Exec(ctx, `CREATE TABLE tickets (id TEXT PRIMARY KEY, tenant TEXT NOT NULL)`)
		require.NoError(t, err)
		for _, tn := range tenants {
			_, err = db.Exec(ctx, `INSERT INTO tickets (id, tenant) VALUES ($1, $2)`, "T-"+string(tn), string(tn))
			require.NoError(t, err)
		}
		for _, sub := range []string{clerkC07, handlerS01, supervisor, adminS02, platformRoot, nobody} {
			scope := e.Scope(sub, "tickets.tickets", "read")
			cond, args := scope.SQL("tenant", 2)
			rows, err := db.Query(ctx, `SELECT tenant FROM tickets WHERE id <> $1 AND `+cond+` ORDER BY tenant`, append([]any{""}, args...)...)
			require.NoError(t, err)
			var got []tenancy.ID
			for rows.Next() {
				var tn string
				require.NoError(t, rows.Scan(&tn))
				got = append(got, tenancy.ID(tn))
			}
			require.NoError(t, rows.Err())
			require.NoError(t, rows.Close())
			var want []tenancy.ID
			for _, tn := range tenants {
				if e.Allowed(sub, tn, "tickets.tickets", "read") {
					want = append(want, tn)
				}
			}
			require.ElementsMatch(t, want, got, "%s: %s %v", sub, cond, args)
		}
	})
}

// Stock Casbin managing the policy through the Adapter reaches every Enforcer by the watch.
func TestCasbinManagesThroughAdapter(t *testing.T) {
	t.Parallel()
	etcd := testenv.StartEtcd(t)
	e := newEnforcer(t, etcd.Client())
	zone(t, e)
	stock, err := authz.Casbin(authz.NewAdapter(etcd.Client(), testPrefix))
	require.NoError(t, err)
	seen := func(sub string, tenant tenancy.ID, want bool) {
		t.Helper()
		require.Eventually(t, func() bool { return e.Allowed(sub, tenant, "tickets.tickets", "update") == want }, time.Second, 2*time.Millisecond)
		got, err := stock.Enforce(sub, string(tenant), "tickets.tickets", "update")
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	seen(handlerS01, "ahz.s01.c02", true)

	_, err = stock.AddGroupingPolicy("u:from-casbin", "ticket_handler", "ahz.s02")
	require.NoError(t, err)
	seen("u:from-casbin", "ahz.s02.c09", true)

	_, err = stock.DeleteUser(handlerS01) // RemoveFilteredPolicy on g and p
	require.NoError(t, err)
	seen(handlerS01, "ahz.s01.c02", false)

	_, err = stock.AddGroupingPolicy("alice", "ticket_handler", "ahz")
	require.ErrorIs(t, err, authz.ErrInvalidRule, "the adapter refuses a role-shaped subject")

	// SavePolicy makes etcd equal to Casbin's model: here, without the steward's grant.
	before := authz.Size(e)
	stock.EnableAutoSave(false)
	_, err = stock.RemoveFilteredGroupingPolicy(0, stewardAhz)
	require.NoError(t, err)
	require.NotEmpty(t, e.Grants(stewardAhz), "not saved yet")
	require.NoError(t, stock.SavePolicy())
	require.Eventually(t, func() bool { return authz.Size(e) == before-1 }, time.Second, 2*time.Millisecond)
	require.Empty(t, e.Grants(stewardAhz))
}
