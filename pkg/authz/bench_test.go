package authz_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// A population is a generated policy: the default roles, grants of those roles to
// users across a tenant tree, and a few suspended users (a deny on everything).
type population struct {
	tenants  []tenancy.ID
	children map[tenancy.ID][]tenancy.ID
	top      []tenancy.ID // tenants of depth <= 2, where oversight roles are held
	users    []string
	rules    int
}

// authz.Role weights: clerks and handlers are most of the staff; oversight roles are few and
// held high in the tree.
var benchRoles = []struct {
	name   string
	weight int
	high   bool
}{
	{"window_clerk", 30, false}, {"agent", 10, false}, {"ticket_handler", 20, false},
	{"steward", 8, false}, {"legal_aid_lawyer", 3, false}, {"court_clerk", 2, false},
	{"tenant_admin", 5, false}, {"enterprise", 10, false}, {"citizen", 10, false},
	{"supervisor", 1, true}, {"discipline", 1, true}, {"ops", 1, true}, {"platform_admin", 1, true},
}

func newPopulation(tenants []tenancy.ID) *population {
	p := &population{tenants: tenants, children: map[tenancy.ID][]tenancy.ID{}}
	for _, t := range tenants {
		p.children[t.Parent()] = append(p.children[t.Parent()], t)
		if t.Depth() <= 2 {
			p.top = append(p.top, t)
		}
	}
	return p
}

// provinceTenants is a five-level tree of n tenants: province, 20 cities, 9 districts
// each, 10 streets each, and communities spread over the streets.
func provinceTenants(n int) []tenancy.ID {
	out := []tenancy.ID{"p"}
	var streets []tenancy.ID
	for c := 1; c <= 20; c++ {
		city := tenancy.ID(fmt.Sprintf("p.c%02d", c))
		out = append(out, city)
		for d := 1; d <= 9; d++ {
			district := tenancy.ID(fmt.Sprintf("%s.d%d", city, d))
			out = append(out, district)
			for s := 1; s <= 10; s++ {
				street := tenancy.ID(fmt.Sprintf("%s.s%02d", district, s))
				out = append(out, street)
				streets = append(streets, street)
			}
		}
	}
	for i := 0; len(out) < n; i++ {
		out = append(out, tenancy.ID(fmt.Sprintf("%s.q%02d", streets[i%len(streets)], i/len(streets)+1)))
	}
	return out
}

func zoneTenants() []tenancy.ID {
	var out []tenancy.ID
	for _, t := range tenancy.DefaultTree() {
		out = append(out, t.ID)
	}
	return out
}

// generate emits the policy rule by rule (so that building a million grants never holds
// a second copy of them): the default roles, then users*grantsPerUser grants, then
// suspensions for one user in 200.
func (p *population) generate(rnd *rand.Rand, users, grantCount int, emit func(line []string)) {
	for _, r := range authz.DefaultRoles() {
		for _, perm := range r.Permissions {
			emit([]string{"p", perm.Subject, perm.Tenant, perm.Object, perm.Action, string(perm.Effect)})
			p.rules++
		}
	}
	total := 0
	for _, r := range benchRoles {
		total += r.weight
	}
	grantTo := func(u string) {
		w := rnd.IntN(total)
		role := benchRoles[0]
		for _, r := range benchRoles {
			if w < r.weight {
				role = r
				break
			}
			w -= r.weight
		}
		at := p.tenants[rnd.IntN(len(p.tenants))]
		if role.high {
			at = p.top[rnd.IntN(len(p.top))]
		}
		emit([]string{"g", u, role.name, string(at)})
		p.rules++
	}
	p.users = make([]string, users)
	for i := range users {
		p.users[i] = fmt.Sprintf("u:%07d", i)
		grantTo(p.users[i])
	}
	for range grantCount - users {
		grantTo(p.users[rnd.IntN(users)])
	}
	for i := 0; i < users; i += 200 {
		emit([]string{"p", p.users[i], authz.Any, authz.Any, authz.Any, string(authz.Deny)})
		p.rules++
	}
}

