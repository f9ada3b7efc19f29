package infra

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
)

// JaegerServer describes a Jaeger v2 process to start: OTLP in, traces kept in Badger
// under Dir, read back through its query API (the UI of a go-built Jaeger is a
// placeholder page).
type JaegerServer struct {
	Binary string // "" means Binary("jaeger")
	Dir    string // configuration and Badger data; kept across restarts
	// OTLPAddr is the OTLP/gRPC receiver's host:port, QueryAddr the query API's; ""
	// or port 0 picks a free loopback port.
	OTLPAddr, QueryAddr string
	Output              io.Writer // the server's log; nil discards it
}

// Jaeger is a running Jaeger.
type Jaeger struct {
	*Process
	OTLPEndpoint string // http://host:port, for OTEL_EXPORTER_OTLP_ENDPOINT (gRPC)
	QueryURL     string // http://host:port of the query API (/api/traces/{id}, /api/services)
}

// jaegerConfig binds every listener Jaeger has to loopback (its defaults bind all
// interfaces) and turns its own metrics endpoint off.
const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    traces:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: local
    http:
      endpoint: %q
    grpc:
      endpoint: %q
  jaeger_storage:
    backends:
      local:
        badger:
          directories:
            keys: %q
            values: %q
          ephemeral: false
          ttl:
            spans: 168h
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %q
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: local
`

// StartJaeger writes Jaeger's configuration into s.Dir, starts it and waits, until ctx
// ends, for its query API to answer.
func StartJaeger(ctx context.Context, s JaegerServer) (*Jaeger, error) {
	if s.Binary == "" {
		b, err := Binary("jaeger")
		if err != nil {
			return nil, err
		}
		s.Binary = b
	}
	data := filepath.Join(s.Dir, "badger")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("jaeger data dir: %w", err)
	}
	var addrs [3]string
	for i, a := range []string{s.OTLPAddr, s.QueryAddr, ""} {
		var err error
		if addrs[i], err = pickAddr(a); err != nil {
			return nil, fmt.Errorf("jaeger: %w", err)
		}
	}
	otlp, query, queryGRPC := addrs[0], addrs[1], addrs[2]
	cfg := filepath.Join(s.Dir, "jaeger.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, jaegerConfig, query, queryGRPC, data, data, otlp), 0o600); err != nil {
		return nil, err
	}
	j := &Jaeger{OTLPEndpoint: "http://" + otlp, QueryURL: "http://" + query}
	p, err := startProcess(ctx, "jaeger", s.Binary, []string{"--config", cfg},
		// Jaeger's query API traces itself over OTLP whatever its configuration says
		// (to localhost:4317 by default, and a stop then waits on a collector that is not
		// there): into its own receiver, never the caller's endpoint.
		[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + otlp, "OTEL_EXPORTER_OTLP_PROTOCOL=grpc", "OTEL_TRACES_SAMPLER=always_off"}, s.Output,
		func(ctx context.Context) error {
			// The receiver opens last: ready once it takes connections (a stop sent before
			// that waits for the start to finish).
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", otlp)
			if err != nil {
				return err
			}
			_ = c.Close()
			return CheckHTTP(ctx, j.QueryURL+"/api/services")
		})
	if err != nil {
		return nil, err
	}
	j.Process = p
	return j, nil
}
