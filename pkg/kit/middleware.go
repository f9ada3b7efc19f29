package kit

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/go-kit/kit/endpoint"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// httpSpan marks an HTTP call's context until the first method of the chain names the
// call's server span after itself ("POST matters.CreateApplication").
type httpSpan struct {
	method string
	named  atomic.Bool
}

type httpSpanKey struct{}

func markHTTPSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), httpSpanKey{}, &httpSpan{method: r.Method})))
	})
}

func nameHTTPSpan(ctx context.Context, name string) {
	if h, ok := ctx.Value(httpSpanKey{}).(*httpSpan); ok && h.named.CompareAndSwap(false, true) {
		trace.SpanFromContext(ctx).SetName(h.method + " " + name)
	}
}

const instrumentation = "github.com/gaoxing-gov/gaoxing/pkg/kit"

// tracing opens one span per call, named "<service>.<Method>", with the service, method,
// tenant and the record addressed (or created) as attributes (never request contents:
// they may hold PII). An HTTP call's server span takes the method's name too.
func tracing(m Method, next endpoint.Endpoint) endpoint.Endpoint {
	tracer := otel.Tracer(instrumentation)
	name := m.FullName()
	base := []attribute.KeyValue{
		telemetry.ServiceKey.String(m.Service),
		telemetry.MethodKey.String(m.Name),
	}
	return func(ctx context.Context, req any) (any, error) {
		nameHTTPSpan(ctx, name)
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(base...))
		defer span.End()
		if t := TenantOf(req); t != "" {
			span.SetAttributes(telemetry.TenantKey.String(t))
		}
		if r := RecordOf(req); r != "" {
			span.SetAttributes(telemetry.RecordKey.String(r))
		}
		resp, err := next(ctx, req)
		if err == nil && RecordOf(req) == "" {
			if r, ok := resp.(interface{ GetName() string }); ok && r.GetName() != "" {
				span.SetAttributes(telemetry.RecordKey.String(r.GetName())) // a record created
			}
		}
		if err != nil {
			e := errs.From(err)
			span.SetAttributes(telemetry.ErrorCodeKey.String(e.Code))
			if e.Kind == errs.Internal || e.Kind == errs.Unavailable {
				span.SetStatus(codes.Error, e.Code)
			}
		}
		return resp, err
	}
}

// metrics records RED metrics per service, method, tenant and outcome code (and the
// code's status class).
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
			mark := &tenantMark{}
			resp, err := next(context.WithValue(ctx, tenantMarkKey{}, mark), req)
			code, class := "OK", "2xx"
			if err != nil {
				e := errs.From(err)
				code, class = e.Code, statusClass[e.Kind.HTTPStatus()/100]
			}
			attrs := metric.WithAttributes(svc, meth, attribute.String("tenant", mark.label(req)),
				attribute.String("code", code), attribute.String("class", class))
			calls.Add(ctx, 1, attrs)
			dur.Record(ctx, time.Since(start).Seconds(), attrs)
			return resp, err
		}
	}
}

// statusClass is the class label of a failed call: its HTTP status class, so alerts on
// server errors need no list of the codes that are (the code decides it: no new series).
var statusClass = map[int]string{4: "4xx", 5: "5xx"}

// tenantMark carries, from the metrics middleware down the chain and back, the tenant
// id the chain's tenant check admitted for this call.
type tenantMark struct{ id string }

type tenantMarkKey struct{}

// MarkTenant records that the tenant the call names was checked against the tenant tree
// (tenancy.Guard calls it). Metrics label a call with a marked id only: a label taken
// from the raw request would let any caller mint new time series with made-up ids.
func MarkTenant(ctx context.Context, id string) {
	if m, ok := ctx.Value(tenantMarkKey{}).(*tenantMark); ok {
		m.id = id
	}
}

// label is the call's tenant label: the admitted id, "" when the call names no tenant,
// "unchecked" when it names one the chain did not admit (malformed, unknown, refused
// earlier, or a chain without the tenant check).
func (m *tenantMark) label(req any) string {
	switch {
	case m.id != "":
		return m.id
	case TenantOf(req) == "":
		return ""
	}
	return "unchecked"
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