type request struct {
	sub    string
	tenant tenancy.ID
	obj    string
	act    string
}

// requests draws n requests from the given subjects: half aimed inside one of the
// subject's grants (at the grant's tenant or below it, mostly for something the role
// permits), half at any tenant for anything.
func (p *population) requests(rnd *rand.Rand, n int, users []string, e *authz.Enforcer) []request {
	objects := []string{"matters.applications", "matters.matters", "tickets.tickets", "legalaid.cases",
		"documents.documents", "stewardship.enterprises", "identity.users", "audit.records", "config.settings"}
	out := make([]request, n)
	for i := range out {
		r := request{sub: users[rnd.IntN(len(users))], obj: objects[rnd.IntN(len(objects))], act: authz.Actions[rnd.IntN(len(authz.Actions))]}
		r.tenant = p.tenants[rnd.IntN(len(p.tenants))]
		if gs := e.Grants(r.sub); len(gs) > 0 && rnd.IntN(2) == 0 {
			g := gs[rnd.IntN(len(gs))]
			r.tenant = g.Tenant
			for kids := p.children[r.tenant]; len(kids) > 0 && rnd.IntN(3) > 0; kids = p.children[r.tenant] {
				r.tenant = kids[rnd.IntN(len(kids))]
			}
			if perms := e.Permissions(g.Role); len(perms) > 0 && rnd.IntN(5) > 0 {
				if perm := perms[rnd.IntN(len(perms))]; validObject(perm.Object) && perm.Action != authz.Any {
					r.obj, r.act = perm.Object, perm.Action
				}
			}
		}
		// The request's own strings are fresh, as they are when a request has just been
		// decoded; only the policy is spread over memory.
		r.sub, r.tenant = strings.Clone(r.sub), tenancy.ID(strings.Clone(string(r.tenant)))
		out[i] = r
	}
	return out
}

func validObject(o string) bool {
	svc, res, ok := strings.Cut(o, ".")
	return ok && authz.IsRole(svc) && authz.IsRole(res)
}

