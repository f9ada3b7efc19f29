package telemetry_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"testing/slogtest"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/gaoxing-gov/gaoxing/pkg/redact"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// NewLogger needs no Setup: any tracer's span in the context is enough.
func TestNewLoggerAlone(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { require.NoError(t, tp.Shutdown(t.Context())) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "work")
	defer span.End()
	traceID := span.SpanContext().TraceID().String()

	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want map[string]any
	}{
		{
			name: "plain",
			log:  func(l *slog.Logger) { l.InfoContext(ctx, "m", "tenant", "ahz.s01") },
			want: map[string]any{"tenant": "ahz.s01"},
		},
		{
			name: "attrs before and inside nested groups",
			log: func(l *slog.Logger) {
				l.With("service", "tickets").WithGroup("call").With("method", "CreateTicket").
					WithGroup("req").InfoContext(ctx, "m", "tenant", "ahz.s01")
			},
			want: map[string]any{
				"service": "tickets",
				"call":    map[string]any{"method": "CreateTicket", "req": map[string]any{"tenant": "ahz.s01"}},
			},
		},
		{
			name: "empty groups vanish",
			log:  func(l *slog.Logger) { l.WithGroup("call").WithGroup("req").InfoContext(ctx, "m") },
			want: map[string]any{},
		},
		{
			name: "personal data masked in every position",
			log: func(l *slog.Logger) {
				l.With("contact_phone", "13812345678").WithGroup("applicant").With("id_card", "11010519491231002X").
					InfoContext(ctx, "m", "name_of_person", "张三丰", "who", redact.New(redact.KindName, "李四"),
						slog.Group("address", "street", "文三路100号"))
			},
			want: map[string]any{
				"contact_phone": "138****5678",
				"applicant": map[string]any{
					"id_card":        "110***********002X",
					"name_of_person": "张**",
					"who":            "李*",
					"address":        map[string]any{"street": "文三路****"},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.log(telemetry.NewLogger(&buf, slog.LevelInfo))
			var line map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
			require.Equal(t, traceID, line[telemetry.TraceIDKey])
			require.Equal(t, span.SpanContext().SpanID().String(), line[telemetry.SpanIDKey])
			for _, k := range []string{"time", "level", "msg", telemetry.TraceIDKey, telemetry.SpanIDKey} {
				delete(line, k)
			}
			require.Equal(t, tc.want, line)
		})
	}
}

func TestNewLoggerLevel(t *testing.T) {
	var buf bytes.Buffer
	l := telemetry.NewLogger(&buf, slog.LevelWarn)
	l.Info("dropped")
	require.Zero(t, buf.Len())
	l.Warn("kept")
	require.Contains(t, buf.String(), `"msg":"kept"`)
	require.NotContains(t, buf.String(), telemetry.TraceIDKey, "no span, no trace id")
}

// The handler keeps groups itself, so check it against the standard handler contract.
func TestHandlerContract(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return telemetry.NewHandler(&buf, slog.LevelInfo)
	}, func(t *testing.T) map[string]any {
		var line map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
		return line
	})
}

// BenchmarkLogLine compares one failed-call line (the kit's most common) through our
// handler, with a span in the context, against the plain JSON handler.
func BenchmarkLogLine(b *testing.B) {
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(b.Context()) })
	ctx, span := tp.Tracer("bench").Start(b.Context(), "work")
	defer span.End()
	handlers := map[string]slog.Handler{
		"slog-json": slog.NewJSONHandler(io.Discard, nil),
		"telemetry": telemetry.NewHandler(io.Discard, slog.LevelInfo),
	}
	for name, h := range handlers {
		log := slog.New(h).With("service", "tickets", "method", "CreateTicket")
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				log.InfoContext(ctx, "call failed", "tenant", "ahz.s01.c07", "code", "TICKET_NOT_FOUND",
					"err", "TICKET_NOT_FOUND: 工单不存在", "took", 1200)
			}
		})
	}
}
