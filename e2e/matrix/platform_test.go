package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
	identityv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/identity/v1"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
	"github.com/gaoxing-gov/gaoxing/services/documents"
	"github.com/gaoxing-gov/gaoxing/services/identity"
	"github.com/gaoxing-gov/gaoxing/services/legalaid"
	"github.com/gaoxing-gov/gaoxing/services/matters"
	"github.com/gaoxing-gov/gaoxing/services/stewardship"
	"github.com/gaoxing-gov/gaoxing/services/tickets"
)

// The tenants of the relations, all in the seed's 1+2+29 tree but the unknown one.
const (
	home     tenancy.ID = "ahz.s01.c01" // where the callers are granted
	siblingT tenancy.ID = "ahz.s01.c02"
	parentT  tenancy.ID = "ahz.s01" // also where the callers of the child relation are granted
	unknownT tenancy.ID = "ahz.s01.c99x"
	citizenB            = "m-citizen-b" // another person at home: owns the "other" records
	// enterpriseOrg is the credit code the enterprise callers' tokens carry (org claim).
	enterpriseOrg = "91210300MA0XY10015"
)

// platform is every service running in-process, as the launcher runs them, with a test
// token issuer instead of identity's OpenID Provider so that each role's token is one
// call away.
type platform struct {
	env  *apptest.Env
	urls map[string]string // service → http://host:port/api/<service>
	http *http.Client
	// principals[role][tenant] is the token of the role's caller granted at tenant.
	tokens map[string]map[tenancy.ID]string
	fx     fixtures
}

// startPlatform runs identity (which seeds the tenant tree and the roles), then
// documents, matters, tickets, legalaid and stewardship with their peers (documents for
// all; stewardship for matters' 免申即享; matters, tickets and legalaid for stewardship's
// 360° view), and waits for each.
func startPlatform(t *testing.T) *platform {
	t.Helper()
	base := apptest.New(t, "")
	m := testenv.StartMinIO(t)
	p := &platform{env: base, urls: map[string]string{}, tokens: map[string]map[tenancy.ID]string{},
		http: &http.Client{Timeout: 30 * time.Second}}
	envs := map[string]*apptest.Env{"identity": base}
	peered := []string{"documents", "matters", "tickets", "legalaid", "stewardship"}
	for _, name := range peered {
		envs[name] = peerEnv(t, base)
	}
	envs["documents"].MinIO = m.Config()
	addr := func(name string) string { return envs[name].GRPC.Addr().String() }
	envs["matters"].Peers = map[string]string{"documents": addr("documents"), "stewardship": addr("stewardship")}
	envs["tickets"].Peers = map[string]string{"documents": addr("documents")}
	envs["legalaid"].Peers = map[string]string{"documents": addr("documents")}
	// Documents asks legalaid who reaches a case before it shows a confidential case file.
	envs["documents"].Peers = map[string]string{"legalaid": addr("legalaid")}
	envs["stewardship"].Peers = map[string]string{"documents": addr("documents"), "matters": addr("matters"), "tickets": addr("tickets"),
		"legalaid": addr("legalaid")}
	done := map[string]<-chan error{}
	start := func(name string, svc app.Service) {
		done[name] = envs[name].Launch(t, svc)
		p.urls[name] = envs[name].URL + "/api/" + name
	}
	// No OpenID Provider: tokens come from the test issuer every service trusts.
	start("identity", &identity.Server{AdminPassword: "Root-Secret-2026"})
	p.waitReady(t, envs["identity"].URL, done["identity"])
	start("documents", documents.New())
	start("matters", matters.New())
	start("tickets", tickets.New())
	start("legalaid", legalaid.New())
	// Every cell of the public opportunity reads comes from this one address.
	start("stewardship", stewardship.New(stewardship.WithPublicRate(1000, 1000)))
	for _, name := range peered {
		p.waitReady(t, envs[name].URL, done[name])
	}
	return p
}

// peerEnv is another service's environment beside base: same etcd and issuer, its own
// loopback listeners and data directory.
func peerEnv(t *testing.T, base *apptest.Env) *apptest.Env {
	t.Helper()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return &apptest.Env{
		Env:        app.Env{GRPC: grpcLis, HTTP: httpLis, Etcd: base.Etcd, DataDir: t.TempDir(), Auth: base.Auth},
		EtcdServer: base.EtcdServer, Issuer: base.Issuer, Enforcer: base.Enforcer,
		URL: "http://" + httpLis.Addr().String(),
	}
}

