package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Options describe the process to Setup.
type Options struct {
	Service   string     // service.name: the service, or "gaoxing" for the launcher
	Version   string     // service.version: the build's version, if known
	LogLevel  slog.Level // the least severe level logged (the zero value is Info)
	LogWriter io.Writer  // where JSON log lines go (default os.Stderr)
	// SpansByService exports each span under the service named by its gaoxing.service
	// attribute instead of Service: the launcher runs every service in one process.
	SpansByService bool
}

// Telemetry is the process's set-up, to be shut down when the process ends.
type Telemetry struct {
	tracer         *sdktrace.TracerProvider
	meter          *sdkmetric.MeterProvider
	logger         *slog.Logger
	level          *slog.LevelVar
	exportsTraces  bool
	exportsMetrics bool
	shutdown       sync.Once
	shutdownErr    error
}

// ErrAlreadySetUp is returned by Setup while an earlier Setup has not been shut down:
// two live set-ups would fight over the globals and export every metric twice.
var ErrAlreadySetUp = errors.New("telemetry: already set up in this process; call Shutdown first")

var (
	activeMu sync.Mutex
	active   *Telemetry

	errorHandlerOnce sync.Once
)

// Setup installs the process-wide telemetry:
//   - propagation of W3C TraceContext and Baggage, always;
//   - a tracer provider with service.name and service.version (overridable by
//     OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES), sampling by OTEL_TRACES_SAMPLER,
//     and an exporter only when OTEL_TRACES_EXPORTER names one other than "none", or it
//     is unset and OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is
//     set. Spans get trace ids either way, so logs and error bodies can quote them;
//   - a meter provider read by the Prometheus exporter (served by promhttp.Handler() from
//     prometheus.DefaultRegisterer) and, under the same rules with OTEL_METRICS_EXPORTER
//     and OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, by an OTLP (or other standard) reader;
//   - the JSON logger of NewLogger as slog.Default().
//
// Exporters come from the autoexport package, so every standard OTEL_EXPORTER_OTLP_*
// variable (protocol, headers, timeout, compression, certificates) is honoured; an
// OTEL_*_EXPORTER variable names one exporter (otlp, console, none), not a list.
// OTEL_SDK_DISABLED=true turns every exporter off. Setup fails with ErrAlreadySetUp
// while a previous one is live; after Shutdown it may be called again (tests do).
//
// Call Setup before building services: instruments and tracers taken from the otel
// globals before the first Setup follow it, but ones taken from a set-up that has since
// been shut down stay with it.
func Setup(ctx context.Context, opts Options) (*Telemetry, error) {
	activeMu.Lock()
	defer activeMu.Unlock()
	if active != nil {
		return nil, ErrAlreadySetUp
	}

	w := opts.LogWriter
	if w == nil {
		w = os.Stderr
	}
	t := &Telemetry{level: new(slog.LevelVar)}
	t.level.Set(opts.LogLevel)
	t.logger = slog.New(NewHandler(w, t.level))

	res, resErr := newResource(ctx, opts)
	if res == nil {
		return nil, resErr
	}
	var err error
	if t.tracer, t.exportsTraces, err = newTracerProvider(ctx, res, opts.SpansByService); err != nil {
		return nil, err
	}
	if t.meter, t.exportsMetrics, err = newMeterProvider(ctx, res); err != nil {
		return nil, errors.Join(err, t.tracer.Shutdown(ctx))
	}

	// Everything is built: only now touch the globals.
	slog.SetDefault(t.logger)
	errorHandlerOnce.Do(func() {
		// Export failures and the like: into the log, with the process's logger of the day.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			slog.Default().Warn("opentelemetry", "err", err)
		}))
	})
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetTracerProvider(t.tracer)
	otel.SetMeterProvider(t.meter)
	active = t

	if resErr != nil {
		t.logger.Warn("telemetry: some resource attributes were not understood", "err", resErr)
	}
	t.logger.Info("telemetry ready", "service", opts.Service, "version", opts.Version,
		"traces_exported", t.exportsTraces, "metrics_exported", t.exportsMetrics)
	return t, nil
}

