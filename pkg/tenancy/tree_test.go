package tenancy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

const testPrefix = "/test/tenants"

func openTree(t *testing.T, c *clientv3.Client) *tenancy.Tree {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tr, err := tenancy.OpenTree(ctx, c, testPrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func seeded(t *testing.T, c *clientv3.Client) *tenancy.Tree {
	t.Helper()
	tr := openTree(t, c)
	n, err := tr.Seed(t.Context(), tenancy.DefaultTree())
	require.NoError(t, err)
	require.Equal(t, 32, n)
	return tr
}

func ids(ts []tenancy.Tenant) []tenancy.ID {
	out := make([]tenancy.ID, len(ts))
	for i, tn := range ts {
		out[i] = tn.ID
	}
	return out
}

func TestTreeSeedAndQueries(t *testing.T) {
	t.Parallel()
	tr := seeded(t, testenv.EtcdClient(t))
	require.Equal(t, 32, tr.Len())

	got, ok := tr.Get("ahz.s01.c07")
	require.True(t, ok)
	require.Equal(t, tenancy.Community, got.Tier)
	require.Equal(t, tenancy.ID("ahz.s01"), got.Parent)
	require.True(t, got.Serves("tickets"))
	require.False(t, got.Serves("legalaid"))
	_, ok = tr.Get("ahz.s03")
	require.False(t, ok)

	require.Equal(t, []tenancy.ID{"ahz"}, ids(tr.Roots()))
	require.Equal(t, []tenancy.ID{"ahz.s01", "ahz.s02"}, ids(tr.Children("ahz")))
	require.Len(t, tr.Children("ahz.s02"), 14)
	require.Empty(t, tr.Children("ahz.s02.c01"))

	sub := ids(tr.Subtree("ahz.s01"))
	require.Len(t, sub, 16)
	require.Equal(t, tenancy.ID("ahz.s01"), sub[0])
	for _, id := range sub {
		require.True(t, tenancy.ID("ahz.s01").Contains(id))
	}
	all := ids(tr.Subtree("ahz"))
	require.Len(t, all, 32)
	require.Equal(t, []tenancy.ID{"ahz", "ahz.s01", "ahz.s01.c01"}, all[:3], "depth first")
	require.Nil(t, tr.Subtree("nowhere"))

	// Returned values are copies: changing them does not change the tree.
	got.Services[0] = "changed"
	again, _ := tr.Get("ahz.s01.c07")
	require.Equal(t, "matters", again.Services[0])
}

func TestSeedRunsOnce(t *testing.T) {
	t.Parallel()
	tr := seeded(t, testenv.EtcdClient(t))
	c, _ := tr.Get("ahz.s02.c03")
	c.Name = "真实社区名称服务站"
	require.NoError(t, tr.Put(t.Context(), c))

	require.NoError(t, tr.Delete(t.Context(), "ahz.s02.c14"))

	n, err := tr.Seed(t.Context(), tenancy.DefaultTree())
	require.NoError(t, err)
	require.Zero(t, n)
	got, _ := tr.Get("ahz.s02.c03")
	require.Equal(t, "真实社区名称服务站", got.Name, "seeding never undoes an edit")
	_, ok := tr.Get("ahz.s02.c14")
	require.False(t, ok, "seeding never brings back a deleted tenant")
	require.Equal(t, 31, tr.Len())
}

func TestPutRefusesBadTenants(t *testing.T) {
	t.Parallel()
	etcd := testenv.StartEtcd(t)
	tr := seeded(t, etcd.Client())
	community := func(id tenancy.ID) tenancy.Tenant {
		return tenancy.Tenant{ID: id, Name: "新社区服务站", Tier: tenancy.Community, Enabled: true}
	}
	for _, tc := range []struct {
		name   string
		tenant tenancy.Tenant
		code   string
	}{
		{"bad id", community("ahz.S01.c99"), "INVALID_TENANT"},
		{"percent in id", community("ahz.s01.c%"), "INVALID_TENANT"},
		{"orphan", community("ahz.s09.c01"), "PARENT_TENANT_NOT_FOUND"},
		{"parent not prefix", tenancy.Tenant{ID: "ahz.s01.c99", Parent: "ahz.s02", Name: "x", Tier: tenancy.Community}, "PARENT_MISMATCH"},
		{"no name", tenancy.Tenant{ID: "ahz.s01.c99", Name: "  ", Tier: tenancy.Community}, "INVALID_NAME"},
		{"unknown tier", tenancy.Tenant{ID: "ahz.s01.c99", Name: "x", Tier: "village"}, "INVALID_TIER"},
		{"tier not below parent", tenancy.Tenant{ID: "ahz.s01.c99", Name: "x", Tier: tenancy.Street}, "TIER_NOT_BELOW_PARENT"},
		{"bad service", tenancy.Tenant{ID: "ahz.s01.c99", Name: "x", Tier: tenancy.Community, Services: []string{"Tickets"}}, "INVALID_SERVICE"},
		{"duplicate window", tenancy.Tenant{ID: "ahz.s01.c99", Name: "x", Tier: tenancy.Community, Windows: []tenancy.Window{
			{Code: "w1", Name: "一号窗口", Kind: tenancy.GeneralWindow}, {Code: "w1", Name: "二号窗口", Kind: tenancy.GeneralWindow}}}, "INVALID_WINDOW"},
		{"street demoted below its communities", tenancy.Tenant{ID: "ahz.s01", Name: "第一街道便民服务中心", Tier: tenancy.Community}, "TIER_NOT_ABOVE_CHILDREN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tr.Put(t.Context(), tc.tenant)
			require.Error(t, err)
			e := errs.From(err)
			codes := []string{e.Code}
			for _, v := range e.Violations {
				codes = append(codes, v.Code)
			}
			require.Contains(t, codes, tc.code)
			require.Equal(t, 32, tr.Len(), "nothing written")
		})
	}
	street, _ := tr.Get("ahz.s01")
	require.Equal(t, tenancy.Street, street.Tier)
	resp, err := etcd.Client().Get(t.Context(), testPrefix+"/ahz.s09", clientv3.WithPrefix())
	require.NoError(t, err)
	require.Zero(t, resp.Count)
}

func TestDelete(t *testing.T) {
	t.Parallel()
	tr := seeded(t, testenv.EtcdClient(t))
	ctx := t.Context()
	require.ErrorIs(t, tr.Delete(ctx, "ahz.s01"), tenancy.ErrHasChildren)
	require.ErrorIs(t, tr.Delete(ctx, "ahz"), tenancy.ErrHasChildren)
	require.NoError(t, tr.Delete(ctx, "ahz.s01.c15"))
	_, ok := tr.Get("ahz.s01.c15")
	require.False(t, ok, "a writer reads its own delete")
	require.Len(t, tr.Children("ahz.s01"), 14)
	require.ErrorIs(t, tr.Delete(ctx, "ahz.s01.c15"), tenancy.ErrNotFound)
	require.ErrorIs(t, tr.Delete(ctx, "ahz..x"), tenancy.ErrInvalidID)
}

// A Put of a child racing a Delete of its parent never leaves an orphan: the parent
// check and the write are one transaction.
func TestNoOrphanUnderRace(t *testing.T) {
	t.Parallel()
	etcd := testenv.StartEtcd(t)
	tr := seeded(t, etcd.Client())
	ctx := t.Context()
	for i := range 20 {
		parent := tenancy.Tenant{ID: "ahz.s09", Name: "临时街道", Tier: tenancy.Street, Enabled: true}
		require.NoError(t, tr.Put(ctx, parent), i)
		child := tenancy.Tenant{ID: "ahz.s09.c01", Name: "临时社区", Tier: tenancy.Community, Enabled: true}
		var wg sync.WaitGroup
		var putErr, delErr error
		wg.Add(2)
		go func() { defer wg.Done(); putErr = tr.Put(ctx, child) }()
		go func() { defer wg.Done(); delErr = tr.Delete(ctx, parent.ID) }()
		wg.Wait()
		resp, err := etcd.Client().Get(ctx, testPrefix+"/ahz.s09", clientv3.WithPrefix(), clientv3.WithKeysOnly())
		require.NoError(t, err)
		var keys []string
		for _, kv := range resp.Kvs {
			keys = append(keys, strings.TrimPrefix(string(kv.Key), testPrefix+"/"))
		}
		switch {
		case putErr == nil && delErr == nil:
			t.Fatalf("both won: %v", keys)
		case putErr == nil:
			require.ErrorIs(t, delErr, tenancy.ErrHasChildren)
			require.ElementsMatch(t, []string{"ahz.s09", "ahz.s09.c01"}, keys)
			require.NoError(t, tr.Delete(ctx, child.ID))
			require.NoError(t, tr.Delete(ctx, parent.ID))
		default:
			require.ErrorIs(t, putErr, tenancy.ErrParentNotFound)
			require.Empty(t, keys)
		}
	}
}

// Not parallel: it gives the second tree one second to follow, which a test beside it
// on a busy machine could take.
func TestSecondTreeFollowsChanges(t *testing.T) {
	etcd := testenv.StartEtcd(t)
	a := seeded(t, etcd.Client())
	b := openTree(t, etcd.Client())
	require.Equal(t, 32, b.Len())
	ctx := t.Context()

	require.NoError(t, a.Put(ctx, tenancy.Tenant{ID: "ahz.s02.c15", Name: "第二街道第15社区服务站", Tier: tenancy.Community, Enabled: true}))
	require.Eventually(t, func() bool { _, ok := b.Get("ahz.s02.c15"); return ok }, time.Second, 5*time.Millisecond)
	require.Len(t, b.Children("ahz.s02"), 15)

	require.NoError(t, a.Delete(ctx, "ahz.s02.c15"))
	require.Eventually(t, func() bool { _, ok := b.Get("ahz.s02.c15"); return !ok }, time.Second, 5*time.Millisecond)
	require.Len(t, b.Children("ahz.s02"), 14)
	require.Zero(t, tenancy.Reloads(b), "changes arrive one by one, without reloads")
}

func TestTreeSurvivesEtcdRestart(t *testing.T) {
	t.Parallel()
	etcd := testenv.StartEtcd(t)
	a := seeded(t, etcd.Client())
	b := openTree(t, etcd.Client())
	etcd.Restart()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, a.Put(ctx, tenancy.Tenant{ID: "ahz.s01.c16", Name: "第一街道第16社区服务站", Tier: tenancy.Community, Enabled: true}))
	require.Eventually(t, func() bool { _, ok := b.Get("ahz.s01.c16"); return ok }, 10*time.Second, 10*time.Millisecond)
}

