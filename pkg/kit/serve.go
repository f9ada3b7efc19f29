package kit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gaoxing-gov/gaoxing/pkg/health"
)

// ShutdownGrace is how long in-flight calls may finish after the context ends.
const ShutdownGrace = 10 * time.Second

// noRPCMetrics keeps otelhttp and otelgrpc to tracing: the endpoint chain already records
// RED metrics per method and tenant, and their own per-request histograms cost as much
// as the rest of a no-op call together (measured in BenchmarkNoopOverHTTP).
var noRPCMetrics = noop.NewMeterProvider()

func newGRPCServer() *grpc.Server {
	return grpc.NewServer(
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithMeterProvider(noRPCMetrics))),
		grpc.MaxRecvMsgSize(4<<20),
	)
}

// Dial connects to another service's gRPC address with trace propagation. The connection
// is lazy: nothing is sent until the first call.
func Dial(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithMeterProvider(noRPCMetrics))),
	}, opts...)
	return grpc.NewClient(target, opts...)
}

// HTTPHandler is everything the service answers over HTTP: /api/<service>/ (gateway,
// plain routes, OpenAPI), and the admin routes /healthz, /readyz and /metrics.
func (s *Service) HTTPHandler() http.Handler {
	root := http.NewServeMux()
	root.Handle("GET /healthz", health.Live())
	root.Handle("GET /readyz", s.health.Ready())
	root.Handle("GET /metrics", promhttp.Handler())
	root.Handle("/", otelhttp.NewHandler(s.mux, s.name, otelhttp.WithMeterProvider(noRPCMetrics),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path })))
	return root
}

// Serve serves gRPC on grpcLis and HTTP on httpLis until ctx ends, then stops both,
// letting in-flight calls finish for up to ShutdownGrace.
func (s *Service) Serve(ctx context.Context, grpcLis, httpLis net.Listener) error {
	srv := &http.Server{
		Handler:           s.HTTPHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	var g run.Group
	g.Add(func() error { return s.ServeGRPC(grpcLis) }, func(error) { s.StopGRPC() })
	g.Add(func() error {
		if err := srv.Serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, func(error) {
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	stop := make(chan struct{})
	g.Add(func() error {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		return nil
	}, func(error) { close(stop) })
	s.log.Info("serving", "grpc", grpcLis.Addr().String(), "http", httpLis.Addr().String())
	err := g.Run()
	s.log.Info("stopped")
	return err
}

// ServeGRPC serves gRPC on lis until StopGRPC. Serve does it beside HTTP; a caller that
// serves HTTP itself (package app, which answers /readyz before the service is built)
// runs it alone.
func (s *Service) ServeGRPC(lis net.Listener) error { return s.grpc.Serve(lis) }

// StopGRPC stops gRPC, letting in-flight calls finish for up to ShutdownGrace.
func (s *Service) StopGRPC() {
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(ShutdownGrace):
		s.grpc.Stop()
	}
}