// scale is one generated policy with both enforcers built on it (stock authz.Casbin only if
// asked: it cannot be built at a million grants in reasonable time).
type scale struct {
	pop       *population
	ours      *authz.Enforcer
	stock     *casbin.Enforcer
	reqs      []request
	buildOurs time.Duration
	buildCas  time.Duration
	heapMiB   float64 // ours, when built alone
	casMiB    float64 // stock Casbin's model and role managers
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func buildScale(tb testing.TB, tenants []tenancy.ID, users, grantCount int, withCasbin bool) *scale {
	s := &scale{pop: newPopulation(tenants)}
	var lines [][]string // for Casbin only
	before := heapAlloc()
	start := time.Now()
	ours, err := authz.FromLines(func(yield func([]string) bool) {
		s.pop.generate(rand.New(rand.NewPCG(1, 2)), users, grantCount, func(l []string) {
			yield(l)
			if withCasbin {
				lines = append(lines, l)
			}
		})
	})
	require.NoError(tb, err)
	s.buildOurs = time.Since(start)
	s.ours = ours
	if !withCasbin {
		s.heapMiB = float64(heapAlloc()-before) / (1 << 20) // the index and the user list
	}
	if withCasbin {
		before = heapAlloc()
		start = time.Now()
		e, err := authz.Casbin(nil)
		require.NoError(tb, err)
		var ps, gs [][]string
		for _, l := range lines {
			if l[0] == "p" {
				ps = append(ps, l[1:])
			} else {
				gs = append(gs, l[1:])
			}
		}
		_, err = e.AddPolicies(ps)
		require.NoError(tb, err)
		_, err = e.AddGroupingPolicies(gs)
		require.NoError(tb, err)
		s.buildCas = time.Since(start)
		s.stock = e
		lines = nil
		s.casMiB = float64(heapAlloc()-before) / (1 << 20)
	}
	s.reqs = s.pop.requests(rand.New(rand.NewPCG(3, 4)), 1<<16, s.pop.users, s.ours)
	return s
}

var (
	scalesMu sync.Mutex
	scales   = map[string]*scale{}
)

// Zone scale: the 32 tenants of the 1+2+29 tree, 6,000 grants over 5,000 users. Province
// scale: 15,000 tenants, 1,000,000 grants over 800,000 users, requests spread over all of
// them. Province, active: the same policy, requests from 5,000 of its users (a working
// set the size of the zone's). Province sample: the province tree with 20,000 grants over
// 16,000 users, the largest policy stock Casbin builds here in well under a minute.
func getScale(tb testing.TB, name string) *scale {
	scalesMu.Lock()
	defer scalesMu.Unlock()
	if s, ok := scales[name]; ok {
		return s
	}
	var s *scale
	switch name {
	case "zone":
		s = buildScale(tb, zoneTenants(), 5000, 6000, true)
	case "province":
		s = buildScale(tb, provinceTenants(15000), 800_000, 1_000_000, false)
	case "province-active":
		scalesMu.Unlock()
		full := getScale(tb, "province")
		scalesMu.Lock()
		active := slices.Clone(full.pop.users)
		rand.New(rand.NewPCG(5, 6)).Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
		c := *full
		c.reqs = full.pop.requests(rand.New(rand.NewPCG(3, 4)), 1<<16, active[:5000], full.ours)
		s = &c
	case "province-sample":
		s = buildScale(tb, provinceTenants(15000), 16_000, 20_000, true)
	}
	scales[name] = s
	return s
}

// percentiles times calls one by one; the timer's own cost (tens of ns) is included
// and reported separately as timer-ns.
func percentiles(n int, call func(i int)) (p50, p90, p99 time.Duration) {
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		call(i)
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[n/2], ds[n*9/10], ds[n*99/100]
}

func timerCost() time.Duration {
	p50, _, _ := percentiles(100_000, func(int) {})
	return p50
}

func BenchmarkEnforce(b *testing.B) {
	type impl struct {
		name   string
		decide func(s *scale, r request) bool
		timed  int // calls in the percentile pass
	}
	ours := impl{"ours", func(s *scale, r request) bool { return s.ours.Allowed(r.sub, r.tenant, r.obj, r.act) }, 1 << 18}
	// decide is the middleware's decision: allowed, and whether through staff roles (the
	// owner axis), in the same lookups.
	decide := impl{"decide", func(s *scale, r request) bool { return s.ours.Decide(r.sub, r.tenant, r.obj, r.act).Allowed }, 1 << 18}
	stock := impl{"casbin", func(s *scale, r request) bool {
		ok, err := s.stock.Enforce(r.sub, string(r.tenant), r.obj, r.act)
		if err != nil {
			panic(err)
		}
		return ok
	}, 1000}
	for _, c := range []struct {
		scale string
		impl  impl
	}{
		{"zone", ours}, {"zone", decide}, {"zone", stock}, {"province", ours}, {"province", decide}, {"province-active", ours},
		{"province-sample", ours}, {"province-sample", stock},
	} {
		b.Run(c.scale+"/"+c.impl.name, func(b *testing.B) {
			s := getScale(b, c.scale)
			allowed := 0
			i := 0
			for b.Loop() {
				if c.impl.decide(s, s.reqs[i&(len(s.reqs)-1)]) {
					allowed++
				}
				i++
			}
			p50, p90, p99 := percentiles(c.impl.timed, func(i int) { c.impl.decide(s, s.reqs[i&(len(s.reqs)-1)]) })
			b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(p90.Nanoseconds()), "p90-ns")
			b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
			b.ReportMetric(float64(timerCost().Nanoseconds()), "timer-ns")
			b.ReportMetric(100*float64(allowed)/float64(i), "%allowed")
			b.ReportMetric(float64(s.pop.rules), "rules")
			if c.impl.name == "ours" {
				b.ReportMetric(s.buildOurs.Seconds(), "build-s")
				if s.heapMiB > 0 {
					b.ReportMetric(s.heapMiB, "heap-MiB")
				}
			} else {
				b.ReportMetric(s.buildCas.Seconds(), "build-s")
				b.ReportMetric(s.casMiB, "heap-MiB")
			}
		})
	}
}

