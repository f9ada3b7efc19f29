package tickets

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/leader"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// districtRelease is what a street or community release borrows from the district's release:
// its etcd (reached through a proxy that can cut the connections) and its identity's key
// set (served through a handler that can drop every request). Cutting both is the
// district's release being down while the tier keeps running.
type districtRelease struct {
	proxy *testenv.CutProxy
	keys  *httptest.Server
	down  atomic.Bool
	// dropped counts key-set requests dropped while the district was down.
	dropped atomic.Int64
}

// overDistrict runs the service as a tier release: its etcd client and its JWKS URL go
// through d. The harness's own writes (grants, settings) keep the direct client, as the
// district's administrators would.
func overDistrict(d *districtRelease) harnessOption {
	return func(t testing.TB, env *apptest.Env, _ *harness) {
		d.proxy = env.EtcdServer.CutProxy(t)
		env.Etcd = d.proxy.Client(t)
		upstream := env.Issuer.JWKSURL()
		d.keys = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if d.down.Load() {
				d.dropped.Add(1)
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					_ = conn.Close() // unreachable: no answer at all
				}
				return
			}
			resp, err := http.Get(upstream)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer func() { _ = resp.Body.Close() }()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
		}))
		t.Cleanup(d.keys.Close)
		env.Auth.JWKSURL = d.keys.URL
	}
}

func (d *districtRelease) cut() {
	d.down.Store(true)
	d.proxy.Cut()
}

func (d *districtRelease) restore() {
	d.proxy.Restore()
	d.down.Store(false)
}