// Shutdown flushes buffered spans and metrics to their exporters and stops them. It is
// safe to call more than once; the logger stays in place for the process's last lines.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdown.Do(func() {
		activeMu.Lock()
		defer activeMu.Unlock()
		t.shutdownErr = errors.Join(t.tracer.Shutdown(ctx), t.meter.Shutdown(ctx))
		if active == t {
			_ = metricsCollector.set(nil)
			active = nil
		}
	})
	return t.shutdownErr
}

// Logger is the process logger (also slog.Default()).
func (t *Telemetry) Logger() *slog.Logger { return t.logger }

// SetLogLevel changes the least severe level logged, for dynamic configuration.
func (t *Telemetry) SetLogLevel(l slog.Level) { t.level.Set(l) }

// ExportsTraces reports whether spans leave the process (an exporter is configured).
func (t *Telemetry) ExportsTraces() bool { return t.exportsTraces }

// ExportsMetrics reports whether metrics are pushed anywhere besides /metrics.
func (t *Telemetry) ExportsMetrics() bool { return t.exportsMetrics }

// newResource describes the process. A partial resource comes back with its error, for
// Setup to log.
func newResource(ctx context.Context, opts Options) (*resource.Resource, error) {
	attrs := []resource.Option{resource.WithTelemetrySDK(), resource.WithHost()}
	if opts.Service != "" {
		attrs = append(attrs, resource.WithAttributes(semconv.ServiceName(opts.Service)))
	}
	if opts.Version != "" {
		attrs = append(attrs, resource.WithAttributes(semconv.ServiceVersion(opts.Version)))
	}
	// Last, so that operators can rename or tag a deployment without a rebuild.
	attrs = append(attrs, resource.WithFromEnv())
	res, err := resource.New(ctx, attrs...)
	switch {
	case errors.Is(err, resource.ErrPartialResource):
		// A malformed OTEL_RESOURCE_ATTRIBUTES entry is worth a warning, not a dead service.
		return res, err
	case err != nil:
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

func newTracerProvider(ctx context.Context, res *resource.Resource, byServices bool) (*sdktrace.TracerProvider, bool, error) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	exporting := false
	if exporterWanted("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("telemetry: span exporter: %w", err)
		}
		if !autoexport.IsNoneSpanExporter(exp) {
			// Spans of dependencies carry the service they ran for; only worth the
			// lookup when they leave the process.
			opts = append(opts, sdktrace.WithSpanProcessor(serviceStamp{}))
			if byServices {
				exp = newByService(exp, res)
			}
			opts = append(opts, sdktrace.WithBatcher(exp))
			exporting = true
		}
	}
	return sdktrace.NewTracerProvider(opts...), exporting, nil
}

func newMeterProvider(ctx context.Context, res *resource.Resource) (*sdkmetric.MeterProvider, bool, error) {
	var scrape captured
	prom, err := promexporter.New(promexporter.WithRegisterer(&scrape))
	if err != nil {
		return nil, false, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	opts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(prom)}
	exporting := false
	if exporterWanted("OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") {
		reader, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, false, errors.Join(fmt.Errorf("telemetry: metric reader: %w", err), prom.Shutdown(ctx))
		}
		if !autoexport.IsNoneMetricReader(reader) {
			opts = append(opts, sdkmetric.WithReader(reader))
			exporting = true
		}
	}
	mp := sdkmetric.NewMeterProvider(opts...)
	if err := metricsCollector.set(scrape.collector); err != nil {
		return nil, false, errors.Join(fmt.Errorf("telemetry: register /metrics collector: %w", err), mp.Shutdown(ctx))
	}
	return mp, exporting, nil
}

// exporterWanted applies the rule of Setup: the signal's OTEL_*_EXPORTER decides when
// set; otherwise an OTLP endpoint (general or for this signal) asks for OTLP. Unlike the
// SDK's default of OTLP to localhost, nothing configured means nothing exported, so a
// developer's machine or a test never tries to reach a collector that is not there.
func exporterWanted(exporterVar, endpointVar string) bool {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if v := strings.TrimSpace(os.Getenv(exporterVar)); v != "" {
		return v != "none"
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv(endpointVar) != ""
}
