package kit

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/health"
)

// Rule is what calling one method takes, as its contract declares it (the method option
// gaoxing.common.v1.rule): permission to do Action on Object at the tenant the request
// names (TenantOf). pkg/authz enforces it; the kit only carries it from the contract.
type Rule struct {
	Object string // "tickets.tickets"
	Action string // one of authz.Actions
	// PlatformWide marks a method whose request names no tenant (a list across tenants,
	// the catalogue). It is allowed when the subject may do Action on Object somewhere;
	// the method must then filter its rows with authz.Enforcer.Scope.
	PlatformWide bool
	// Public marks a method anyone may call, signed in or not (public catalogue reads).
	Public bool
	// Applicants is what applicant callers (citizens, enterprises, agents) may do with the
	// method; the zero value keeps it to staff.
	Applicants Applicants
}

// Applicants is a method's owner scope for applicant callers (the contract's
// gaoxing.common.v1.Applicants): pkg/authz enforces it.
type Applicants int32

// The owner scopes, numbered as in the contract.
const (
	StaffOnly      Applicants = 0 // APPLICANTS_UNSPECIFIED: applicant permission does not count
	ApplicantsOwn  Applicants = 1 // APPLICANTS_OWN: applicants, on their own records only
	ApplicantsFile Applicants = 2 // APPLICANTS_FILE: applicants file a record they then own
)

// Method describes one method to the middlewares, which key their behaviour on it.
type Method struct {
	Service string // short service name, e.g. "tickets"
	Name    string // method name, e.g. "CreateTicket"
	// Rule is the method's access rule from its contract; nil when it declares none.
	Rule *Rule
	// NewResponse returns an empty response message (used to replay stored results).
	NewResponse func() proto.Message
}

// FullName is "<service>.<Method>", the key used in logs, metrics and policies.
func (m Method) FullName() string { return m.Service + "." + m.Name }

// Middleware wraps one method's endpoint. It is called once per method when the method
// is registered, so per-method work (instrument lookups, policy lookups) happens then.
type Middleware func(m Method, next endpoint.Endpoint) endpoint.Endpoint

// Service is one Gaoxing service as its transports see it.
type Service struct {
	name    string
	log     *slog.Logger
	chain   []Middleware
	check   func(Rule) error
	methods map[string]*method // by gRPC method name, "/gaoxing.tickets.v1.TicketsService/GetTicket"
	bodyMB  int64
	grpc    *grpc.Server
	gateway *runtime.ServeMux
	mux     *http.ServeMux
	health  *health.Checks
	routes  []Method // plain-HTTP routes (route.go), checked against the OpenAPI document
	spec    []byte   // the OpenAPI document, once served
}

// Option configures a Service.
type Option func(*Service)

// WithMiddleware adds middlewares after the built-in ones (tracing, metrics, logging,
// recovery), in the order given: the first one given is the outermost of them.
// Authentication, tenancy, authorization and idempotency come in here.
func WithMiddleware(mw ...Middleware) Option {
	return func(s *Service) { s.chain = append(s.chain, mw...) }
}

// WithRuleCheck makes Register refuse a method whose rule check rejects (authz.CheckRule:
// a well-formed object and a known action), so a mistyped rule stops the service at
// start instead of refusing every call.
func WithRuleCheck(check func(Rule) error) Option { return func(s *Service) { s.check = check } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithBodyLimit sets the largest HTTP/JSON request body in MiB (default 1).
func WithBodyLimit(mib int64) Option { return func(s *Service) { s.bodyMB = mib } }

// New returns a service named name (lowercase, as in /api/<name>/).
func New(name string, opts ...Option) *Service {
	s := &Service{name: name, log: slog.Default(), bodyMB: 1, methods: map[string]*method{}}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("service", name)
	s.health = health.New()
	s.grpc = newGRPCServer(name)
	healthpb.RegisterHealthServer(s.grpc, s.health.GRPC(name))
	s.gateway = newGateway()
	s.mux = http.NewServeMux()
	s.mountGateway()
	return s
}

// GRPC is the service's gRPC server; Register puts the service's methods on it.
func (s *Service) GRPC() *grpc.Server { return s.grpc }

// Gateway is the service's HTTP/JSON gateway: register the generated handlers on it
// against Local.
func (s *Service) Gateway() *runtime.ServeMux { return s.gateway }

// Health is the service's readiness checks: add one per dependency.
func (s *Service) Health() *health.Checks { return s.health }

// Name is the service's short name.
func (s *Service) Name() string { return s.name }

// Logger is the service's logger.
func (s *Service) Logger() *slog.Logger { return s.log }

// wrap applies the chain: built-ins outermost so that every call, even one a later
// middleware rejects, is traced, counted and logged; then the transport's own (inner),
// then the service's middlewares.
func (s *Service) wrap(m Method, e endpoint.Endpoint, inner ...Middleware) endpoint.Endpoint {
	chain := append(append([]Middleware{tracing, s.metrics(), s.logging, recovering}, inner...), s.chain...)
	for i := len(chain) - 1; i >= 0; i-- {
		e = chain[i](m, e)
	}
	return e
}

// TenantOf returns the tenant a request addresses: the one a plain-HTTP route call
// names (HTTPCall.Tenant), or the one in a message's resource name
// ("tenants/{tenant}/...") in its parent or name field; "" when it has none.
func TenantOf(req any) string {
	var res string
	switch r := req.(type) {
	case interface{ Tenant() string }:
		return r.Tenant()
	case interface{ GetParent() string }:
		res = r.GetParent()
	case interface{ GetName() string }:
		res = r.GetName()
	}
	return tenantOfName(res)
}

// RecordOf is the one record a request addresses, for owner checks: its `name`, or its
// `parent` when that names a record rather than a tenant (the versions of a document),
// or what a route reads from the request (RecordFrom; default the {name} path variable).
// "" when the request addresses a tenant or a collection.
func RecordOf(req any) string {
	if c, ok := req.(*HTTPCall); ok {
		return c.record
	}
	if r, ok := req.(interface{ GetName() string }); ok && r.GetName() != "" {
		return r.GetName()
	}
	if r, ok := req.(interface{ GetParent() string }); ok && strings.Count(r.GetParent(), "/") >= 3 {
		return r.GetParent()
	}
	return ""
}

// tenantOfName is the tenant of a resource name "tenants/{tenant}/...".
func tenantOfName(res string) string {
	rest, ok := strings.CutPrefix(res, "tenants/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
