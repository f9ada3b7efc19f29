package kit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-kit/kit/endpoint"
	"google.golang.org/grpc/metadata"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// RouteFunc serves one call of a plain-HTTP route: a streaming upload or download, or a
// call of a protocol façade (Open311) whose shape is not ours to define. It writes its
// answer to w, or returns an error for the kit to write (unless it already began to
// answer). r's context is the chain's: it carries the span and the caller.
type RouteFunc func(w http.ResponseWriter, r *http.Request) error

// HTTPCall is what the endpoint chain carries for a plain-HTTP route instead of a request
// message, so that tracing, metrics, logging, recovery, authentication, authorization and
// idempotency see a route call as they see an RPC.
type HTTPCall struct {
	W http.ResponseWriter
	R *http.Request

	tenant string
	record string // the record addressed, for owner checks (RecordOf)
	err    error  // the request could not be read (its form); answered before authentication
}

// Tenant is the tenant the call addresses, as the route reads it from the request;
// TenantOf returns it.
func (c *HTTPCall) Tenant() string { return c.tenant }

// RouteOption configures one route.
type RouteOption func(*route)

type route struct {
	tenant   func(*http.Request) string
	record   func(*http.Request) string
	token    func(*http.Request) string
	form     int64
	writeErr func(context.Context, http.ResponseWriter, error)
	stream   time.Duration // deadline of a streaming call (Streaming); 0: the server's
}

// TenantFrom says where the route's tenant is (default: the {tenant} path variable, or
// the tenant of the resource name in {name}).
func TenantFrom(f func(*http.Request) string) RouteOption {
	return func(r *route) { r.tenant = f }
}

// RecordFrom says which record the call addresses, for owner checks (default: the {name}
// path variable): an upload adding a version names its document in a query parameter.
func RecordFrom(f func(*http.Request) string) RouteOption {
	return func(r *route) { r.record = f }
}

// TokenFrom says where the caller's access token is when the protocol puts it somewhere
// other than the Authorization header (Open311's api_key). A token it finds is
// authenticated as a bearer token; none found falls back to the header.
func TokenFrom(f func(*http.Request) string) RouteOption {
	return func(r *route) { r.token = f }
}

// ParseForm parses the query and a form body of at most limit bytes before the chain
// runs, for routes whose tenant or token are form fields. A form that cannot be read
// fails the call (413 or 400) before authentication, still traced and counted.
func ParseForm(limit int64) RouteOption {
	return func(r *route) { r.form = limit }
}

// WriteErrors sets how the route answers an error (default errs.WriteHTTP): a protocol
// façade answers in its protocol's error shape.
func WriteErrors(f func(context.Context, http.ResponseWriter, error)) RouteOption {
	return func(r *route) { r.writeErr = f }
}

// Route adds a plain-HTTP route under /api/<service>/ that runs through the same chain as
// the service's RPCs, as the method name ("UploadDocument", "Open311.GetServiceRequests"):
// its span, metrics, failure log, panic recovery, authentication and authorization rule
// are keyed on that name like any RPC's. pattern is "METHOD /path", relative to the
// service: a net/http pattern ("POST /v1/tenants/{tenant}/documents:upload"), or a
// gateway path template ("GET /v1/{name=tenants/*/documents/*}:download"), which is
// routed by the gateway beside the RPCs' own paths; either way its variables are read
// with r.PathValue. Every route must be in the OpenAPI document (see OpenAPI). Call it
// when wiring the service.
func (s *Service) Route(pattern, name string, rule Rule, h RouteFunc, opts ...RouteOption) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("kit: route %q: the pattern must be \"METHOD /path\"", pattern))
	}
	if s.check != nil {
		if err := s.check(rule); err != nil {
			panic(fmt.Sprintf("kit: route %s.%s (%q): %v", s.name, name, pattern, err))
		}
	}
	for _, r := range s.routes {
		if r.Name == name {
			panic(fmt.Sprintf("kit: route %s.%s (%q): the method is already a route", s.name, name, pattern))
		}
	}
	rt := route{tenant: pathTenant, record: func(r *http.Request) string { return r.PathValue("name") }, writeErr: errs.WriteHTTP}
	for _, o := range opts {
		o(&rt)
	}
	m := Method{Service: s.name, Name: name, Rule: &rule}
	s.checkDocumented(m)
	s.routes = append(s.routes, m)
	e := s.wrap(m, func(ctx context.Context, req any) (any, error) {
		c := req.(*HTTPCall)
		return nil, h(c.W, c.R.WithContext(ctx))
	}, unreadable)
	serve := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.stream > 0 {
			extendDeadlines(w, rt.stream)
		}
		rw := &answer{ResponseWriter: w}
		c := &HTTPCall{W: rw, R: r}
		if rt.form > 0 {
			c.err = readForm(w, r, rt.form)
		}
		c.tenant, c.record = rt.tenant(r), rt.record(r)
		ctx := metadata.NewIncomingContext(r.Context(), callMetadata(r, rt.token))
		if _, err := e(ctx, c); err != nil && !rw.began {
			rt.writeErr(ctx, rw, err)
		}
	})
	if gatewayTemplate(path) {
		err := s.gateway.HandlePath(method, path, func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			for k, v := range params {
				r.SetPathValue(k, v)
			}
			serve(w, r)
		})
		if err != nil {
			panic(fmt.Sprintf("kit: route %q: %v", pattern, err))
		}
		return
	}
	s.HandleHTTP(pattern, serve)
}

