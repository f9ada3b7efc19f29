// Package telemetry sets up, once per process, what lets the operations team follow a
// call through Gaoxing: W3C trace context and baggage propagation (always on, so trace
// ids cross every gRPC and HTTP hop), an OpenTelemetry tracer provider that exports only
// when the standard OTEL_* environment variables ask for it, a meter provider that feeds
// the Prometheus /metrics endpoint (and OTLP when configured), and slog JSON logs that
// carry the trace and span id of the call they were written in and pass every attribute
// through package redact so personal information never reaches a log line. A service's
// main, or the launcher that runs every service in one process, calls Setup first and
// Shutdown last; everything else uses the otel and slog globals.
package telemetry