// waitReady waits until the service at url is ready, or fails at once if it stopped.
func (p *platform) waitReady(t *testing.T, url string, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	require.NoError(t, infra.Poll(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		select {
		case err := <-done:
			t.Fatalf("%s stopped while starting: %v", url, err)
		default:
		}
		return infra.CheckHTTP(ctx, url+"/readyz")
	}))
}

// kindOf is the kind of account a role's holder has.
func kindOf(role string) authn.Kind {
	switch role {
	case "citizen":
		return authn.Citizen
	case "enterprise":
		return authn.Enterprise // its token carries enterpriseOrg (grantAll)
	case "court_clerk":
		return authn.Service // a court's system, by client credentials
	}
	return authn.Staff
}

// subject is the caller holding role at tenant.
func subject(role string, at tenancy.ID) string {
	return "m-" + strings.ReplaceAll(role, "_", "-") + "-" + strings.ReplaceAll(string(at), ".", "-")
}

// grantAll gives every role of the default set to a caller at home and one at the
// parent, plus the owners and filers the fixtures need, and waits until every service
// sees the last grant.
func (p *platform) grantAll(t *testing.T, roles []authz.Role) {
	t.Helper()
	for _, r := range roles {
		p.tokens[r.Name] = map[tenancy.ID]string{}
		for _, at := range []tenancy.ID{home, parentT} {
			if r.Name == "enterprise" {
				p.tokens[r.Name][at] = p.env.GrantEnterprise(t, subject(r.Name, at), r.Name, at, enterpriseOrg)
				continue
			}
			p.tokens[r.Name][at] = p.env.Grant(t, subject(r.Name, at), r.Name, at, kindOf(r.Name))
		}
	}
	p.tokens["citizen-b"] = map[tenancy.ID]string{home: p.env.Grant(t, citizenB, "citizen", home, authn.Citizen)}
	// The filers of the sibling's and the parent's records.
	last := ""
	for _, at := range []tenancy.ID{siblingT, parentT, home} {
		sub := subject("filer", at)
		p.tokens["filer"+string(at)] = map[tenancy.ID]string{at: p.env.Grant(t, sub, "platform_admin", at, authn.Staff)}
		last = p.tokens["filer"+string(at)][at]
	}
	// Grants reach each service through its etcd watch, in order: once the last is seen,
	// all are.
	for svc, path := range map[string]string{
		"identity": "/v1/tenants/" + string(home) + "/users", "documents": "/v1/tenants/" + string(home) + "/documents",
		"matters": "/v1/tenants/" + string(home) + "/applications", "tickets": "/v1/tenants/" + string(home) + "/tickets",
		"legalaid":    "/v1/policy",
		"stewardship": "/v1/tenants/" + string(home) + "/enterprises",
	} {
		require.Eventually(t, func() bool {
			st, _ := p.do(t, http.MethodGet, p.urls[svc]+path, last, nil)
			return st == http.StatusOK
		}, 20*time.Second, 20*time.Millisecond, svc)
	}
}

// do sends one request and returns the status and the body.
func (p *platform) do(t testing.TB, method, url, token string, body []byte) (int, []byte) {
	t.Helper()
	var in io.Reader
	if body != nil {
		in = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, in)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := p.http.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// create posts msg as token to url, requires success and decodes the answer into out.
func (p *platform) create(t *testing.T, url, token string, msg proto.Message, out proto.Message) {
	t.Helper()
	b, err := protojson.Marshal(msg)
	require.NoError(t, err)
	st, body := p.do(t, http.MethodPost, url, token, b)
	require.True(t, st/100 == 2, "POST %s: %d %s", url, st, body)
	require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, out), string(body))
}

// fixtures are the records the cells address, by kind ("documents", "applications", …)
// and then by holder: an applicant role's own record at home ("own:citizen"), a record
// filed at home by staff ("staff"), citizen B's at home ("other"), and one each in the
// sibling and the parent ("sibling", "parent").
type fixtures map[string]map[string]string

