package tickets

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
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/proto/gen"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the tickets service as the launcher runs it (app.Service).
type Server struct {
	ring          *sealed.Ring
	endpoints     outbox.Endpoints
	sweepInterval time.Duration
	dispatchOpts  []outbox.Option
	ready         chan struct{}
	readyOnce     sync.Once
	now           func() time.Time // the clock; tests move it
	svc           *service         // set by Run, for tests
}

// Option configures a Server.
type Option func(*Server)

// WithWebhooks sets where status changes go back to their sources: one endpoint per
// receiver ("hotline_12345", "business_platform", …, see Receiver). Without it the
// endpoints come from app.Env.Webhooks (--webhooks-dir); with neither, events are queued
// in the outbox and not sent until a replica that has endpoints runs.
func WithWebhooks(e outbox.Endpoints, opts ...outbox.Option) Option {
	return func(s *Server) { s.endpoints, s.dispatchOpts = e, opts }
}

// WithSweepInterval sets how often the leader runs the SLA sweep (default 1 min).
func WithSweepInterval(d time.Duration) Option { return func(s *Server) { s.sweepInterval = d } }

// WithSealing sets the keys complainants are sealed with; default app.SealingKeys.
func WithSealing(r *sealed.Ring) Option { return func(s *Server) { s.ring = r } }

// New returns the tickets service.
func New(opts ...Option) *Server {
	s := &Server{sweepInterval: time.Minute, ready: make(chan struct{}), now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name is "tickets".
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
		return fmt.Errorf("tickets: calendar: %w", err)
	}
	k, err := app.NewKit(ctx, env, Name, db, app.Security{Rules: Rules})
	if err != nil {
		return err
	}
	defer func() { _ = k.Close() }()
	wake := app.Deliver(ctx, env, Name, db, s.endpoints, s.dispatchOpts...)
	ring := s.ring
	if ring == nil {
		if ring, err = app.SealingKeys(env, log); err != nil {
			return fmt.Errorf("tickets: %w", err)
		}
	}
	svc := &service{
		db: db, st: store{db: db, ring: ring}, cal: cal, settings: settings, enforcer: k.Enforcer, log: k.Logger(), now: s.now,
		wake: wake,
	}
	if svc.slaCount, err = calendar.NewCrossings(otel.Meter("github.com/gaoxing-gov/gaoxing/services/tickets"), Name); err != nil {
		return err
	}
	// Attachments are checked against the documents service when it is known.
	if svc.docs, err = docref.Dial(env.Peers["documents"], log); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	defer func() { _ = svc.docs.Close() }()
	s.svc = svc
	b := bind(k.Service, svc)
	ticketsv1.RegisterTicketsServiceServer(k.GRPC(), b)
	if err := ticketsv1.RegisterTicketsServiceHandlerServer(ctx, k.Gateway(), b); err != nil {
		return err
	}
	(&open311{svc: svc, verifier: k.Verifier}).routes(k.HandleHTTP)
	spec, err := gen.OpenAPI(Name)
	if err != nil {
		return err
	}
	k.OpenAPI(spec)
	k.Health().Add("sql", db.Ping)

	// Background work runs on the leader only: the SLA sweep and webhook delivery.
	go func() {
		_ = leader.Run(ctx, env.Etcd, Name+"-sla", func(ctx context.Context) error {
			return svc.sweepLoop(ctx, s.sweepInterval)
		}, leader.WithLogger(log))
	}()
	s.readyOnce.Do(func() { close(s.ready) })
	return k.Serve(ctx, env.GRPC, env.HTTP)
}
