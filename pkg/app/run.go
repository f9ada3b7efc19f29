package app

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/oklog/run"
	"go.opentelemetry.io/otel"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/leader"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Spec declares one service to Run: what its database holds and how to build it from
// what Run opened (who may call each method is in its contract).
type Spec struct {
	Name string // "tickets": the database's name, the routes under /api/<Name>/
	// Migrations holds the service's goose files in its "migrations" directory.
	Migrations fs.FS
	// Audit says the service keeps an audit log: the audit tables are migrated and
	// Deps.Audit is the service's sealer, run beside it.
	Audit bool
	// Tables are other shared packages' tables the service uses (outbox.Migrate).
	Tables []Tables
	// Ready, when not nil, is closed once the service serves (tests wait on it).
	Ready *Readiness
	// Build registers the service on d.Kit and declares its background loops (d.Go). It
	// runs once etcd and the database answer; other dependencies it waits for with
	// d.Await. ctx is Run's: watches started with it end when the service stops.
	Build func(ctx context.Context, d *Deps) error
}

// Loop is background work of a service, run beside its listeners until it stops.
type Loop struct {
	// Name names the loop in logs; for a leader-elected loop it is the election's name,
	// e.g. "tickets-sla".
	Name string
	// Leader runs the loop on the one replica that leads the election Name (pkg/leader);
	// otherwise every replica runs it.
	Leader bool
	// Run works until ctx ends. An early return ends the loop only, not the service.
	Run func(ctx context.Context) error
}

// Deps is what Run opened for a service's Build, and where Build declares what Run
// must run and close with the service.
type Deps struct {
	Name  string
	Env   Env
	Log   *slog.Logger // env.Log()
	DB    *sqlstore.DB
	Kit   *Kit
	Audit *audit.Sealer // nil unless Spec.Audit

	gate    *gate
	loops   []Loop
	defers  []func()
	serving []func()
}

// Go declares background loops; Run starts them once the service is built and stops
// them, and waits for them, before it closes the database.
func (d *Deps) Go(loops ...Loop) {
	for _, l := range loops {
		if l.Run != nil {
			d.loops = append(d.loops, l)
		}
	}
}

// Defer runs fn when the service stops, after every loop and listener has stopped and
// before the database closes; deferred functions run last first.
func (d *Deps) Defer(fn func()) { d.defers = append(d.defers, fn) }

// OnServing runs fn once the service serves.
func (d *Deps) OnServing(fn func()) { d.serving = append(d.serving, fn) }

// Await calls check until it succeeds, with backoff, reporting on /readyz that the
// service waits for name meanwhile. It fails only when ctx ends.
func (d *Deps) Await(ctx context.Context, name string, check func(context.Context) error) error {
	return d.gate.await(ctx, name, check, nil)
}

// Deliver declares the loop that delivers the outbox's events (see Deliver) and
// returns its wake function.
//
// It also reports the outbox's pending events, delivery lag and dead letters
// (outbox.RegisterMetrics), whether or not receivers are configured: without them,
// events wait and the lag grows.
func (d *Deps) Deliver(endpoints outbox.Endpoints, opts ...outbox.Option) (wake func()) {
	loop, wake := Deliver(d.Env, d.Name, d.DB, endpoints, opts...)
	d.Go(loop)
	if reg, err := outbox.RegisterMetrics(otel.Meter("github.com/gaoxing-gov/gaoxing/pkg/outbox"), d.DB, d.Name); err != nil {
		d.Log.Warn("outbox metrics not reported", "err", err)
	} else {
		d.Defer(func() { _ = reg.Unregister() })
	}
	return wake
}

// close runs the deferred functions, then closes the kit and the database.
func (d *Deps) close() {
	for i := len(d.defers) - 1; i >= 0; i-- {
		d.defers[i]()
	}
	if d.Kit != nil {
		_ = d.Kit.Close()
	}
	_ = d.DB.Close()
}

// Server is what a service's Server embeds to be an app.Service: Declare gives it the
// service's Spec in the service's New, and it runs that (Run) and is ready (Ready) once
// the service serves.
type Server struct {
	Readiness
	spec Spec
}

// Declare sets the Spec the server runs; its Ready is the server's own.
func (s *Server) Declare(spec Spec) {
	spec.Ready = &s.Readiness
	s.spec = spec
}

// Name is the declared service's name.
func (s *Server) Name() string { return s.spec.Name }

// Run runs the declared service until ctx ends (see Run).
func (s *Server) Run(ctx context.Context, env Env) error { return Run(ctx, env, s.spec) }

// Readiness is closed once a service serves. A service's Server embeds it (the zero
// value is ready to use; it gives the Server its Ready method) and hands it to
// Spec.Ready.
type Readiness struct {
	once, closeOnce sync.Once
	ch              chan struct{}
}

// Ready is closed once the service serves.
func (r *Readiness) Ready() <-chan struct{} {
	r.once.Do(func() { r.ch = make(chan struct{}) })
	return r.ch
}

func (r *Readiness) close() {
	r.Ready()
	r.closeOnce.Do(func() { close(r.ch) })
}

