package kit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// headers forwarded from HTTP into call metadata, besides the gateway's defaults
// (Authorization and the Grpc-Metadata-* prefix).
var forwarded = map[string]bool{
	"Idempotency-Key": true,
	"X-Request-Id":    true,
	"If-Match":        true,
}

// answered are the response headers a method may set (grpc.SetHeader) that reach HTTP
// clients as themselves rather than as Grpc-Metadata-*: caching of public reads.
var answered = map[string]string{"cache-control": "Cache-Control"}

func newGateway() *runtime.ServeMux {
	return runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}),
		runtime.WithIncomingHeaderMatcher(func(h string) (string, bool) {
			if forwarded[textproto.CanonicalMIMEHeaderKey(h)] {
				return strings.ToLower(h), true
			}
			return runtime.DefaultHeaderMatcher(h)
		}),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if h, ok := answered[strings.ToLower(key)]; ok {
				return h, true
			}
			return runtime.MetadataHeaderPrefix + key, true
		}),
		runtime.WithErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
			errs.WriteHTTP(ctx, w, gatewayError(err))
		}),
		runtime.WithRoutingErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, code int) {
			err := errs.ErrRouteNotFound.WithMessage("接口不存在: %s %s", r.Method, r.URL.Path)
			if code == http.StatusMethodNotAllowed {
				err = errs.ErrMethodNotAllow.WithMessage("不支持该请求方法: %s %s", r.Method, r.URL.Path)
			}
			errs.WriteHTTP(ctx, w, err)
		}),
	)
}

// gatewayError names the gateway's own failures: a status without a Gaoxing detail and
// code InvalidArgument is the gateway failing to decode the body or a path parameter.
func gatewayError(err error) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument && len(st.Details()) == 0 {
		return errs.ErrMalformed.WithMessage("请求格式不正确: %s", st.Message())
	}
	return err
}

// limitBody refuses bodies over limit bytes with 413 before the gateway decodes them. JSON
// bodies are small, so the body is read here (at most limit+1 bytes) and handed on whole.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		tooLarge := errs.ErrTooLarge.WithMessage("请求内容超过 %d 字节的限制", limit)
		if r.ContentLength > limit {
			errs.WriteHTTP(r.Context(), w, tooLarge)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			errs.WriteHTTP(r.Context(), w, errs.ErrMalformed.WithMessage("读取请求内容失败").Wrap(err))
			return
		}
		if int64(len(body)) > limit {
			errs.WriteHTTP(r.Context(), w, tooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// HandleHTTP adds a plain HTTP route under /api/<service>/, for protocols that are not
// ours to define (OIDC, Open311, streaming uploads, webhooks). pattern is relative, e.g.
// "GET /open311/v2/services.json".
func (s *Service) HandleHTTP(pattern string, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	full := "/api/" + s.name + "/" + strings.TrimPrefix(path, "/")
	if method != "" {
		full = method + " " + full
	}
	s.mux.Handle(full, h)
}

// OpenAPI serves spec at /api/<service>/openapi.json. Every plain-HTTP route, registered
// before or after it, must be in spec (see Undocumented): one that is not stops the
// service from starting, so that no route is missing from the clients generated from the
// document.
func (s *Service) OpenAPI(spec []byte) {
	s.spec = spec
	s.checkDocumented(s.routes...)
	s.HandleHTTP("GET /openapi.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(spec)
	}))
}

// checkDocumented panics when the OpenAPI document is known and lacks one of routes.
func (s *Service) checkDocumented(routes ...Method) {
	if s.spec == nil {
		return
	}
	if missing := Undocumented(s.spec, routes); len(missing) > 0 {
		panic(fmt.Sprintf("kit: %s: routes missing from the OpenAPI document: %s", s.name, strings.Join(missing, ", ")))
	}
}

// routeNotFound answers paths outside /api/<service>/ and the admin routes.
func routeNotFound(w http.ResponseWriter, r *http.Request) {
	errs.WriteHTTP(r.Context(), w, errs.ErrRouteNotFound.WithMessage("接口不存在: %s", r.URL.Path))
}

func (s *Service) mountGateway() {
	prefix := "/api/" + s.name
	s.mux.Handle(prefix+"/", http.StripPrefix(prefix, limitBody(s.bodyMB<<20, s.gateway)))
	s.mux.HandleFunc("/", routeNotFound)
}

// String describes the service for logs.
func (s *Service) String() string { return fmt.Sprintf("service %s", s.name) }
