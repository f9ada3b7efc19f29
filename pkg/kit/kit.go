package kit

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
	grpctransport "github.com/go-kit/kit/transport/grpc"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/health"
)

// Method describes one method to the middlewares, which key their behaviour on it.
type Method struct {
	Service string // short service name, e.g. "tickets"
	Name    string // method name, e.g. "CreateTicket"
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
	bodyMB  int64
	grpc    *grpc.Server
	gateway *runtime.ServeMux
	mux     *http.ServeMux
	health  *health.Checks
	routes  []Method // plain-HTTP routes (route.go), checked against the OpenAPI document
}

// Option configures a Service.
type Option func(*Service)

// WithMiddleware adds middlewares after the built-in ones (tracing, metrics, logging,
// recovery), in the order given: the first one given is the outermost of them.
// Authentication, tenancy, authorization and idempotency come in here.
func WithMiddleware(mw ...Middleware) Option {
	return func(s *Service) { s.chain = append(s.chain, mw...) }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithBodyLimit sets the largest HTTP/JSON request body in MiB (default 1).
func WithBodyLimit(mib int64) Option { return func(s *Service) { s.bodyMB = mib } }

// New returns a service named name (lowercase, as in /api/<name>/).
func New(name string, opts ...Option) *Service {
	s := &Service{name: name, log: slog.Default(), bodyMB: 1}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("service", name)
	s.health = health.New()
	s.grpc = newGRPCServer()
	healthpb.RegisterHealthServer(s.grpc, s.health.GRPC(name))
	s.gateway = newGateway()
	s.mux = http.NewServeMux()
	s.mountGateway()
	return s
}

// GRPC is the service's gRPC server: register the generated service binding on it.
func (s *Service) GRPC() *grpc.Server { return s.grpc }

// Gateway is the service's HTTP/JSON gateway: register the in-process handlers on it.
func (s *Service) Gateway() *runtime.ServeMux { return s.gateway }

// Health is the service's readiness checks: add one per dependency.
func (s *Service) Health() *health.Checks { return s.health }

// Name is the service's short name.
func (s *Service) Name() string { return s.name }

// Logger is the service's logger.
func (s *Service) Logger() *slog.Logger { return s.log }

// Unary is one method made into a go-kit endpoint behind the service's chain.
type Unary[Req, Resp proto.Message] struct {
	server *grpctransport.Server
}

// Handle turns fn into a method of s. Call it once per method when wiring the service.
func Handle[Req, Resp proto.Message](s *Service, name string, fn func(context.Context, Req) (Resp, error)) Unary[Req, Resp] {
	m := Method{Service: s.name, Name: name, NewResponse: func() proto.Message {
		var zero Resp
		return zero.ProtoReflect().Type().New().Interface()
	}}
	e := func(ctx context.Context, req any) (any, error) { return fn(ctx, req.(Req)) }
	e = s.wrap(m, e)
	pass := func(_ context.Context, v any) (any, error) { return v, nil }
	return Unary[Req, Resp]{server: grpctransport.NewServer(e, pass, pass)}
}

// Call runs the method. Both the gRPC server and the in-process gateway call it, so both
// transports pass through the same chain. Errors come back as *errs.Error, which gRPC
// and the gateway turn into the same status.
func (u Unary[Req, Resp]) Call(ctx context.Context, req Req) (Resp, error) {
	_, resp, err := u.server.ServeGRPC(ctx, req)
	if err != nil {
		var zero Resp
		return zero, errs.From(err)
	}
	return resp.(Resp), nil
}

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

// tenantOfName is the tenant of a resource name "tenants/{tenant}/...".
func tenantOfName(res string) string {
	rest, ok := strings.CutPrefix(res, "tenants/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