func (f fixtures) put(kind, holder, name string) {
	if f[kind] == nil {
		f[kind] = map[string]string{}
	}
	f[kind][holder] = name
}

// filer is whose token files a fixture for holder, and where.
type filer struct {
	holder string
	token  string
	at     tenancy.ID
}

// seed files every fixture through the public API, as the people would.
func (p *platform) seed(t *testing.T) {
	t.Helper()
	p.fx = fixtures{}
	admin := func(at tenancy.ID) string { return p.tokens["filer"+string(at)][at] }
	filers := []filer{
		{"own:citizen", p.tokens["citizen"][home], home},
		{"own:enterprise", p.tokens["enterprise"][home], home},
		{"own:agent", p.tokens["agent"][home], home},
		{"staff", p.tokens["window_clerk"][home], home},
		{"other", p.tokens["citizen-b"][home], home},
		{"sibling", admin(siblingT), siblingT},
		{"parent", admin(parentT), parentT},
	}

	// Legal aid is the district's in the seeded tree; the relations' tenants get it too, so
	// that its cells meet the access rules rather than SERVICE_NOT_ENABLED (and keep the
	// stewardship they have).
	for _, at := range []tenancy.ID{home, siblingT, parentT} {
		var out identityv1.Tenant
		p.create(t, p.urls["identity"]+"/v1/tenants/"+string(at)+":setServices", admin(parentT), &identityv1.SetTenantServicesRequest{
			Name: "tenants/" + string(at), Services: []string{"matters", "tickets", "documents", "legalaid", "stewardship"}}, &out)
	}
	require.Eventually(t, func() bool {
		for _, at := range []tenancy.ID{home, siblingT, parentT} {
			st, _ := p.do(t, http.MethodGet, p.urls["legalaid"]+"/v1/tenants/"+string(at)+"/cases", admin(at), nil)
			if st != http.StatusOK {
				return false
			}
		}
		return true
	}, 20*time.Second, 20*time.Millisecond, "legalaid enabled")

	// Matters the applications and bundles need, offered at every tenant with records.
	for _, at := range []tenancy.ID{home, siblingT, parentT} {
		for _, code := range []string{"LHJYDJ", "CSYXZM", "XSEHK", "CXJMYB"} {
			var out mattersv1.Enablement
			p.create(t, p.urls["matters"]+"/v1/tenants/"+string(at)+"/enablements", admin(at),
				&mattersv1.EnableMatterRequest{Parent: "tenants/" + string(at), Matter: "matters/" + code}, &out)
		}
		var pol mattersv1.Policy
		p.create(t, p.urls["matters"]+"/v1/tenants/"+string(at)+"/policies", admin(at), &mattersv1.UpdatePolicyRequest{
			Parent: "tenants/" + string(at),
			Policy: &mattersv1.Policy{Code: "WJ", Title: "稳岗奖励", Benefit: "奖励", Rule: &mattersv1.Rule{Kind: &mattersv1.Rule_Condition{
				Condition: &mattersv1.Condition{Attribute: "industry", Operator: mattersv1.Operator_OPERATOR_EQ, Value: "制造业"}}}},
		}, &pol)
		holder := map[tenancy.ID]string{home: "staff", siblingT: "sibling", parentT: "parent"}[at]
		p.fx.put("policies", holder, pol.GetName())
		p.fx.put("policies", "other", p.fx["policies"]["staff"])
	}

	for i, f := range filers {
		tenant := "tenants/" + string(f.at)
		// documents: one uploaded document and one upload begun but not finished.
		{
			q := url.Values{"filename": {"m.pdf"}, "owner": {tenant + "/intakes/window"}}
			st, body := p.do(t, http.MethodPost, p.urls["documents"]+"/v1/"+tenant+"/documents:upload?"+q.Encode(), f.token,
				[]byte("%PDF-1.7\n% matrix "+f.holder+"\n%%EOF\n"))
			require.Equal(t, http.StatusCreated, st, "%s: %s", f.holder, body)
			var d documentsv1.Document
			require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &d))
			p.fx.put("documents", f.holder, d.GetName())
			var u documentsv1.Upload
			p.create(t, p.urls["documents"]+"/v1/"+tenant+"/uploads", f.token, &documentsv1.CreateUploadRequest{
				Parent: tenant, Filename: "m.pdf", Owner: tenant + "/intakes/window", SizeBytes: 10,
			}, &u)
			p.fx.put("uploads", f.holder, u.GetName())
		}

		// matters: an application and a bundle application.
		var a mattersv1.Application
		channel := mattersv1.Channel_CHANNEL_ONLINE
		if f.holder == "staff" || f.at != home {
			channel = mattersv1.Channel_CHANNEL_WINDOW
		}
		// The gateway's body is the application itself.
		p.create(t, p.urls["matters"]+"/v1/"+tenant+"/applications", f.token, &mattersv1.Application{
			Matter: "matters/LHJYDJ", Channel: channel,
			Applicant: &mattersv1.Applicant{Name: "申请人" + f.holder, Subject: subjectOf(f.holder)},
		}, &a)
		p.fx.put("applications", f.holder, a.GetName())
		var ba mattersv1.BundleApplication
		p.create(t, p.urls["matters"]+"/v1/"+tenant+"/bundleApplications", f.token, &mattersv1.SubmitBundleRequest{
			Parent: tenant, Bundle: "bundles/XSECS", Channel: mattersv1.Channel_CHANNEL_MOBILE,
			Applicant: &mattersv1.Applicant{Name: "周九", Subject: subjectOf(f.holder)},
			Form:      map[string]string{"baby_name": "周小九", "birth_date": "2025-09-20", "mother_name": "吴十", "hukou_address": "高新区示例社区 3 栋"},
		}, &ba)
		p.fx.put("bundleApplications", f.holder, ba.GetName())

		// tickets: a complaint (agents file none: they hold no tickets permission).
		if f.holder != "own:agent" {
			var tk ticketsv1.Ticket
			p.create(t, p.urls["tickets"]+"/v1/"+tenant+"/tickets", f.token, &ticketsv1.Ticket{
				Category: "general", // the source is the caller's: walk-in for staff, online for applicants
				Title:    "夜间施工噪声扰民", Description: "小区旁工地夜间施工，噪声很大。",
				Complainant: &ticketsv1.Complainant{Name: "投诉人", Phone: "13800000000"},
			}, &tk)
			p.fx.put("tickets", f.holder, tk.GetName())
		}

		// legalaid: a case — the enterprise's own, the coordinator's ("staff"), and one filed
		// by an administrator for the other relations.
		if f.holder != "own:citizen" && f.holder != "own:agent" {
			tok := f.token
			switch f.holder {
			case "staff":
				tok = p.tokens["legal_coordinator"][home]
			case "other":
				tok = admin(home)
			}
			var c legalaidv1.Case
			p.create(t, p.urls["legalaid"]+"/v1/"+tenant+"/cases", tok, &legalaidv1.Case{
				CaseType: legalaidv1.CaseType_CASE_TYPE_COMMERCIAL, Claims: "货款纠纷", ClaimAmount: "1000.00",
				Applicant: &legalaidv1.Party{Name: "矩阵企业" + f.holder, CreditCode: enterpriseOrg},
			}, &c)
			p.fx.put("cases", f.holder, c.GetName())
		}

		// stewardship: an enterprise of the register with a problem raised and a programme
		// enrolment, a debt of the ledger, a published opportunity item and a suggestion
		// (staff records: administrators file them).
		if !strings.HasPrefix(f.holder, "own:") {
			p.seedStewardship(t, i, f.holder, f.at, admin(f.at))
		}

		// identity: an account and a machine client (staff records: administrators file them).
		if !strings.HasPrefix(f.holder, "own:") {
			tok := admin(f.at)
			if f.holder == "other" || f.holder == "staff" {
				tok = admin(home)
			}
			var u identityv1.User
			p.create(t, p.urls["identity"]+"/v1/"+tenant+"/users", tok, &identityv1.CreateUserRequest{
				Parent: tenant, Password: "Matrix-User-2026",
				User: &identityv1.User{Username: fmt.Sprintf("matrix-%d", i), DisplayName: "矩阵" + f.holder, Kind: "staff"},
			}, &u)
			p.fx.put("users", f.holder, u.GetName())
			var c identityv1.RegisterClientResponse
			p.create(t, p.urls["identity"]+"/v1/"+tenant+"/clients", tok, &identityv1.RegisterClientRequest{
				Parent: tenant, ClientId: fmt.Sprintf("matrix-%d", i),
				Client: &identityv1.OAuthClient{DisplayName: "矩阵" + f.holder, Scopes: []string{"cases.read"}},
			}, &c)
			p.fx.put("clients", f.holder, c.GetClient().GetName())
		}
	}
	b, _ := json.MarshalIndent(p.fx, "", "  ")
	t.Logf("fixtures:\n%s", b)
}

