package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
	"github.com/gaoxing-gov/gaoxing/services/console"
)

// The launcher's observability: Jaeger keeps the traces every service exports over OTLP
// (by the standard OTEL_* variables, set here unless the operator set them), Prometheus
// scrapes every service's /metrics and evaluates the chart's alerting rules. Both bind
// loopback and keep their data under the data directory. Either is left out, with a
// line saying so, when its binary is not built: the platform runs without them.

// startJaeger starts Jaeger, points OTLP at it and sets telemetry up so that each
// service's spans are exported under its own name.
func (l *launcher) startJaeger(ctx context.Context) error {
	bin, err := infra.Binary("jaeger")
	if errors.Is(err, infra.ErrNoBinary) {
		fmt.Fprintln(l.out, "gaoxing: jaeger is not built (make tools): traces are not kept")
		return l.setupTelemetry(ctx)
	}
	if err != nil {
		return err
	}
	c := l.add(&component{name: "jaeger", kind: kindInfra})
	logFile, err := l.logFile("jaeger.log")
	if err != nil {
		l.setState(c, stateFailed, err)
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	j, err := infra.StartJaeger(sctx, infra.JaegerServer{Binary: bin, Dir: l.path("jaeger"), Output: logFile})
	if err != nil {
		l.setState(c, stateFailed, err)
		return err
	}
	l.onStop(c, j.Stop)
	l.mu.Lock()
	c.address, c.pid, c.probe, c.state = j.QueryURL, j.PID(), j.Ready, stateRunning
	l.jaegerURL = j.QueryURL
	l.mu.Unlock()
	setDefaultEnv("OTEL_EXPORTER_OTLP_ENDPOINT", j.OTLPEndpoint)
	setDefaultEnv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	// Jaeger takes traces only; metrics are scraped from /metrics.
	setDefaultEnv("OTEL_METRICS_EXPORTER", "none")
	// Every call traced on one machine: every failure's trace is there to be found, and
	// the cost (docs/benchmarks.md) does not matter here. The chart samples 10 %.
	setDefaultEnv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
	sampler := os.Getenv("OTEL_TRACES_SAMPLER")
	if arg := os.Getenv("OTEL_TRACES_SAMPLER_ARG"); arg != "" {
		sampler += " " + arg
	}
	fmt.Fprintf(l.out, "gaoxing: jaeger query API %s (OTLP %s, sampler %s)\n", j.QueryURL, os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), sampler)
	return l.setupTelemetry(ctx)
}

// setupTelemetry installs the process's tracer and meter (the services' /metrics read
// the meter), to be shut down before Jaeger stops.
func (l *launcher) setupTelemetry(ctx context.Context) error {
	tel, err := telemetry.Setup(ctx, telemetry.Options{Service: "gaoxing", Version: versionString(), SpansByService: true})
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	l.onStop(nil, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return tel.Shutdown(sctx)
	})
	return nil
}

// startPrometheus starts Prometheus scraping every service's /metrics.
func (l *launcher) startPrometheus(ctx context.Context, services []*component) error {
	bin, err := infra.Binary("prometheus")
	if errors.Is(err, infra.ErrNoBinary) {
		fmt.Fprintln(l.out, "gaoxing: prometheus is not built (make tools): metrics are not kept")
		return nil
	}
	if err != nil {
		return err
	}
	c := l.add(&component{name: "prometheus", kind: kindInfra})
	var jobs []infra.ScrapeJob
	l.mu.Lock()
	for i, s := range services {
		// One process, one registry: each job keeps its own service's series.
		jobs = append(jobs, infra.ScrapeJob{Name: s.name, Target: s.httpAddress, Service: s.name, Shared: i == 0})
	}
	l.mu.Unlock()
	logFile, err := l.logFile("prometheus.log")
	if err != nil {
		l.setState(c, stateFailed, err)
		return err
	}
	var rules []string
	if l.cfg.AlertRules != "" {
		rules = append(rules, l.cfg.AlertRules)
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	p, err := infra.StartPrometheus(sctx, infra.PrometheusServer{
		Binary: bin, Dir: l.path("prometheus"), Jobs: jobs, RuleFiles: rules,
		Interval: l.cfg.ScrapeInterval, Output: logFile,
	})
	if err != nil {
		l.setState(c, stateFailed, err)
		return err
	}
	l.onStop(c, p.Stop)
	l.mu.Lock()
	c.address, c.pid, c.probe, c.state = p.URL, p.PID(), p.Ready, stateRunning
	l.promURL = p.URL
	l.mu.Unlock()
	fmt.Fprintf(l.out, "gaoxing: prometheus %s (scrapes %d services every %s)\n", p.URL, len(jobs), scrapeEvery(l.cfg.ScrapeInterval))
	return nil
}

// opsUpstreams are the stores the console's ops routes read: those running now.
func (l *launcher) opsUpstreams() console.Upstreams {
	l.mu.Lock()
	defer l.mu.Unlock()
	return console.Upstreams{Jaeger: l.jaegerURL, Prometheus: l.promURL}
}

func scrapeEvery(d time.Duration) time.Duration {
	if d <= 0 {
		return 15 * time.Second
	}
	return d
}

// setDefaultEnv sets an environment variable the operator has not set.
func setDefaultEnv(k, v string) {
	if _, ok := os.LookupEnv(k); !ok {
		_ = os.Setenv(k, v)
	}
}