// TestTierOutage: a tier's tickets service keeps working on last-known state while the
// district's release is down (its etcd unreachable, its key set unreachable), for longer
// than a leader's lease: people's valid tokens are accepted, reads and writes are
// authorized from the cached policy and tenant tree, settings keep their values, /readyz
// stays 200, a token revoked before the outage stays refused, and the process does not
// exit; a token signed by a key rotated to meanwhile is told to retry (503), never that
// it is invalid; a replica started meanwhile waits, not ready. Once the district is back,
// the policy, tenant and revocation changes made meanwhile reach it, the rotated key is
// fetched, the waiting replica serves, and the leader-elected loops lead again.
func TestTierOutage(t *testing.T) {
	d := &districtRelease{}
	h := startHarness(t, "", withSettings(routingSettings), overDistrict(d))
	direct := h.env.EtcdServer.Client()
	ctx := t.Context()
	const (
		alice   = "u-alice"   // citizen of community ahz.s01.c01
		gone    = "u-gone"    // citizen whose tokens were revoked before the outage
		later   = "u-later"   // handler at c01 whose tokens are revoked during the outage
		newcome = "u-newcome" // handler at c02 granted during the outage
		added   = tenancy.ID("ahz.s01.c77")
	)
	h.tokens[alice] = h.env.Grant(t, alice, "citizen", "ahz.s01.c01", authn.Citizen)
	h.tokens[gone] = h.env.Grant(t, gone, "citizen", "ahz.s01.c01", authn.Citizen)
	h.tokens[later] = h.env.Grant(t, later, "ticket_handler", "ahz.s01.c01", authn.Staff)
	require.Eventually(t, func() bool { return len(h.srv.svc.settings.Get().Routing.Areas) == 5 }, 10*time.Second, 20*time.Millisecond)
	for _, sub := range []string{alice, gone, later} {
		require.Eventually(t, func() bool {
			code, _ := h.get(sub, "/v1/tenants/ahz.s01.c01/tickets")
			return code == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond, sub)
	}
	require.NoError(t, authn.RevokeSubject(ctx, direct, gone, nextSecond(), time.Hour))
	require.Eventually(t, func() bool {
		code, body := h.get(gone, "/v1/tenants/ahz.s01.c01/tickets")
		return code == http.StatusUnauthorized && apptest.StableCode(body) == "TOKEN_REVOKED"
	}, 10*time.Second, 20*time.Millisecond)
	// The SLA sweep has a leader before the outage.
	sweep := leader.DefaultPrefix + Name + "-sla/"
	require.Eventually(t, func() bool { return candidates(t, direct, sweep) > 0 }, 20*time.Second, 50*time.Millisecond)

	d.cut()
	t.Cleanup(d.restore) // so the service stops cleanly if an assertion fails meanwhile

	// While the district is away, its administrators go on: a grant, a new community, a
	// revocation, and a rotated signing key, none of which the tier can see yet.
	require.NoError(t, h.env.Enforcer.Grant(ctx, newcome, "ticket_handler", "ahz.s01.c02"))
	h.tokens[newcome] = h.env.Issuer.Token(authn.Principal{Subject: newcome, Tenant: "ahz.s01.c02", Kind: authn.Staff})
	tree, err := tenancy.OpenTree(ctx, direct, tenancy.DefaultTreePrefix)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tree.Close() })
	require.NoError(t, tree.Put(ctx, tenancy.Tenant{ID: added, Name: "新建社区", Tier: tenancy.Community, Services: []string{Name}, Enabled: true}))
	require.NoError(t, authn.RevokeSubject(ctx, direct, later, nextSecond(), time.Hour))

	// Hold the outage past the leader's lease: etcd expires the sweep's candidacy, which
	// the tier cannot renew.
	require.Eventually(t, func() bool { return candidates(t, direct, sweep) == 0 }, 30*time.Second, 100*time.Millisecond)

	// A token minted now, never seen by the tier, verifies against its cached key set.
	h.tokens[alice] = h.env.Issuer.Token(authn.Principal{Subject: alice, Tenant: "ahz.s01.c01", Kind: authn.Citizen})

	during := func(t *testing.T, round string) {
		t.Helper()
		code, body := apptest.Get(t, h.env.URL+"/readyz", "")
		require.Equal(t, http.StatusOK, code, "the pod stays in its Service: %s", body)

		// Settings keep their last-known values: the routing rules came from etcd.
		in := hotlineTicket("outage-" + round)
		in.AreaCode = "330106001001007"
		code, body = h.post(hotline, "/v1/tenants/ahz/tickets", in)
		require.Equal(t, http.StatusOK, code, string(body))
		var routed ticketsv1.Ticket
		require.NoError(t, protojson.Unmarshal(body, &routed))
		require.Equal(t, "ahz.s01.c01", routed.GetAssigneeTenant(), "routed by the cached settings")

		// A citizen files and lists its own.
		code, body = h.post(alice, "/v1/tenants/ahz.s01.c01/tickets", &ticketsv1.Ticket{
			Source: ticketsv1.Source_SOURCE_ONLINE, Category: "general", Title: "路灯不亮", Description: "小区东门路灯连续三晚不亮",
			Address: "示例社区东门", Complainant: &ticketsv1.Complainant{Name: "王五", Phone: "13900000005"}})
		require.Equal(t, http.StatusOK, code, string(body))
		var filed ticketsv1.Ticket
		require.NoError(t, protojson.Unmarshal(body, &filed))
		mine := listNames(t, h, alice, "tenants/ahz.s01.c01")
		require.Contains(t, mine, filed.GetName())
		require.NotContains(t, mine, routed.GetName(), "only its own")

		// The community's handler reads its queue and claims the routed ticket.
		require.Contains(t, listNames(t, h, community, "tenants/ahz.s01.c01"), routed.GetName())
		code, body = h.post(community, "/v1/"+routed.GetName()+":claim", &ticketsv1.ClaimTicketRequest{Etag: routed.GetEtag()})
		require.Equal(t, http.StatusOK, code, string(body))
		// ...and is still refused another community's (the cached policy decides).
		code, body = h.get(community, "/v1/tenants/ahz.s01.c02/tickets")
		require.Equal(t, http.StatusForbidden, code, string(body))

		// A token revoked before the outage stays refused.
		code, body = h.get(gone, "/v1/tenants/ahz.s01.c01/tickets")
		require.Equal(t, http.StatusUnauthorized, code, string(body))
		require.Equal(t, "TOKEN_REVOKED", apptest.StableCode(body))

		// What changed at the district meanwhile is not known here yet.
		code, _ = h.get(later, "/v1/tenants/ahz.s01.c01/tickets")
		require.Equal(t, http.StatusOK, code, "revoked during the outage: not seen yet")
		code, _ = h.get(newcome, "/v1/tenants/ahz.s01.c02/tickets")
		require.Equal(t, http.StatusForbidden, code, "granted during the outage: not seen yet")
		code, _ = h.get(center, "/v1/tenants/"+string(added)+"/tickets")
		require.NotEqual(t, http.StatusOK, code, "created during the outage: not seen yet")
	}
	during(t, "1")

	// A key the district rotated to meanwhile cannot be fetched: tokens it signs wait.
	h.env.Issuer.Rotate()
	h.tokens["u-rotated"] = h.env.Issuer.Token(authn.Principal{Subject: center, Tenant: district, Kind: authn.Staff})
	// Asked again (no new fetch within the refetch interval), the answer is still "retry",
	// never "your token is bad", which would sign the caller out.
	var code int
	var body []byte
	for range 2 {
		code, body = h.get("u-rotated", "/v1/tenants/ahz/tickets")
		require.Equal(t, http.StatusServiceUnavailable, code, string(body))
		require.Equal(t, "AUTH_KEYS_UNAVAILABLE", apptest.StableCode(body))
	}
	require.Positive(t, d.dropped.Load(), "the key set was asked for and could not be reached")
	// Signed by the key the tier already holds, the earlier tokens still verify.
	during(t, "2")

	// A replica started now cannot start: it waits for the district's etcd, not ready, and
	// serves once the district is back (the known limit the chart's README states).
	replica, replicaURL := startReplica(t, h, d)
	require.Eventually(t, func() bool {
		code, body := apptest.Get(t, replicaURL+"/readyz", "")
		return code == http.StatusServiceUnavailable && strings.Contains(string(body), "etcd")
	}, 10*time.Second, 50*time.Millisecond)

	d.restore()

	select {
	case <-replica.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the replica started during the outage did not serve once the district was back")
	}
	code, body = apptest.Get(t, replicaURL+"/readyz", "")
	require.Equal(t, http.StatusOK, code, string(body))

	eventually := func(what string, ok func() bool) {
		t.Helper()
		require.Eventually(t, ok, 30*time.Second, 50*time.Millisecond, what)
	}
	eventually("the grant made during the outage", func() bool {
		code, _ := h.get(newcome, "/v1/tenants/ahz.s01.c02/tickets")
		return code == http.StatusOK
	})
	eventually("the community created during the outage", func() bool {
		code, _ := h.get(center, "/v1/tenants/"+string(added)+"/tickets")
		return code == http.StatusOK
	})
	eventually("the revocation made during the outage", func() bool {
		code, body := h.get(later, "/v1/tenants/ahz.s01.c01/tickets")
		return code == http.StatusUnauthorized && apptest.StableCode(body) == "TOKEN_REVOKED"
	})
	var refused []string // what the rotated key's token met until its key was fetched
	eventually("the key rotated during the outage", func() bool {
		code, body := h.get("u-rotated", "/v1/tenants/ahz/tickets")
		if code != http.StatusOK && apptest.StableCode(body) != "AUTH_KEYS_UNAVAILABLE" {
			refused = append(refused, string(body))
		}
		return code == http.StatusOK
	})
	require.Empty(t, refused, "told to retry until the key set was fetched again")
	eventually("the SLA sweep leads again", func() bool { return candidates(t, direct, sweep) > 0 })
	code, body = h.get(gone, "/v1/tenants/ahz.s01.c01/tickets")
	require.Equal(t, http.StatusUnauthorized, code, string(body))
	require.Equal(t, "TOKEN_REVOKED", apptest.StableCode(body))
}

// startReplica launches a second replica of the tier's service, over the district's cut
// proxy, without waiting for it to serve, and returns it with its HTTP base.
func startReplica(t *testing.T, h *harness, d *districtRelease) (*Server, string) {
	t.Helper()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	env := apptest.Env{Env: h.env.Env}
	env.GRPC, env.HTTP, env.DataDir, env.Etcd = grpcLis, httpLis, t.TempDir(), d.proxy.Client(t)
	srv := New(WithSealing(h.srv.ring))
	env.Launch(t, srv)
	return srv, "http://" + httpLis.Addr().String()
}

// nextSecond is a revocation time later than the iat (whole seconds) of every token
// minted so far.
func nextSecond() time.Time { return time.Now().Truncate(time.Second).Add(time.Second) }

// candidates counts the candidates of the election under prefix.
func candidates(t *testing.T, c *clientv3.Client, prefix string) int64 {
	t.Helper()
	resp, err := c.Get(t.Context(), prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	return resp.Count
}