// The benchmark's two enforcers must agree, or the comparison means nothing.
func TestBenchmarkPoliciesAgree(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the zone policy in stock Casbin")
	}
	s := getScale(t, "zone")
	for _, r := range s.reqs[:3000] {
		want, err := s.stock.Enforce(r.sub, string(r.tenant), r.obj, r.act)
		require.NoError(t, err)
		require.Equal(t, want, s.ours.Allowed(r.sub, r.tenant, r.obj, r.act), "%+v", r)
	}
}

func BenchmarkScope(b *testing.B) {
	for _, name := range []string{"zone", "province"} {
		b.Run(name, func(b *testing.B) {
			s := getScale(b, name)
			i := 0
			for b.Loop() {
				r := s.reqs[i&(len(s.reqs)-1)]
				s.ours.Scope(r.sub, r.obj, r.act)
				i++
			}
		})
	}
}

// BenchmarkPropagation measures how long a change written by one replica takes to be
// enforced by another (separate client, same etcd): from the start of authz.Grant on A until B
// allows the request. Run with -benchtime=200x for 200 changes.
func BenchmarkPropagation(b *testing.B) {
	etcd := testenv.StartEtcd(b)
	a := newEnforcer(b, etcd.Client())
	replica := newEnforcer(b, etcd.Client())
	ctx := context.Background()
	if _, err := a.Seed(ctx, authz.DefaultRoles()); err != nil {
		b.Fatal(err)
	}
	var ds []time.Duration
	i := 0
	for b.Loop() {
		u := fmt.Sprintf("u:prop-%d", i)
		i++
		errc := make(chan error, 1)
		start := time.Now()
		go func() { errc <- a.Grant(ctx, u, "window_clerk", "ahz.s01.c07") }()
		for !replica.Allowed(u, "ahz.s01.c07", "matters.applications", "create") {
			if time.Since(start) > 10*time.Second {
				b.Fatal("change not seen within 10s")
			}
			runtime.Gosched()
		}
		ds = append(ds, time.Since(start))
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[len(ds)*99/100]), "p99-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), "max-ms")
}

// BenchmarkReloadProvince measures what a replica pays to load the province policy from
// etcd (at start and after a watch gap): 1,000,000 grants through the adapter into an
// embedded etcd, then New. Run it alone with -benchtime=1x; writing the policy takes
// minutes.
func BenchmarkReloadProvince(b *testing.B) {
	etcd := testenv.StartEtcd(b)
	ctx := context.Background()
	adapter := authz.NewAdapter(etcd.Client(), testPrefix)
	pop := newPopulation(provinceTenants(15000))
	batch := map[string][][]string{}
	flush := func() {
		for ptype, lines := range batch {
			if err := adapter.AddPoliciesCtx(ctx, ptype, ptype, lines); err != nil {
				b.Fatal(err)
			}
		}
		clear(batch)
	}
	n, start := 0, time.Now()
	pop.generate(rand.New(rand.NewPCG(1, 2)), 800_000, 1_000_000, func(l []string) {
		batch[l[0]] = append(batch[l[0]], l[1:])
		if n++; n%10_000 == 0 {
			flush()
		}
	})
	flush()
	b.Logf("wrote %d rules to etcd in %s", n, time.Since(start).Round(time.Second))
	var size int
	var heap float64
	for b.Loop() {
		before := heapAlloc()
		e, err := authz.New(ctx, etcd.Client(), testPrefix)
		if err != nil {
			b.Fatal(err)
		}
		size = authz.Size(e)
		heap = float64(heapAlloc()-before) / (1 << 20)
		_ = e.Close()
	}
	b.ReportMetric(float64(size), "rules")
	b.ReportMetric(heap, "heap-MiB")
}
