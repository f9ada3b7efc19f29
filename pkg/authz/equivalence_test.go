package authz_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// policyGen draws random rules and requests over the zone's tree and a few more tenants.
type policyGen struct {
	rnd     *rand.Rand
	tenants []tenancy.ID
}

func newPolicyGen(seed uint64) *policyGen {
	g := &policyGen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, tn := range tenancy.DefaultTree() {
		g.tenants = append(g.tenants, tn.ID)
	}
	// Another district, and ids that are string prefixes of others without being their
	// ancestors ("ahz.s01.c1" and "ahz.s01.c15").
	g.tenants = append(g.tenants, "bhz", "bhz.s01", "bhz.s01.c01", "ahz.s01.c1", "ahz.s010", "ahz.s0")
	return g
}

var (
	genObjects  = []string{"matters.applications", "matters.matters", "tickets.tickets", "legalaid.cases", "audit.records"}
	genServices = []string{"matters", "tickets", "legalaid", "audit"}
)

func (g *policyGen) pick(xs []string) string { return xs[g.rnd.IntN(len(xs))] }
func (g *policyGen) tenant() tenancy.ID      { return g.tenants[g.rnd.IntN(len(g.tenants))] }
func (g *policyGen) user(n int) string       { return fmt.Sprintf("u:%d", g.rnd.IntN(n)) }
func (g *policyGen) role() string            { return fmt.Sprintf("r%d", g.rnd.IntN(8)) }

func (g *policyGen) objectPattern() string {
	switch r := g.rnd.IntN(100); {
	case r < 15:
		return authz.Any
	case r < 30:
		return g.pick(genServices) + ".*"
	}
	return g.pick(genObjects)
}

func (g *policyGen) permission() authz.Permission {
	p := authz.Permission{Subject: g.role(), Tenant: authz.Any, Object: g.objectPattern(), Action: g.pick(authz.Actions), Effect: authz.Allow}
	if g.rnd.IntN(10) == 0 {
		p.Action = authz.Any
	}
	if g.rnd.IntN(10) < 4 {
		p.Tenant = string(g.tenant())
	}
	if g.rnd.IntN(5) == 0 {
		p.Effect = authz.Deny
		if g.rnd.IntN(3) == 0 {
			p.Subject = g.user(40) // a deny on a user
		}
	}
	return p
}

// change is one random rule, with the calls that add and remove it.
type change struct {
	line   []string
	add    func(context.Context, *authz.Enforcer) error
	remove func(context.Context, *authz.Enforcer) error
}

func (g *policyGen) change() change {
	if g.rnd.IntN(2) == 0 {
		p := g.permission()
		return change{
			line:   []string{"p", p.Subject, p.Tenant, p.Object, p.Action, string(p.Effect)},
			add:    func(ctx context.Context, e *authz.Enforcer) error { return e.AddPermission(ctx, p) },
			remove: func(ctx context.Context, e *authz.Enforcer) error { return e.RemovePermission(ctx, p) },
		}
	}
	gr := authz.Grant{Subject: g.user(40), Role: g.role(), Tenant: g.tenant()}
	return change{
		line: []string{"g", gr.Subject, gr.Role, string(gr.Tenant)},
		add: func(ctx context.Context, e *authz.Enforcer) error {
			return e.Grant(ctx, gr.Subject, gr.Role, gr.Tenant)
		},
		remove: func(ctx context.Context, e *authz.Enforcer) error {
			return e.Revoke(ctx, gr.Subject, gr.Role, gr.Tenant)
		},
	}
}

// TestSameDecisionsAsCasbin holds the index to stock Casbin on the same model and policy:
// a random policy of a few hundred rules, thousands of random requests, then again after
// random changes that our replicas applied one by one from the watch while Casbin reloaded.
func TestSameDecisionsAsCasbin(t *testing.T) {
	t.Parallel()
	etcd := testenv.StartEtcd(t)
	ctx := t.Context()
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			prefix := fmt.Sprintf("/test/equivalence/%d", seed)
			gen := newPolicyGen(seed)
			var changes []change
			lines := map[string][][]string{}
			for range 400 {
				c := gen.change()
				changes = append(changes, c)
				lines[c.line[0]] = append(lines[c.line[0]], c.line[1:])
			}
			adapter := authz.NewAdapter(etcd.Client(), prefix)
			require.NoError(t, adapter.AddPoliciesCtx(ctx, "p", "p", lines["p"]))
			require.NoError(t, adapter.AddPoliciesCtx(ctx, "g", "g", lines["g"]))

			ours, err := authz.New(ctx, etcd.Client(), prefix)
			require.NoError(t, err)
			t.Cleanup(func() { _ = ours.Close() })
			follower, err := authz.New(ctx, etcd.Client(), prefix)
			require.NoError(t, err)
			t.Cleanup(func() { _ = follower.Close() })
			stock, err := authz.Casbin(adapter)
			require.NoError(t, err)
			t.Logf("policy: %d rules written, %d distinct", len(changes), authz.Size(ours))

			compare := func(round string) {
				allowed := 0
				for range 4000 {
					sub, tenant, obj, act := gen.user(45), gen.tenant(), gen.pick(genObjects), gen.pick(authz.Actions)
					if gen.rnd.IntN(20) == 0 {
						tenant = "ahz.s03.c01" // valid, not in the tree
					}
					want, err := stock.Enforce(sub, string(tenant), obj, act)
					require.NoError(t, err)
					for name, e := range map[string]*authz.Enforcer{"writer": ours, "follower": follower} {
						require.Equal(t, want, e.Allowed(sub, tenant, obj, act), "%s %s: %s %s %s %s", round, name, sub, tenant, obj, act)
						require.Equal(t, want, e.Scope(sub, obj, act).Contains(tenant), "%s %s scope: %s %s %s %s", round, name, sub, tenant, obj, act)
					}
					if want {
						allowed++
					}
				}
				t.Logf("%s: %d of 4000 requests allowed", round, allowed)
				require.Greater(t, allowed, 200, "the policy must allow enough to be a real test")
			}
			compare("initial")

			// Change the policy through the writer; the follower applies the same changes
			// from its watch, and Casbin reloads from etcd through the adapter.
			for range 100 {
				require.NoError(t, changes[gen.rnd.IntN(len(changes))].remove(ctx, ours))
				require.NoError(t, gen.change().add(ctx, ours))
			}
			require.Eventually(t, func() bool { return authz.Applied(follower) >= authz.Applied(ours) },
				5*time.Second, 2*time.Millisecond)
			require.NoError(t, stock.LoadPolicy())
			compare("after changes")
			require.Zero(t, authz.Reloads(ours)+authz.Reloads(follower), "changes were applied incrementally")
		})
	}
}
