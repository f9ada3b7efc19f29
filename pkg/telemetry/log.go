package telemetry

import (
	"context"
	"io"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"

	"github.com/gaoxing-gov/gaoxing/pkg/redact"
)

// Keys under which every log line written inside a span carries the span's ids, in the
// W3C hex form that Jaeger and the error bodies (commonv1.Error.trace_id) use.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// NewLogger returns a JSON logger writing to w at level and above, with trace ids and
// redaction as NewHandler describes. It works without Setup (the ids then come from
// whatever tracer made the span).
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(NewHandler(w, level))
}

// NewHandler returns the slog handler behind NewLogger: JSON lines; trace_id and span_id
// of the span in the record's context, at the top level of the line even inside groups,
// so one search by trace id finds every line; attributes and messages masked by
// redact.ReplaceAttr. level may be a *slog.LevelVar to change it at run time.
func NewHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return &handler{inner: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: redact.ReplaceAttr})}
}

// handler adds the span's ids to each record. It keeps groups itself instead of passing
// WithGroup to the JSON handler, because attributes added in Handle would otherwise land
// inside the innermost open group.
type handler struct {
	inner  slog.Handler
	groups []group // open groups, outermost first
}

// group is an open group and the attributes added inside it before the record's own.
type group struct {
	name  string
	attrs []slog.Attr
}

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	if len(h.groups) == 0 {
		return &handler{inner: h.inner.WithAttrs(attrs)}
	}
	groups := slices.Clone(h.groups)
	last := &groups[len(groups)-1]
	last.attrs = append(slices.Clip(last.attrs), attrs...)
	return &handler{inner: h.inner, groups: groups}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{inner: h.inner, groups: append(slices.Clip(h.groups), group{name: name})}
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if len(h.groups) == 0 {
		if sc.IsValid() {
			r = r.Clone() // the caller's record may share its attribute storage
			r.AddAttrs(traceID(sc), spanID(sc))
		}
		return h.inner.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	if sc.IsValid() {
		out.AddAttrs(traceID(sc), spanID(sc))
	}
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	for i := len(h.groups) - 1; i >= 0; i-- {
		g := h.groups[i]
		attrs = []slog.Attr{{Key: g.name, Value: slog.GroupValue(append(slices.Clip(g.attrs), attrs...)...)}}
	}
	out.AddAttrs(attrs...)
	return h.inner.Handle(ctx, out)
}

func traceID(sc trace.SpanContext) slog.Attr { return slog.String(TraceIDKey, sc.TraceID().String()) }

func spanID(sc trace.SpanContext) slog.Attr { return slog.String(SpanIDKey, sc.SpanID().String()) }
