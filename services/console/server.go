package console

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/health"
)

// openapi.json documents the console's own routes (the ops routes); the kit refuses to
// start with a route missing from it.
//
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI is the console's OpenAPI document, served at /api/console/openapi.json.
func OpenAPI() []byte { return openapiJSON }

// Server runs the console on its own (the chart's console Deployment, and beside the
// services in the launcher): the application on the HTTP listener, beside /healthz and
// /readyz, and, when the trace and metrics stores are configured, the ops routes under
// /api/console/ behind the kit's chain (ops.go). Without them it keeps no state and calls
// nothing: the browser calls the APIs behind the same ingress.
type Server struct {
	upstreams func() Upstreams // nil: no ops routes
	pages     bool

	once, closeOnce sync.Once
	ready           chan struct{}
}

// Option configures the console server.
type Option func(*Server)

// WithOps serves the ops routes, reading the stores' addresses from upstreams at every
// call. They need etcd and the issuer (the chain: tokens, policy, tenant tree).
func WithOps(upstreams func() Upstreams) Option { return func(s *Server) { s.upstreams = upstreams } }

// APIOnly leaves the pages out: the launcher serves them on its own port.
func APIOnly() Option { return func(s *Server) { s.pages = false } }

// New returns the console service.
func New(opts ...Option) *Server {
	s := &Server{pages: true}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name is the console's name in the chart and the launcher.
func (*Server) Name() string { return "console" }

// Ready is closed once the console serves.
func (s *Server) Ready() <-chan struct{} {
	s.once.Do(func() { s.ready = make(chan struct{}) })
	return s.ready
}

// Run serves until ctx ends. The gRPC listener is closed at once: the console has no
// gRPC API.
func (s *Server) Run(ctx context.Context, env app.Env) error {
	if env.GRPC != nil {
		_ = env.GRPC.Close()
	}
	checks := health.New()
	if s.pages {
		checks.Add("assets", func(context.Context) error {
			if !Built(Assets()) {
				return errors.New("console assets not built")
			}
			return nil
		})
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Live())
	mux.Handle("GET /readyz", checks.Ready())
	if s.upstreams != nil {
		k, err := app.NewKit(ctx, env, s.Name(), nil)
		if err != nil {
			return err
		}
		defer func() { _ = k.Close() }()
		RegisterOps(k.Service, s.upstreams)
		k.OpenAPI(openapiJSON)
		api := k.HTTPHandler()
		mux.Handle("/api/console/", api)
		mux.Handle("GET /metrics", api)
	} else {
		// The pages ask; they say "not configured" on this answer.
		mux.HandleFunc("/api/console/", func(w http.ResponseWriter, r *http.Request) {
			errs.WriteHTTP(r.Context(), w, ErrNotConfigured)
		})
	}
	if s.pages {
		mux.Handle("/", Handler(Options{Files: Assets(), Issuer: env.Auth.Issuer}))
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(env.HTTP) }()
	s.Ready()
	s.closeOnce.Do(func() { close(s.ready) })
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