// Run runs the service spec declares until ctx ends, and returns nil after a clean stop.
// It answers HTTP at once: /healthz, and /readyz 503 naming what it waits for, while it
// waits for etcd, opens and migrates the database (both with backoff) and builds the
// service; API routes answer 503 UNAVAILABLE meanwhile. Then it serves gRPC, swaps the
// service's handler in, and runs the listeners, the audit sealer and the declared
// loops together: when one listener fails or ctx ends all stop, and Run returns only
// after every one of them has, closing the database last.
func Run(ctx context.Context, env Env, spec Spec) error {
	if env.Migrate == MigrateOnly {
		return migrateOnly(ctx, env, spec)
	}
	log := env.Log()
	g := newGate(log.With("service", spec.Name))
	web := startHTTP(env.HTTP, g)
	d, err := start(ctx, env, spec, g)
	if err != nil {
		web.stop(nil)
		_ = web.wait()
		if env.GRPC != nil {
			_ = env.GRPC.Close()
		}
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	defer d.close()

	var group run.Group
	if env.GRPC != nil {
		group.Add(func() error { return d.Kit.ServeGRPC(env.GRPC) }, func(error) { d.Kit.StopGRPC() })
	}
	if web != nil {
		group.Add(web.wait, web.stop)
	}
	for _, l := range d.loops {
		group.Add(loopActor(ctx, d, l))
	}
	stop := make(chan struct{})
	group.Add(func() error {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		return nil
	}, func(error) { close(stop) })

	g.open(d.Kit.HTTPHandler())
	if spec.Ready != nil {
		spec.Ready.close()
	}
	for _, fn := range d.serving {
		fn()
	}
	attrs := []any{"loops", len(d.loops)}
	if env.GRPC != nil && env.HTTP != nil {
		attrs = append(attrs, "grpc", env.GRPC.Addr().String(), "http", env.HTTP.Addr().String())
	}
	d.Kit.Logger().Info("serving", attrs...)
	err = group.Run()
	d.Kit.Logger().Info("stopped")
	return err
}

// migrateOnly applies the service's migrations and the shared tables', then returns: the
// chart's migration Job runs every service so, as the role that owns the schema, before
// the services (which never migrate) roll out. It serves nothing and needs no etcd.
func migrateOnly(ctx context.Context, env Env, spec Spec) error {
	db, err := OpenDB(ctx, env, spec.Name, spec.Migrations, spec.tables()...)
	if err != nil {
		return err
	}
	env.Log().Info("migrated", "service", spec.Name)
	if env.GRPC != nil {
		_ = env.GRPC.Close()
	}
	if env.HTTP != nil {
		_ = env.HTTP.Close()
	}
	return db.Close()
}

// tables are the shared packages' migrations the service's database carries.
func (spec Spec) tables() []Tables {
	if spec.Audit {
		return append([]Tables{audit.Migrate}, spec.Tables...)
	}
	return spec.Tables
}

// start waits for etcd, opens the database and builds the service.
func start(ctx context.Context, env Env, spec Spec, g *gate) (*Deps, error) {
	if env.Etcd != nil {
		err := g.await(ctx, "etcd", func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := env.Etcd.Get(ctx, "health")
			return err
		}, nil)
		if err != nil {
			return nil, err
		}
	}
	tables := spec.tables()
	var db *sqlstore.DB
	err := g.await(ctx, "sql", func(ctx context.Context) (err error) {
		db, err = OpenDB(ctx, env, spec.Name, spec.Migrations, tables...)
		return err
	}, transient)
	if err != nil {
		return nil, err
	}
	d := &Deps{Name: spec.Name, Env: env, Log: env.Log(), DB: db, gate: g}
	g.set("service", "starting")
	if d.Kit, err = NewKit(ctx, env, spec.Name, db); err != nil {
		d.close()
		return nil, err
	}
	if spec.Audit {
		d.Audit = audit.NewSealer(db, d.Log)
		d.Go(Loop{Name: spec.Name + "-audit-sealer", Run: d.Audit.Run})
	}
	if err := spec.Build(ctx, d); err != nil {
		d.close()
		return nil, err
	}
	d.Kit.Health().Add("sql", db.Ping)
	return d, nil
}

// loopActor runs l until the group stops it. A loop that returns early is logged and
// waits for the others: background work failing must not take the API down.
func loopActor(ctx context.Context, d *Deps, l Loop) (func() error, func(error)) {
	ctx, cancel := context.WithCancel(ctx)
	execute := func() error {
		var err error
		if l.Leader {
			err = leader.Run(ctx, d.Env.Etcd, l.Name, l.Run, leader.WithLogger(d.Log))
		} else {
			err = l.Run(ctx)
		}
		if ctx.Err() == nil {
			d.Log.Warn("background loop ended; the service goes on without it", "loop", l.Name, "err", err)
			<-ctx.Done()
		}
		return nil
	}
	return execute, func(error) { cancel() }
}

// errStopped is what a wait ends with when the service is stopped meanwhile.
func errStopped(ctx context.Context, name string) error {
	return fmt.Errorf("stopped while waiting for %s: %w", name, context.Cause(ctx))
}