// seedStewardship files holder's stewardship records in at as token: an enterprise
// numbered i, a problem raised about it, a debt owed to it, a published opportunity.
func (p *platform) seedStewardship(t *testing.T, i int, holder string, at tenancy.ID, token string) {
	t.Helper()
	tenant := "tenants/" + string(at)
	first := fmt.Sprintf("91510100MA%07d", 8000000+i)
	check, ok := govid.CreditCodeCheck(first)
	require.True(t, ok)
	cc := first + string(check)
	var imp stewardshipv1.ImportEnterprisesResponse
	p.create(t, p.urls["stewardship"]+"/v1/"+tenant+"/enterprises:import", token, &stewardshipv1.ImportEnterprisesRequest{
		Parent: tenant, Enterprises: []*stewardshipv1.Enterprise{{CreditCode: cc, EnterpriseName: "矩阵企业" + holder, Industry: "制造业"}},
	}, &imp)
	enterprise := tenant + "/enterprises/" + cc
	p.fx.put("enterprises", holder, enterprise)
	var pr stewardshipv1.Problem
	p.create(t, p.urls["stewardship"]+"/v1/"+enterprise+"/problems", token, &stewardshipv1.Problem{
		Category: "enterprise", Title: "用地手续", Description: "二期用地手续办理慢", OwnerDepartment: "自然资源和住建办",
	}, &pr)
	p.fx.put("problems", holder, pr.GetName())
	no := fmt.Sprintf("QK-2020-%04d", 100+i)
	var dr stewardshipv1.ImportDebtsResponse
	p.create(t, p.urls["stewardship"]+"/v1/"+tenant+"/debts:import", token, &stewardshipv1.ImportDebtsRequest{Parent: tenant, Debts: []*stewardshipv1.Debt{{
		LedgerNo: no, CreditorCreditCode: cc, CreditorName: "矩阵企业" + holder, DebtorDepartment: "财政金融办", Amount: "1000.00",
		Since: "2020-01-01", Subject: "工程款", Class: stewardshipv1.DebtClass_DEBT_CLASS_SWEEP,
	}}}, &dr)
	p.fx.put("debts", holder, tenant+"/debts/"+no)
	var o stewardshipv1.Opportunity
	p.create(t, p.urls["stewardship"]+"/v1/"+tenant+"/opportunities", token, &stewardshipv1.Opportunity{
		Theme: "科技创新", Period: "2026-Q4", Title: "场景开放", Description: "开放中试线", Department: "科技经济发展办",
	}, &o)
	p.create(t, p.urls["stewardship"]+"/v1/"+o.GetName()+":publish", token, &stewardshipv1.PublishOpportunityRequest{}, &o)
	p.fx.put("opportunities", holder, o.GetName())
	var en stewardshipv1.Enrolment
	p.create(t, p.urls["stewardship"]+"/v1/"+enterprise+"/enrolments", token, &stewardshipv1.Enrolment{
		Programme: "倍增计划", Baseline: "1000000", Target: "2000000",
	}, &en)
	p.fx.put("enrolments", holder, en.GetName())
	var sg stewardshipv1.Suggestion
	p.create(t, p.urls["stewardship"]+"/v1/"+tenant+"/suggestions", token, &stewardshipv1.Suggestion{
		Title: "园区用工共享", Content: "淡旺季共享技术工人",
	}, &sg)
	p.fx.put("suggestions", holder, sg.GetName())
}

// subjectOf is the account a fixture is filed for.
func subjectOf(holder string) string {
	switch holder {
	case "own:citizen":
		return subject("citizen", home)
	case "own:enterprise":
		return subject("enterprise", home)
	case "other":
		return citizenB
	}
	return ""
}
