package matrix

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// services are the services the matrix covers: every one the launcher runs.
var services = []string{"identity", "documents", "matters", "tickets", "legalaid", "stewardship"}

// addressing is what a method's HTTP path names.
type addressing int

const (
	scopeNone   addressing = iota // nothing in a tenant: the catalogue, the caller itself
	scopeTenant                   // a tenant (parent or name tenants/{t}, or its singleton tenants/{t}/settings), or one named in the body
	scopeRecord                   // a record in a tenant: tenants/{t}/<kind>/{id}
)

// method is one RPC with its access rule and HTTP binding.
type method struct {
	service string // "tickets"
	desc    protoreflect.MethodDescriptor
	rule    *commonv1.Rule
	verb    string // GET, POST, DELETE
	path    string // the gateway template, "/v1/{name=tenants/*/tickets/*}:close"
	body    bool
	scope   addressing
	kind    string // the record kind of scopeRecord: "tickets"
}

func (m *method) key() string { return m.service + "." + string(m.desc.Name()) }

var pathVar = regexp.MustCompile(`\{([a-z_]+)=([^}]+)\}`)

// loadMethods walks the registered descriptors of every service and binds each RPC to
// its gateway rule.
func loadMethods(t *testing.T) []*method {
	t.Helper()
	var out []*method
	for _, svc := range services {
		rules := gatewayRules(t, svc)
		var found protoreflect.ServiceDescriptor
		protoregistry.GlobalFiles.RangeFilesByPackage(protoreflect.FullName("gaoxing."+svc+".v1"), func(fd protoreflect.FileDescriptor) bool {
			if fd.Services().Len() > 0 {
				found = fd.Services().Get(0)
			}
			return true
		})
		require.NotNil(t, found, "no service in package gaoxing.%s.v1", svc)
		for i := range found.Methods().Len() {
			md := found.Methods().Get(i)
			r, ok := rules[string(md.FullName())]
			require.True(t, ok, "%s has no HTTP rule in gateway.yaml", md.FullName())
			m := &method{service: svc, desc: md, verb: r.verb, path: r.path, body: r.body != ""}
			opts := md.Options()
			require.True(t, opts != nil && proto.HasExtension(opts, commonv1.E_Rule), "%s has no rule", md.FullName())
			m.rule = proto.GetExtension(opts, commonv1.E_Rule).(*commonv1.Rule)
			m.scope = scopeNone
			if v := pathVar.FindStringSubmatch(r.path); v != nil {
				parts := strings.Split(v[2], "/")
				switch {
				case len(parts) == 2 && parts[0] == "tenants":
					m.scope = scopeTenant
				case len(parts) == 3 && parts[0] == "tenants" && parts[1] == "*":
					m.scope = scopeTenant // a tenant's singleton: tenants/{t}/settings
				case len(parts) == 4 && parts[0] == "tenants":
					m.scope, m.kind = scopeRecord, parts[2]
				}
			}
			if _, ok := tenantInBody[m.key()]; ok {
				m.scope = scopeTenant
			}
			out = append(out, m)
		}
	}
	return out
}

type httpRule struct{ verb, path, body string }

