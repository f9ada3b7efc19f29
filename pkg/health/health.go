package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Check reports whether one dependency is usable; nil means yes.
type Check func(ctx context.Context) error

// Checks is the set of readiness checks of one service.
type Checks struct {
	mu     sync.RWMutex
	checks map[string]Check
	// Timeout bounds each round of checks (default 2 s).
	Timeout time.Duration
}

// New returns an empty set: a service with no dependencies is ready once it serves.
func New() *Checks { return &Checks{checks: map[string]Check{}, Timeout: 2 * time.Second} }

// Add registers a named check, e.g. Add("sql", db.PingContext).
func (c *Checks) Add(name string, check Check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checks[name] = check
}

// Report is the outcome of one round: each check's error text, "" when it passed.
type Report struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
}

// Run runs every check concurrently, each bounded by Timeout.
func (c *Checks) Run(ctx context.Context) Report {
	c.mu.RLock()
	names := make([]string, 0, len(c.checks))
	for n := range c.checks {
		names = append(names, n)
	}
	sort.Strings(names)
	fns := make([]Check, len(names))
	for i, n := range names {
		fns[i] = c.checks[n]
	}
	c.mu.RUnlock()

	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	results := make([]string, len(names))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			if err := fn(ctx); err != nil {
				results[i] = err.Error()
			}
		})
	}
	wg.Wait()
	r := Report{Ready: true, Checks: make(map[string]string, len(names))}
	for i, n := range names {
		r.Checks[n] = results[i]
		if results[i] != "" {
			r.Ready = false
		}
	}
	return r
}

// Live answers 200 while the process serves HTTP at all.
func Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"live":true}` + "\n"))
	})
}

// Ready answers 200 when every check passes and 503 otherwise, with the report as JSON.
func (c *Checks) Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := c.Run(r.Context())
		w.Header().Set("Content-Type", "application/json")
		if !rep.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
}

// GRPC is the standard grpc.health.v1.Health service backed by the same checks. The
// overall status ("" service) and the service's own name both report readiness.
func (c *Checks) GRPC(service string) healthpb.HealthServer {
	return &grpcHealth{checks: c, service: service}
}

type grpcHealth struct {
	healthpb.UnimplementedHealthServer
	checks  *Checks
	service string
}

func (g *grpcHealth) status(ctx context.Context, name string) (healthpb.HealthCheckResponse_ServingStatus, error) {
	if name != "" && name != g.service {
		return healthpb.HealthCheckResponse_SERVICE_UNKNOWN, status.Errorf(codes.NotFound, "unknown service %q", name)
	}
	if g.checks.Run(ctx).Ready {
		return healthpb.HealthCheckResponse_SERVING, nil
	}
	return healthpb.HealthCheckResponse_NOT_SERVING, nil
}

func (g *grpcHealth) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	st, err := g.status(ctx, req.GetService())
	if err != nil {
		return nil, err
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// Watch sends the status now and again whenever it changes (polled every 5 s).
func (g *grpcHealth) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	last := healthpb.HealthCheckResponse_ServingStatus(-1)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		st, _ := g.status(stream.Context(), req.GetService())
		if st != last {
			if err := stream.Send(&healthpb.HealthCheckResponse{Status: st}); err != nil {
				return err
			}
			last = st
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-tick.C:
		}
	}
}
