package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/health"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Waiting for a dependency: the first retry after firstRetry, each wait twice the one
// before, never more than maxRetry, until it answers or the service is stopped.
const (
	firstRetry = 100 * time.Millisecond
	maxRetry   = 5 * time.Second
)

// gate is the service's HTTP handler from the first instant: until the service is built
// it answers /healthz, /readyz (503, naming what it waits for) and 503 UNAVAILABLE for
// everything else; then the service's own handler is swapped in.
type gate struct {
	log     *slog.Logger
	handler atomic.Pointer[http.Handler]
	mu      sync.Mutex
	waits   map[string]string // dependency → "" when it answered, else what it is waiting on
}

func newGate(log *slog.Logger) *gate { return &gate{log: log, waits: map[string]string{}} }

func (g *gate) open(h http.Handler) { g.handler.Store(&h) }

func (g *gate) set(name, state string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waits[name] = state
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := g.handler.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		health.Live().ServeHTTP(w, r)
	case "/readyz":
		g.mu.Lock()
		rep := health.Report{Checks: maps.Clone(g.waits)}
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(rep)
	default:
		w.Header().Set("Retry-After", "1")
		errs.WriteHTTP(r.Context(), w, errs.ErrUnavailable)
	}
}

// await calls check until it succeeds, waiting between tries with capped exponential
// backoff. An error retry says is not worth retrying (nil: all are) is returned at once;
// so is ctx ending. Each distinct error is logged once.
func (g *gate) await(ctx context.Context, name string, check func(context.Context) error, retry func(error) bool) error {
	g.set(name, "checking")
	delay, last := firstRetry, ""
	for {
		err := check(ctx)
		if err == nil {
			g.set(name, "")
			if last != "" {
				g.log.Info("dependency is up", "dependency", name)
			}
			return nil
		}
		if ctx.Err() != nil {
			return errStopped(ctx, name)
		}
		if retry != nil && !retry(err) {
			return err
		}
		g.set(name, "waiting: "+err.Error())
		if msg := err.Error(); msg != last {
			g.log.Warn("waiting for a dependency", "dependency", name, "err", err)
			last = msg
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return errStopped(ctx, name)
		case <-t.C:
		}
		delay = min(2*delay, maxRetry)
	}
}

// transient reports whether err means a server is not there yet (refused, unreachable,
// not resolvable, timing out, or saying it is still starting) rather than a mistake that
// waiting cannot mend.
func transient(err error) bool {
	var (
		op  *net.OpError
		dns *net.DNSError
	)
	switch {
	case errors.As(err, &op), errors.As(err, &dns),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, sqlstore.ErrSchemaBehind): // the migration Job has not run yet
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "no such host", "i/o timeout", "57P03", "starting up"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// listener is the HTTP server of a service, serving from before the service is built.
type listener struct {
	srv  *http.Server
	done chan error
}

// startHTTP serves h on lis; nil when lis is nil (a service run without one).
func startHTTP(lis net.Listener, h http.Handler) *listener {
	if lis == nil {
		return nil
	}
	l := &listener{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute},
		done: make(chan error, 1),
	}
	go func() { l.done <- l.srv.Serve(lis) }()
	return l
}

// wait returns when the server has stopped: nil after stop, else why it failed.
func (l *listener) wait() error {
	if l == nil {
		return nil
	}
	if err := <-l.done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stop shuts the server down, letting requests in flight finish for up to
// kit.ShutdownGrace.
func (l *listener) stop(error) {
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), kit.ShutdownGrace)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
}