// A replica cut off while others change the tree, with the history compacted meanwhile,
// cannot resume its watch: it reloads and then follows changes again.
func TestTreeReloadsAfterCompactedGap(t *testing.T) {
	t.Parallel()
	etcd := testenv.StartEtcd(t)
	a := seeded(t, etcd.Client())
	proxy := etcd.CutProxy(t)
	b := openTree(t, proxy.Client(t))
	require.Equal(t, 32, b.Len())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	proxy.Cut()
	require.NoError(t, a.Put(ctx, tenancy.Tenant{ID: "ahz.s01.c16", Name: "第一街道第16社区服务站", Tier: tenancy.Community, Enabled: true}))
	require.NoError(t, a.Delete(ctx, "ahz.s02.c14"))
	etcd.Compact(ctx)
	proxy.Restore()

	require.Eventually(t, func() bool {
		_, added := b.Get("ahz.s01.c16")
		_, kept := b.Get("ahz.s02.c14")
		// The gap was closed by a full reload (counted just after the reloaded tree
		// becomes visible, so waited for with it).
		return added && !kept && tenancy.Reloads(b) > 0
	}, 15*time.Second, 10*time.Millisecond)

	require.NoError(t, a.Delete(ctx, "ahz.s01.c16"))
	require.Eventually(t, func() bool { _, ok := b.Get("ahz.s01.c16"); return !ok }, 5*time.Second, 10*time.Millisecond)
}

func TestCreateIsAtomic(t *testing.T) {
	t.Parallel()
	e := testenv.StartEtcd(t)
	tr := seeded(t, e.Client())
	ctx := t.Context()
	// Two trees (two identity replicas) create the same id at once: one wins.
	other := openTree(t, e.Client())
	tn := tenancy.Tenant{ID: "ahz.s01.c99", Name: "新建社区服务站", Tier: tenancy.Community, Enabled: true}
	errsCh := make(chan error, 2)
	for _, tree := range []*tenancy.Tree{tr, other} {
		go func() { errsCh <- tree.Create(ctx, tn) }()
	}
	first, second := <-errsCh, <-errsCh
	if first != nil {
		first, second = second, first
	}
	require.NoError(t, first)
	require.ErrorIs(t, second, tenancy.ErrExists)
	got, ok := tr.Get("ahz.s01.c99")
	require.True(t, ok)
	require.Equal(t, "新建社区服务站", got.Name)
}
