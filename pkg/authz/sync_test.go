package authz_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// TestSync: after Sync, another Enforcer of the process on the same etcd (through its own
// client) decides with the writer's grant, and one on another etcd is not waited for.
func TestSync(t *testing.T) {
	etcd := testenv.StartEtcd(t)
	open := func(e *testenv.Etcd) *authz.Enforcer {
		enf, err := authz.New(t.Context(), e.Client(), authz.DefaultPrefix)
		require.NoError(t, err)
		t.Cleanup(func() { _ = enf.Close() })
		return enf
	}
	writer, reader := open(etcd), open(etcd)
	open(testenv.StartEtcd(t)) // elsewhere: its revisions have nothing to do with these
	_, err := writer.Seed(t.Context(), authz.DefaultRoles())
	require.NoError(t, err)
	for i, sub := range []string{"u-1", "u-2", "u-3", "u-4", "u-5"} {
		require.NoError(t, writer.Grant(t.Context(), sub, "ticket_handler", "ahz.s01"))
		require.NoError(t, writer.Sync(t.Context()))
		require.True(t, reader.Allowed(sub, "ahz.s01.c01", "tickets.tickets", "read"), "grant %d in force after Sync", i)
	}
}
