package kit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/oklog/run"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/health"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// ShutdownGrace is how long in-flight calls may finish after the context ends.
const ShutdownGrace = 10 * time.Second

// HTTP server deadlines. Every route's request (headers and body) must arrive within
// ReadTimeout and its answer be written within WriteTimeout, so a client that trickles
// bytes cannot hold a connection and its goroutine for ever; bodies of JSON calls are at
// most a few MiB. Streaming routes (document uploads and downloads of up to 200 MiB)
// extend both deadlines for themselves with Streaming.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 2 * time.Minute
	WriteTimeout      = 2 * time.Minute
	IdleTimeout       = 2 * time.Minute
	// StreamTimeout is a streaming route's deadline: 200 MiB at 128 KiB/s, a slow
	// mobile uplink, fits.
	StreamTimeout = 30 * time.Minute
)

// Streaming lets a route read its body and write its answer for up to d from when it
// starts, in place of the server's ReadTimeout and WriteTimeout (through
// http.ResponseController, so only that call's connection gets the longer deadline).
func Streaming(d time.Duration) RouteOption {
	return func(r *route) { r.stream = d }
}

// extendDeadlines gives the call on w until d from now to read and write.
func extendDeadlines(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(d)
	// An error means the writer cannot set deadlines (a test recorder): nothing to extend.
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}

// newHTTPServer is the HTTP server Serve runs, with its deadlines.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
	}
}

// noRPCMetrics keeps otelhttp and otelgrpc to tracing: the endpoint chain already records
// RED metrics per method and tenant, and their own per-request histograms cost as much
// as the rest of a no-op call together (measured in BenchmarkNoopOverHTTP).
var noRPCMetrics = noop.NewMeterProvider()

func newGRPCServer(service string) *grpc.Server {
	return grpc.NewServer(
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithMeterProvider(noRPCMetrics),
			otelgrpc.WithSpanAttributes(telemetry.ServiceKey.String(service)))),
		grpc.MaxRecvMsgSize(4<<20),
	)
}

// Dial connects to another service's gRPC address with trace propagation. The connection
// is lazy: nothing is sent until the first call. A target written "tls://host:port" is
// dialled over TLS, verified against the system's roots (where a mounted CA bundle is
// added through SSL_CERT_DIR): a peer serving with --tls-cert-file.
func Dial(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if rest, ok := strings.CutPrefix(target, "tls://"); ok {
		target, creds = rest, credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
	}
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
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
	// OpenMetrics when the scraper asks for it: then a latency sample carries the trace
	// it was measured in (an exemplar), and a slow bucket leads to its trace.
	root.Handle("GET /metrics", promhttp.InstrumentMetricHandler(prometheus.DefaultRegisterer,
		promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{EnableOpenMetrics: true})))
	// The span is named by the method the call reaches (tracing renames it, see
	// httpSpan), else by the service's prefix: never by the raw path, whose ids would
	// make every record its own operation.
	prefix := " /api/" + s.name
	root.Handle("/", otelhttp.NewHandler(markHTTPSpan(s.recoverHTTP(s.mux)), s.name, otelhttp.WithMeterProvider(noRPCMetrics),
		otelhttp.WithSpanOptions(trace.WithAttributes(telemetry.ServiceKey.String(s.name))),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + prefix })))
	return root
}

// recoverHTTP is the plain routes' safety net (the endpoint chain has its own): a panic
// in a handler is answered as INTERNAL, its cause logged with the trace id, instead of a
// dropped connection. http.ErrAbortHandler keeps its meaning (abort the response).
func (s *Service) recoverHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				err := errs.ErrInternal.Wrap(fmt.Errorf("panic in %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack()))
				s.log.ErrorContext(r.Context(), "handler panicked", "err", err.Error())
				errs.WriteHTTP(r.Context(), w, err)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Serve serves gRPC on grpcLis and HTTP on httpLis until ctx ends, then stops both,
// letting in-flight calls finish for up to ShutdownGrace.
func (s *Service) Serve(ctx context.Context, grpcLis, httpLis net.Listener) error {
	srv := newHTTPServer(s.HTTPHandler())
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
