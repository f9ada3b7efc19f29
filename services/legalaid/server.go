package legalaid

import (
	"context"
	"embed"
	"fmt"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the legal-aid service as the launcher runs it (app.Service).
type Server struct {
	app.Server
	endpoints     outbox.Endpoints
	dispatchOpts  []outbox.Option
	sweepInterval time.Duration
	now           func() time.Time
	svc           *service // set by Run, for tests
}

// Option configures a Server.
type Option func(*Server)

// WithWebhooks sets where changes go: one endpoint per court (CourtReceiver) and the
// reminders channel (ReceiverReminders). Without it the endpoints come from
// app.Env.Webhooks (--webhooks-dir).
func WithWebhooks(e outbox.Endpoints, opts ...outbox.Option) Option {
	return func(s *Server) { s.endpoints, s.dispatchOpts = e, opts }
}

// WithSweepInterval sets how often the leader runs the SLA sweep (default 1 min).
func WithSweepInterval(d time.Duration) Option { return func(s *Server) { s.sweepInterval = d } }

// WithClock sets the service's clock (tests move it).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New returns the legal-aid service.
func New(opts ...Option) *Server {
	s := &Server{sweepInterval: time.Minute, now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	s.Declare(app.Spec{Name: Name, Migrations: migrationFiles, Audit: true, Tables: []app.Tables{outbox.Migrate}, Build: s.build})
	return s
}

func (s *Server) build(ctx context.Context, d *app.Deps) error {
	settings, err := app.Settings(ctx, d, DefaultSettings())
	if err != nil {
		return err
	}
	cal, err := d.Calendar(ctx)
	if err != nil {
		return err
	}
	k := d.Kit
	svc := &service{API: audit.API{DB: d.DB}, SettingsAPI: app.SettingsAPI(d, settings), db: d.DB, audit: d.Audit, st: store{db: d.DB}, cal: cal, settings: settings,
		enforcer: k.Enforcer, log: k.Logger(), now: s.now, wake: d.Deliver(s.endpoints, s.dispatchOpts...)}
	if svc.slaCount, err = calendar.NewCrossings(otel.Meter("github.com/gaoxing-gov/gaoxing/services/legalaid"), Name); err != nil {
		return err
	}
	if svc.docs, err = docref.Dial(d.Env.Peers["documents"], d.Log); err != nil {
		return fmt.Errorf("legalaid: %w", err)
	}
	d.Defer(func() { _ = svc.docs.Close() })
	if svc.holds, err = dialHolds(d.Env.Peers["documents"], d.Log); err != nil {
		return fmt.Errorf("legalaid: %w", err)
	}
	d.Defer(svc.holds.close)
	s.svc = svc
	k.Owners.Set(authz.OwnerLookup{Owner: svc.st.ownerOf, NotFound: caseNotFound})
	if err := kit.Register(ctx, k.Service, svc, legalaidv1.LegalAidService_ServiceDesc.ServiceName,
		legalaidv1.NewLegalAidServiceClient, legalaidv1.RegisterLegalAidServiceHandlerClient); err != nil {
		return err
	}
	d.Go(app.Loop{Name: Name + "-sla", Leader: true, Run: func(ctx context.Context) error {
		return svc.sweepLoop(ctx, s.sweepInterval)
	}})
	return nil
}
