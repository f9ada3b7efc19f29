package telemetry

import (
	"context"
	"net/http"
	"sync"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// The attributes every span of a call carries (set by the kit's endpoint chain). They
// are identifiers and stable codes, never request contents: those may hold personal
// information.
const (
	ServiceKey   = attribute.Key("gaoxing.service")    // the service that ran the span
	MethodKey    = attribute.Key("gaoxing.method")     // the RPC or route, e.g. GetTicket
	TenantKey    = attribute.Key("gaoxing.tenant")     // the tenant the call names
	RecordKey    = attribute.Key("gaoxing.record")     // the record the call addresses or created
	ErrorCodeKey = attribute.Key("gaoxing.error_code") // the stable code of a failed call
)

// InCall reports whether ctx belongs to a traced call: dependencies (SQL, etcd, MinIO)
// are traced as its children, while background work outside any call (watches,
// keep-alives, sweeps) does not open a root trace for every statement.
func InCall(ctx context.Context) bool { return trace.SpanContextFromContext(ctx).IsValid() }

// noMetrics keeps instrumentation of dependencies to tracing: each would otherwise add
// its own per-call histograms beside the kit's RED metrics.
var noMetrics = noop.NewMeterProvider()

// GRPCClientOptions are the dial options of a client of a dependency reached over gRPC
// (etcd): its calls become child spans of the call that makes them, with trace context
// sent along; calls outside a traced call are not traced.
func GRPCClientOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithStatsHandler(childCalls{otelgrpc.NewClientHandler(otelgrpc.WithMeterProvider(noMetrics))})}
}

// childCalls passes to the wrapped handler only RPCs made inside a traced call.
type childCalls struct{ stats.Handler }

type skippedKey struct{}

func (c childCalls) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	if !InCall(ctx) {
		return context.WithValue(ctx, skippedKey{}, true)
	}
	return c.Handler.TagRPC(ctx, info)
}

func (c childCalls) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if ctx.Value(skippedKey{}) == nil {
		c.Handler.HandleRPC(ctx, s)
	}
}

// HTTPClientFilter is an otelhttp filter with the rule of GRPCClientOptions: only
// requests made inside a traced call are traced.
func HTTPClientFilter(r *http.Request) bool { return InCall(r.Context()) }

// serviceStamp gives every span the gaoxing.service of its parent when it has none of
// its own, so a SQL statement or an etcd call is known by the service it ran for.
type serviceStamp struct{}

func (serviceStamp) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if hasService(s.Attributes()) {
		return
	}
	p, ok := trace.SpanFromContext(parent).(sdktrace.ReadOnlySpan)
	if !ok {
		return
	}
	for _, kv := range p.Attributes() {
		if kv.Key == ServiceKey {
			s.SetAttributes(kv)
			return
		}
	}
}

func hasService(attrs []attribute.KeyValue) bool {
	for _, kv := range attrs {
		if kv.Key == ServiceKey {
			return true
		}
	}
	return false
}

func (serviceStamp) OnEnd(sdktrace.ReadOnlySpan)      {}
func (serviceStamp) Shutdown(context.Context) error   { return nil }
func (serviceStamp) ForceFlush(context.Context) error { return nil }

// byService exports each span under the service named by its gaoxing.service, for a
// process that runs several services (the launcher): a trace store then shows which
// service did what, as it does for services in their own processes.
type byService struct {
	sdktrace.SpanExporter
	base *resource.Resource
	mu   sync.Mutex
	res  map[string]*resource.Resource
}

func newByService(exp sdktrace.SpanExporter, base *resource.Resource) *byService {
	return &byService{SpanExporter: exp, base: base, res: map[string]*resource.Resource{}}
}

func (b *byService) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = s
		for _, kv := range s.Attributes() {
			if kv.Key == ServiceKey {
				out[i] = serviceSpan{ReadOnlySpan: s, res: b.resource(kv.Value.AsString())}
				break
			}
		}
	}
	return b.SpanExporter.ExportSpans(ctx, out)
}

func (b *byService) resource(name string) *resource.Resource {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r, ok := b.res[name]; ok {
		return r
	}
	r, err := resource.Merge(b.base, resource.NewSchemaless(semconv.ServiceName(name)))
	if err != nil {
		r = b.base
	}
	b.res[name] = r
	return r
}

// serviceSpan is a span with the resource of the service it ran in.
type serviceSpan struct {
	sdktrace.ReadOnlySpan
	res *resource.Resource
}

func (s serviceSpan) Resource() *resource.Resource { return s.res }