// gatewayRules reads a service's gateway.yaml: its HTTP rules by selector.
func gatewayRules(t *testing.T, svc string) map[string]httpRule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "proto", "gaoxing", svc, "v1", "gateway.yaml"))
	require.NoError(t, err)
	var doc struct {
		HTTP struct {
			Rules []struct {
				Selector, Get, Post, Delete, Patch, Put, Body string
			} `yaml:"rules"`
		} `yaml:"http"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	out := map[string]httpRule{}
	for _, r := range doc.HTTP.Rules {
		switch {
		case r.Get != "":
			out[r.Selector] = httpRule{http.MethodGet, r.Get, r.Body}
		case r.Post != "":
			out[r.Selector] = httpRule{http.MethodPost, r.Post, r.Body}
		case r.Delete != "":
			out[r.Selector] = httpRule{http.MethodDelete, r.Delete, r.Body}
		case r.Patch != "":
			out[r.Selector] = httpRule{http.MethodPatch, r.Patch, r.Body}
		case r.Put != "":
			out[r.Selector] = httpRule{http.MethodPut, r.Put, r.Body}
		}
	}
	return out
}

// catalogue names the records of the methods that address no tenant: the catalogue, the platform's calendar.
var catalogue = map[string]string{"matters/*": "matters/LHJYDJ", "bundles/*": "bundles/XSECS", "calendars/*": "calendars/2026"}

// tenantInBody are the methods that name their tenant in the body or the query rather
// than the path: the request for a relation puts its tenant there ({tenant}).
var tenantInBody = map[string]string{
	"identity.GrantRole":  `{"tenant":"{tenant}","subject":"{user}","role":"tenant_admin"}`,
	"identity.RevokeRole": `{"tenant":"{tenant}","subject":"{user}","role":"tenant_admin"}`,
	"identity.ListRoles":  `?subject={user}&tenant={tenant}`,
}

// bodies are the request bodies of the methods that need more than {} to reach their
// authorization check or to be harmless to the cells after them; {name} and {tenant}
// are the addressed record and tenant. A body that fails the method's own validation is
// as good as one that succeeds: authorization has already let it through.
var bodies = map[string]string{
	"tickets.ReplyTicket":      `{"reply":"已核实处理"}`,
	"tickets.ReturnTicket":     `{"reason":"非本单位职责"}`,
	"tickets.PauseTicket":      `{"reason":"等待现场核实"}`,
	"tickets.RequestExtension": `{"workingDays":3,"reason":"需多部门协调"}`,
	"tickets.DecideExtension":  `{"approve":false}`,
	"tickets.MarkHardCase":     `{"reason":"涉及多个部门"}`,
	"tickets.ExplainTicket":    `{"explanation":"正在协调处理"}`,
	"tickets.ClaimPart":        `{"tenant":"{tenant}"}`,
	"tickets.FinishPart":       `{"tenant":"{tenant}","result":"已完成"}`,
	// The tree must stay as seeded for the cells after these: they set what is already so
	// (every fixture tenant is an enabled street or community with these services).
	"identity.SetTenantEnabled":  `{"enabled":true}`,
	"identity.SetTenantServices": `{"services":["matters","tickets","documents","legalaid","stewardship"]}`,
}

// destructive methods run after every other method, in this order, because they take
// a record out of what the others can reach.
var destructive = []string{"matters.WithdrawApplication", "tickets.MergeTicket", "documents.DeleteDocument"}

// cell is one call of the matrix and its outcome.
type cell struct {
	m       *method
	role    authz.Role
	rel     relation
	verb    string
	url     string
	token   string
	body    []byte
	leak    string // for an applicant's list: another person's record it must not hold
	want    outcome
	reason  string
	got     outcome
	status  int
	code    string
	elapsed time.Duration
}

func (c *cell) name() string { return c.m.key() + "/" + c.role.Name + "/" + string(c.rel) }

// target is the tenant and the record a relation addresses for role.
func (p *platform) target(m *method, role string, rel relation) (tenancy.ID, string) {
	at := map[relation]tenancy.ID{own: home, other: home, sibling: siblingT, parent: parentT, child: home, unknown: unknownT}[rel]
	if m.scope != scopeRecord {
		return at, ""
	}
	byHolder := p.fx[m.kind]
	if rel == unknown {
		// A well-formed id, in a tenant that does not exist.
		other := byHolder["other"]
		return at, "tenants/" + string(unknownT) + other[strings.Index(other, "/"+m.kind+"/"):]
	}
	holder := map[relation]string{own: "own:" + role, other: "other", sibling: "sibling", parent: "parent", child: "other"}[rel]
	name, ok := byHolder[holder]
	if !ok && rel == own {
		name, ok = byHolder["staff"] // staff's own: a record filed in their tenant by staff
	}
	if !ok {
		name = byHolder["other"]
	}
	return at, name
}

// request builds the cell's HTTP request from the method's gateway rule.
func (p *platform) request(c *cell) {
	at, name := p.target(c.m, c.role.Name, c.rel)
	tenant := "tenants/" + string(at)
	path := pathVar.ReplaceAllStringFunc(c.m.path, func(v string) string {
		pattern := pathVar.FindStringSubmatch(v)[2]
		if n, ok := catalogue[pattern]; ok {
			return n
		}
		if c.m.scope == scopeRecord {
			return name
		}
		return tenant + strings.TrimPrefix(pattern, "tenants/*")
	})
	fill := func(s string) string {
		// {user} is an account in the addressed tenant (home's for the unknown one).
		user := p.fx["users"][map[relation]string{sibling: "sibling", parent: "parent"}[c.rel]]
		if user == "" {
			user = p.fx["users"]["other"]
		}
		return strings.NewReplacer("{tenant}", tenant, "{name}", name, "{user}", user).Replace(s)
	}
	body := bodies[c.m.key()]
	if tb, ok := tenantInBody[c.m.key()]; ok {
		if c.m.verb == http.MethodGet {
			path += fill(tb)
		} else {
			body = tb
		}
	}
	if c.m.body {
		if body == "" {
			body = "{}"
		}
		c.body = []byte(fill(body))
	}
	c.verb, c.url = c.m.verb, p.urls[c.m.service]+path
	caller := home
	if c.rel == child {
		caller = parentT
	}
	c.token = p.tokens[c.role.Name][caller]
	if applicantRoles[c.role.Name] && c.m.scope == scopeTenant && c.m.verb == http.MethodGet {
		listed := c.m.path[strings.LastIndex(c.m.path, "/")+1:]
		c.leak = p.fx[listed]["other"]
	}
}

// classify reads an answer's outcome class from its status and stable code.
func classify(status int, code string) outcome {
	switch {
	case status/100 == 2:
		return allowed
	case code == "ROUTE_NOT_FOUND" || code == "TENANT_REQUIRED" || code == "MALFORMED_REQUEST":
		return broken // the request was built wrong, not refused
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound:
		return denied
	case status == http.StatusBadRequest || status == http.StatusConflict || status == http.StatusPreconditionFailed ||
		status == http.StatusUnprocessableEntity:
		// The method's own validation or state check: authorization let the call through.
		return allowed
	}
	return broken
}

func (p *platform) run(c *cell) {
	start := time.Now()
	var in *strings.Reader
	if c.body != nil {
		in = strings.NewReader(string(c.body))
	}
	var req *http.Request
	var err error
	if in != nil {
		req, err = http.NewRequest(c.verb, c.url, in)
	} else {
		req, err = http.NewRequest(c.verb, c.url, nil)
	}
	if err != nil {
		c.got, c.code = broken, err.Error()
		return
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		c.got, c.code = broken, err.Error()
		return
	}
	defer func() { _ = resp.Body.Close() }()
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &e)
	c.status, c.code, c.elapsed = resp.StatusCode, e.Error.Code, time.Since(start)
	c.got = classify(c.status, c.code)
	// A list an applicant may call must hold their own records only: another person's
	// record in it is a leak, whatever the status says.
	if c.got == allowed && c.leak != "" && strings.Contains(string(raw), c.leak) {
		c.got, c.code = leaked, c.leak
	}
}

// phase orders the methods: reads first, then writes, then the destructive ones.
func phase(m *method) int {
	if i := slices.Index(destructive, m.key()); i >= 0 {
		return 2 + i
	}
	if m.verb == http.MethodGet {
		return 0
	}
	return 1
}

// TestIsolationMatrix runs every cell and fails on any outcome the table does not expect.
func TestIsolationMatrix(t *testing.T) {
	began := time.Now()
	roles := authz.DefaultRoles()
	methods := loadMethods(t)
	sort.SliceStable(methods, func(i, j int) bool { return phase(methods[i]) < phase(methods[j]) })

	p := startPlatform(t)
	p.grantAll(t, roles)
	p.seed(t)
	ready := time.Since(began)

	var cells []*cell
	for _, m := range methods {
		var batch []*cell
		for _, r := range roles {
			for _, rel := range relations {
				c := &cell{m: m, role: r, rel: rel}
				c.want, c.reason = expect(m, r, rel)
				p.request(c)
				batch = append(batch, c)
			}
		}
		// One method at a time, its cells side by side.
		var wg sync.WaitGroup
		work := make(chan *cell)
		for range 8 {
			wg.Go(func() {
				for c := range work {
					p.run(c)
				}
			})
		}
		for _, c := range batch {
			work <- c
		}
		close(work)
		wg.Wait()
		cells = append(cells, batch...)
	}

	var nAllowed, nDenied, nSurprises, nGaps int
	usedGaps := map[string]bool{}
	var newGaps []string
	for _, c := range cells {
		switch c.got {
		case allowed:
			nAllowed++
		case denied:
			nDenied++
		}
		key := c.m.key()
		gap, isGap := knownGaps[key]
		isGap = isGap && applicantRoles[c.role.Name]
		surprise := c.got != c.want
		switch {
		case surprise && isGap:
			nGaps++
			usedGaps[key] = true
		case surprise:
			nSurprises++
			newGaps = append(newGaps, fmt.Sprintf("\t{%q, %q, %s}: %q, // got %s %d %s; %s",
				c.m.key(), c.role.Name, c.rel, "", c.got, c.status, c.code, c.reason))
		}
		t.Run(c.name(), func(t *testing.T) {
			if surprise && isGap {
				t.Logf("known gap (%s): want %s (%s), got %s %d %s", gap, c.want, c.reason, c.got, c.status, c.code)
				return
			}
			if surprise {
				t.Errorf("%s %s: want %s (%s), got %s: %d %s", c.verb, c.url, c.want, c.reason, c.got, c.status, c.code)
			}
		})
	}
	var stale []string
	for k := range knownGaps {
		if !usedGaps[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("%d known gaps no longer happen; delete them from knownGaps: %s", len(stale), strings.Join(stale, ", "))
	}
	if len(newGaps) > 0 && os.Getenv("MATRIX_PRINT_SURPRISES") != "" {
		t.Logf("surprises as table entries:\n%s", strings.Join(newGaps, "\n"))
	}
	if nGaps > 0 {
		t.Logf("%d cells of %d methods are known gaps (knownGaps)", nGaps, len(knownGaps))
	}
	t.Logf("isolation matrix: %d methods × %d roles × %d relations = %d cells: %d allowed, %d denied, %d known gaps, %d surprises; platform ready in %s, total %s",
		len(methods), len(roles), len(relations), len(cells), nAllowed, nDenied, nGaps, nSurprises,
		ready.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}
