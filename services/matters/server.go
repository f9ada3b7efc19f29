package matters

import (
	"context"
	"embed"
	"fmt"
	"go.opentelemetry.io/otel"
	"sync"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/leader"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/proto/gen"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the matters service as the launcher runs it (app.Service).
type Server struct {
	sweepInterval time.Duration
	endpoints     outbox.Endpoints
	dispatchOpts  []outbox.Option
	ready         chan struct{}
	readyOnce     sync.Once
	now           func() time.Time // the clock; tests move it
	svc           *service         // set by Run, for tests
}

// Option configures a Server.
type Option func(*Server)

// WithSweepInterval sets how often the leader terminates lapsed 容缺 commitments and
// records SLA crossings (default 1 min).
func WithSweepInterval(d time.Duration) Option { return func(s *Server) { s.sweepInterval = d } }

// WithWebhooks delivers the outbox's events (status changes, SLA reminders and
// escalations, completed bundles; receiver "notify") to e. Without it the endpoints come
// from app.Env.Webhooks (--webhooks-dir); with neither, events are queued and not sent
// until a replica that has endpoints runs.
func WithWebhooks(e outbox.Endpoints, opts ...outbox.Option) Option {
	return func(s *Server) { s.endpoints, s.dispatchOpts = e, opts }
}

// New returns the matters service.
func New(opts ...Option) *Server {
	s := &Server{sweepInterval: time.Minute, ready: make(chan struct{}), now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name is "matters".
func (s *Server) Name() string { return Name }

// Ready is closed once Run serves (tests wait on it).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves until ctx ends.
func (s *Server) Run(ctx context.Context, env app.Env) error {
	log := env.Log()
	db, err := app.OpenDB(ctx, env, Name, migrationFiles, audit.Migrate, outbox.Migrate)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	settings, err := config.Watch(ctx, env.Etcd, Name, DefaultSettings(), config.WithLogger(log))
	if err != nil {
		return err
	}
	defer settings.Close()
	cal, err := calendar.Watch(ctx, env.Etcd, calendar.WithLogger(log))
	if err != nil {
		return fmt.Errorf("matters: calendar: %w", err)
	}
	k, err := app.NewKit(ctx, env, Name, db, app.Security{Rules: Rules})
	if err != nil {
		return err
	}
	defer func() { _ = k.Close() }()
	bundles, err := SeedBundles()
	if err != nil {
		return err
	}
	app.Deliver(ctx, env, Name, db, s.endpoints, s.dispatchOpts...)
	svc := &service{db: db, st: store{db: db}, cal: cal, settings: settings, log: k.Logger(), now: s.now, bundles: map[string]*mattersv1.Bundle{}}
	for _, b := range bundles {
		svc.bundles[b.GetCode()] = b
	}
	if svc.slaCount, err = calendar.NewCrossings(otel.Meter("github.com/gaoxing-gov/gaoxing/services/matters"), Name); err != nil {
		return err
	}
	// Document references (materials, 容缺 commitments, 帮代办 authorisations, results)
	// are checked against the documents service when it is known.
	if svc.docs, err = docref.Dial(env.Peers["documents"], log); err != nil {
		return fmt.Errorf("matters: %w", err)
	}
	defer func() { _ = svc.docs.Close() }()
	if err := svc.seed(ctx); err != nil {
		return err
	}
	s.svc = svc
	b := bind(k.Service, svc)
	mattersv1.RegisterMattersServiceServer(k.GRPC(), b)
	if err := mattersv1.RegisterMattersServiceHandlerServer(ctx, k.Gateway(), b); err != nil {
		return err
	}
	spec, err := gen.OpenAPI(Name)
	if err != nil {
		return err
	}
	k.OpenAPI(spec)
	k.Health().Add("sql", db.Ping)

	// Background work runs on the leader only: the 容缺 and SLA sweeps, event delivery.
	go func() {
		_ = leader.Run(ctx, env.Etcd, Name+"-commitments", func(ctx context.Context) error {
			return svc.sweepLoop(ctx, s.sweepInterval)
		}, leader.WithLogger(log))
	}()
	s.readyOnce.Do(func() { close(s.ready) })
	return k.Serve(ctx, env.GRPC, env.HTTP)
}
