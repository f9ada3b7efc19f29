package telemetry

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metricsCollector is registered in prometheus.DefaultRegisterer once per process and
// forwards scrapes to the OpenTelemetry exporter of the current Setup. The exporter's
// own collector is "unchecked" (it describes nothing up front), and Prometheus cannot
// unregister such a collector, so registering one per Setup would leave dead or
// duplicate collectors behind in a binary that sets up telemetry more than once.
var metricsCollector = &forwarder{}

type forwarder struct {
	register    sync.Once
	registerErr error
	mu          sync.RWMutex
	to          prometheus.Collector
}

// Describe describes nothing: like the exporter, the forwarder is unchecked.
func (*forwarder) Describe(chan<- *prometheus.Desc) {}

func (f *forwarder) Collect(ch chan<- prometheus.Metric) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.to != nil {
		f.to.Collect(ch)
	}
}

func (f *forwarder) set(c prometheus.Collector) error {
	f.register.Do(func() { f.registerErr = prometheus.DefaultRegisterer.Register(f) })
	if f.registerErr != nil {
		return f.registerErr
	}
	f.mu.Lock()
	f.to = c
	f.mu.Unlock()
	return nil
}

// captured is the Registerer handed to the OpenTelemetry exporter: it keeps the
// exporter's collector for the forwarder instead of registering it anywhere.
type captured struct{ collector prometheus.Collector }

func (c *captured) Register(col prometheus.Collector) error {
	c.collector = col
	return nil
}

func (c *captured) MustRegister(cols ...prometheus.Collector) {
	for _, col := range cols {
		c.collector = col
	}
}

func (c *captured) Unregister(prometheus.Collector) bool { return false }