// gatewayTemplate reports whether path is in the gateway's template syntax (a variable
// with a path pattern, or a custom verb after a variable), which net/http cannot route.
func gatewayTemplate(path string) bool {
	return strings.Contains(path, "=") || strings.Contains(path, "}:")
}

// unreadable fails a route call whose request could not be read, inside the built-in
// middlewares (so it is traced, counted and logged) and before authentication (which may
// need what could not be read).
func unreadable(_ Method, next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) {
		if c, ok := req.(*HTTPCall); ok && c.err != nil {
			return nil, c.err
		}
		return next(ctx, req)
	}
}

func readForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	err := r.ParseForm()
	if err == nil {
		return nil
	}
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return errs.ErrTooLarge.WithMessage("请求内容超过 %d 字节的限制", limit)
	}
	return errs.ErrMalformed.WithMessage("请求格式不正确").Wrap(err)
}

// callMetadata is what the gateway would forward into call metadata: the credentials
// (which authentication reads) and the request id. The Idempotency-Key header is not
// forwarded: a route's body is not a message that can be fingerprinted and replayed, so
// a route that wants retries to be safe handles them itself.
func callMetadata(r *http.Request, token func(*http.Request) string) metadata.MD {
	md := metadata.MD{}
	if token != nil {
		if t := token(r); t != "" {
			md.Set("authorization", "Bearer "+t)
		}
	}
	if len(md) == 0 {
		if v := r.Header.Values("Authorization"); len(v) > 0 {
			md.Set("authorization", v...)
		}
	}
	if v := r.Header.Values("X-Request-Id"); len(v) > 0 {
		md.Set("x-request-id", v...)
	}
	return md
}

// pathTenant is the default tenant of a route: {tenant}, or the tenant in {name}.
func pathTenant(r *http.Request) string {
	if t := r.PathValue("tenant"); t != "" {
		return t
	}
	return tenantOfName(r.PathValue("name"))
}

// answer remembers whether the route began its answer, after which an error can only
// end the response, not replace it.
type answer struct {
	http.ResponseWriter
	began bool
}

func (a *answer) WriteHeader(code int) {
	a.began = true
	a.ResponseWriter.WriteHeader(code)
}

func (a *answer) Write(b []byte) (int, error) {
	a.began = true
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes, deadlines).
func (a *answer) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// OperationID is the OpenAPI operationId that documents a route: its method name, with
// dots as underscores ("Open311.GetServiceRequests" → "Open311_GetServiceRequests").
func OperationID(m Method) string { return strings.ReplaceAll(m.Name, ".", "_") }

// Undocumented returns the full names of the routes that spec (an OpenAPI document) has
// no operation for, by OperationID; all of them when spec cannot be read.
func Undocumented(spec []byte, routes []Method) []string {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	_ = json.Unmarshal(spec, &doc)
	ids := map[string]bool{}
	for _, item := range doc.Paths {
		for _, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
			}
			if json.Unmarshal(raw, &op) == nil && op.OperationID != "" {
				ids[op.OperationID] = true
			}
		}
	}
	var missing []string
	for _, m := range routes {
		if !ids[OperationID(m)] {
			missing = append(missing, m.FullName())
		}
	}
	return missing
}
