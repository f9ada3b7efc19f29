package stewardship

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/clock"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
	"github.com/gaoxing-gov/gaoxing/services/legalaid"
	"github.com/gaoxing-gov/gaoxing/services/matters"
	"github.com/gaoxing-gov/gaoxing/services/tickets"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Test subjects and where their roles are granted.
const (
	steward    = "u-steward"     // steward at the district: sees the whole zone
	streetStew = "u-steward-s02" // steward at street ahz.s02 only
	handler    = "u-center"      // ticket_handler at the district (dispatches tickets)
	overseer   = "u-overseer"    // supervisor at the district: reads, changes nothing
	entOwn     = "u-ent-own"     // an account of the first enterprise (enterprise role)
	entOther   = "u-ent-other"   // an account of another enterprise
	district   = "ahz"
)

// harness is one stewardship service in-process against real etcd and SQL, with the
// peers a test asks for.
type harness struct {
	t      testing.TB
	srv    *Server
	env    *apptest.Env
	clock  *clock.Fake
	client stewardshipv1.StewardshipServiceClient
	base   string // http://host:port/api/stewardship
	tokens map[string]string
	peers  map[string]*apptest.Env
}

type harnessOption func(t testing.TB, env *apptest.Env, h *harness, opts *[]Option)

// withPeers starts real matters, tickets and legal-aid services beside stewardship.
func withPeers() harnessOption {
	return func(t testing.TB, env *apptest.Env, h *harness, _ *[]Option) {
		h.peers["matters"] = env.StartPeer(t, matters.New(), nil)
		h.peers["tickets"] = env.StartPeer(t, tickets.New(), nil)
		h.peers["legalaid"] = env.StartPeer(t, legalaid.New(legalaid.WithSweepInterval(time.Hour)), nil)
	}
}

// withHungPeer makes name a peer that accepts connections and never answers: a service
// that is down in the way that costs a caller most (its deadline).
func withHungPeer(name string) harnessOption {
	return func(t testing.TB, env *apptest.Env, _ *harness, _ *[]Option) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = lis.Close() })
		go func() {
			for {
				c, err := lis.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { _ = c.Close() })
			}
		}()
		if env.Peers == nil {
			env.Peers = map[string]string{}
		}
		env.Peers[name] = lis.Addr().String()
	}
}

func withOptions(o ...Option) harnessOption {
	return func(_ testing.TB, _ *apptest.Env, _ *harness, opts *[]Option) { *opts = append(*opts, o...) }
}

func startHarness(t testing.TB, dsn string, hopts ...harnessOption) *harness {
	t.Helper()
	env := apptest.New(t, dsn)
	ring, err := sealed.ParseRing("k1="+sealed.NewKeySecret(), sealed.NewKeySecret())
	require.NoError(t, err)
	h := &harness{t: t, env: env, tokens: map[string]string{}, peers: map[string]*apptest.Env{}}
	opts := []Option{WithSealing(ring)}
	for _, o := range hopts {
		o(t, env, h, &opts)
	}
	h.srv = New(opts...)
	h.clock = clock.NewFake(time.Date(2026, time.November, 25, 10, 0, 0, 0, cst))
	h.srv.now = h.clock.Now
	env.Start(t, h.srv)
	h.client = stewardshipv1.NewStewardshipServiceClient(env.Conn)
	h.base = env.URL + "/api/stewardship"
	for _, g := range []struct {
		sub, role string
		at        tenancy.ID
	}{{steward, "steward", district}, {streetStew, "steward", "ahz.s02"}, {handler, "ticket_handler", district}, {overseer, "supervisor", district}} {
		h.tokens[g.sub] = env.Grant(t, g.sub, g.role, g.at, authn.Staff)
	}
	h.tokens[entOwn] = env.GrantEnterprise(t, entOwn, "enterprise", "ahz.s01.c01", cc(1))
	h.tokens[entOther] = env.GrantEnterprise(t, entOther, "enterprise", "ahz.s01.c01", cc(2))
	return h
}

func (h *harness) as(sub string) context.Context { return apptest.As(h.tokens[sub]) }

// cc is the test enterprise number i's credit code.
func cc(i int) string { return demoCreditCode(900000 + i) }

// ent is an enterprise to import, registered at tenant t.
func ent(i int, t tenancy.ID) *stewardshipv1.Enterprise {
	return &stewardshipv1.Enterprise{Name: enterpriseName(t, cc(i)), CreditCode: cc(i), EnterpriseName: "测试企业" + itoa(i),
		Industry: "制造业", ScaleTags: []string{"规上"}, Address: "高新区天府大道" + itoa(i) + "号", RegistrationDate: "2020-03-01",
		TaxStatus: "正常", Stage: stewardshipv1.Stage_STAGE_GROWTH, Attributes: map[string]string{"employees": "120"},
		Contacts: []*stewardshipv1.Contact{{Name: "王小明", Phone: "13912345678", Position: "总经理"}}}
}

// register imports enterprises as the district steward.
func (h *harness) register(es ...*stewardshipv1.Enterprise) *stewardshipv1.ImportEnterprisesResponse {
	h.t.Helper()
	resp, err := h.client.ImportEnterprises(h.as(steward), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/" + district, Enterprises: es})
	require.NoError(h.t, err)
	return resp
}

func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	var n int64
	require.NoError(h.t, h.srv.svc.db.QueryRow(context.Background(), q, args...).Scan(&n))
	return int(n)
}

// TestContract: every method of the contract has a valid rule and an implementation.
func TestContract(t *testing.T) {
	apptest.CheckContract(t, stewardshipv1.StewardshipService_ServiceDesc.ServiceName, (*service)(nil))
}
