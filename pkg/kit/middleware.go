package kit

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/go-kit/kit/endpoint"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

const instrumentation = "github.com/gaoxing-gov/gaoxing/pkg/kit"

// tracing opens one span per call, named "<service>.<Method>", with the service, method
// and tenant as attributes (never request contents: they may hold PII).
func tracing(m Method, next endpoint.Endpoint) endpoint.Endpoint {
	tracer := otel.Tracer(instrumentation)
	name := m.FullName()
	base := []attribute.KeyValue{
		attribute.String("gaoxing.service", m.Service),
		attribute.String("gaoxing.method", m.Name),
	}
	return func(ctx context.Context, req any) (any, error) {
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(base...))
		defer span.End()
		if t := TenantOf(req); t != "" {
			span.SetAttributes(attribute.String("gaoxing.tenant", t))
		}
		resp, err := next(ctx, req)
		if err != nil {
			e := errs.From(err)
			span.SetAttributes(attribute.String("gaoxing.error_code", e.Code))
			if e.Kind == errs.Internal || e.Kind == errs.Unavailable {
				span.SetStatus(codes.Error, e.Code)
			}
		}
		return resp, err
	}
}

// metrics records RED metrics per service, method, tenant and outcome code.
func (s *Service) metrics() Middleware {
	meter := otel.Meter(instrumentation)
	calls, _ := meter.Int64Counter("gaoxing.rpc.calls", metric.WithDescription("Calls per method and outcome."))
	dur, _ := meter.Float64Histogram("gaoxing.rpc.duration", metric.WithUnit("s"),
		metric.WithDescription("Call duration per method."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	return func(m Method, next endpoint.Endpoint) endpoint.Endpoint {
		svc, meth := attribute.String("service", m.Service), attribute.String("method", m.Name)
		return func(ctx context.Context, req any) (any, error) {
			start := time.Now()
			resp, err := next(ctx, req)
			code := "OK"
			if err != nil {
				code = errs.From(err).Code
			}
			attrs := metric.WithAttributes(svc, meth, attribute.String("tenant", TenantOf(req)), attribute.String("code", code))
			calls.Add(ctx, 1, attrs)
			dur.Record(ctx, time.Since(start).Seconds(), attrs)
			return resp, err
		}
	}
}

// logging writes one line per failed call, and one at debug level per successful call.
// Internal errors are logged with their cause; callers only ever see the stable code.
func (s *Service) logging(m Method, next endpoint.Endpoint) endpoint.Endpoint {
	log := s.log.With("method", m.Name)
	return func(ctx context.Context, req any) (any, error) {
		start := time.Now()
		resp, err := next(ctx, req)
		if err == nil {
			if log.Enabled(ctx, slog.LevelDebug) {
				log.DebugContext(ctx, "call", "tenant", TenantOf(req), "took", time.Since(start))
			}
			return resp, nil
		}
		e := errs.From(err)
		level := slog.LevelInfo
		if e.Kind == errs.Internal || e.Kind == errs.Unavailable {
			level = slog.LevelError
		}
		log.Log(ctx, level, "call failed", "tenant", TenantOf(req), "code", e.Code, "err", err.Error(), "took", time.Since(start))
		return resp, err
	}
}

// recovering turns a panic in a method into an INTERNAL error, so one bad request
// cannot take the process (and everyone else's calls) down.
func recovering(m Method, next endpoint.Endpoint) endpoint.Endpoint {
	return func(ctx context.Context, req any) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = errs.ErrInternal.Wrap(fmt.Errorf("panic in %s: %v\n%s", m.FullName(), r, debug.Stack()))
			}
		}()
		return next(ctx, req)
	}
}
