// Command console serves the staff console on its own (the chart runs it behind the
// ingress at /). With GAOXING_OPS_JAEGER_URL or GAOXING_OPS_PROMETHEUS_URL set (an
// existing Jaeger query API, an existing Prometheus) it also serves the ops pages' routes,
// which then need etcd and the issuer like every service.
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/console"
)

func main() {
	var opts []console.Option
	ups := console.Upstreams{Jaeger: os.Getenv("GAOXING_OPS_JAEGER_URL"), Prometheus: os.Getenv("GAOXING_OPS_PROMETHEUS_URL")}
	if ups.Configured() {
		opts = append(opts, console.WithOps(func() console.Upstreams { return ups }))
	}
	os.Exit(app.Main(console.New(opts...), os.Args[1:], os.Stderr))
}
