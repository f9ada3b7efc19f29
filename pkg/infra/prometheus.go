package infra

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// PrometheusServer describes a Prometheus process to start: it scrapes the given
// targets' /metrics, keeps its TSDB under Dir and evaluates the alerting rules given.
type PrometheusServer struct {
	Binary string // "" means Binary("prometheus")
	Dir    string // configuration and TSDB; kept across restarts
	// Address is the HTTP API's host:port; "" or port 0 picks a free loopback port.
	Address string
	Jobs    []ScrapeJob
	// RuleFiles are alerting-rule files (the chart's), evaluated every Interval.
	RuleFiles []string
	// Interval is how often targets are scraped and rules evaluated (default 15 s).
	Interval time.Duration
	Output   io.Writer // the server's log; nil discards it
}

// ScrapeJob is one service's /metrics. Services that share one process (the
// launcher's) share one registry: Service set keeps only the series labelled with it,
// and Shared keeps the process-wide ones (Go runtime) in this job besides.
type ScrapeJob struct {
	Name    string // job label: the service
	Target  string // host:port serving /metrics
	Service string // keep only series with service="<Service>" (and unlabelled ones if Shared)
	Shared  bool
}

// Prometheus is a running Prometheus.
type Prometheus struct {
	*Process
	URL string // http://host:port of its HTTP API
}

// StartPrometheus writes the configuration into s.Dir, starts Prometheus and waits,
// until ctx ends, for /-/ready.
func StartPrometheus(ctx context.Context, s PrometheusServer) (*Prometheus, error) {
	if s.Binary == "" {
		b, err := Binary("prometheus")
		if err != nil {
			return nil, err
		}
		s.Binary = b
	}
	data := filepath.Join(s.Dir, "tsdb")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("prometheus data dir: %w", err)
	}
	addr, err := pickAddr(s.Address)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	cfg := filepath.Join(s.Dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(PrometheusConfig(s)), 0o600); err != nil {
		return nil, err
	}
	p := &Prometheus{URL: "http://" + addr}
	proc, err := startProcess(ctx, "prometheus", s.Binary, []string{
		"--config.file=" + cfg,
		"--storage.tsdb.path=" + data,
		"--web.listen-address=" + addr,
		"--storage.tsdb.retention.time=15d",
		// exemplars: a latency sample's trace id, so a slow bucket leads to its trace.
		"--enable-feature=exemplar-storage",
	}, nil, s.Output, func(ctx context.Context) error { return CheckHTTP(ctx, p.URL+"/-/ready") })
	if err != nil {
		return nil, err
	}
	p.Process = proc
	return p, nil
}

// PrometheusConfig is the configuration StartPrometheus writes for s.
func PrometheusConfig(s PrometheusServer) string {
	every := s.Interval
	if every <= 0 {
		every = 15 * time.Second
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", every, every)
	if len(s.RuleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range s.RuleFiles {
			fmt.Fprintf(&b, "  - %q\n", f)
		}
	}
	b.WriteString("scrape_configs:\n")
	for _, j := range s.Jobs {
		fmt.Fprintf(&b, "  - job_name: %q\n    static_configs:\n      - targets: [%q]\n", j.Name, j.Target)
		if j.Service != "" {
			keep := j.Service
			if j.Shared {
				keep += "|" // series without a service label too
			}
			fmt.Fprintf(&b, "    metric_relabel_configs:\n      - source_labels: [service]\n        regex: %q\n        action: keep\n", keep)
		}
	}
	return b.String()
}
