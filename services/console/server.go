package console

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/health"
)

// Server runs the console on its own (the chart's console Deployment): the application on
// the HTTP listener, beside /healthz and /readyz. It keeps no state and calls no service;
// the browser calls the APIs behind the same ingress.
type Server struct{}

// New returns the console service.
func New() *Server { return &Server{} }

// Name is the console's name in the chart and the launcher.
func (*Server) Name() string { return "console" }

// Run serves until ctx ends. The gRPC listener is closed at once: the console has no API.
func (*Server) Run(ctx context.Context, env app.Env) error {
	if env.GRPC != nil {
		_ = env.GRPC.Close()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Live())
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !Built(Assets()) {
			http.Error(w, "console assets not built", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/", Handler(Options{Files: Assets(), Issuer: env.Auth.Issuer}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(env.HTTP) }()
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
