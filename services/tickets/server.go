package tickets

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
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the tickets service as the launcher runs it (app.Service).
type Server struct {
	app.Server
	ring          *sealed.Ring
	endpoints     outbox.Endpoints
	sweepInterval time.Duration
	dispatchOpts  []outbox.Option
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
	ring, err := d.Sealing(s.ring)
	if err != nil {
		return err
	}
	k := d.Kit
	svc := &service{API: audit.API{DB: d.DB}, SettingsAPI: app.SettingsAPI(d, settings), ReadAPI: calendar.ReadAPI{Calendar: cal},
		db: d.DB, audit: d.Audit, st: store{db: d.DB, ring: ring}, cal: cal, settings: settings, enforcer: k.Enforcer,
		log: k.Logger(), now: s.now, wake: d.Deliver(s.endpoints, s.dispatchOpts...),
	}
	if svc.slaCount, err = calendar.NewCrossings(otel.Meter("github.com/gaoxing-gov/gaoxing/services/tickets"), Name); err != nil {
		return err
	}
	if svc.slaCases, err = slasweep.NewGauges(otel.Meter("github.com/gaoxing-gov/gaoxing/services/tickets"), Name); err != nil {
		return err
	}
	d.Defer(func() { _ = svc.slaCases.Close() })
	// Attachments are checked against the documents service when it is known.
	if svc.docs, err = docref.Dial(d.Env.Peers["documents"], d.Log); err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	d.Defer(func() { _ = svc.docs.Close() })
	s.svc = svc
	k.Owners.Set(authz.OwnerLookup{Owner: svc.st.ownerOf, NotFound: ticketNotFound})
	if err := kit.Register(ctx, k.Service, svc, ticketsv1.TicketsService_ServiceDesc.ServiceName,
		ticketsv1.NewTicketsServiceClient, ticketsv1.RegisterTicketsServiceHandlerClient); err != nil {
		return err
	}
	(&open311{svc: svc}).routes(k.Route)
	// Tickets stored before complainant_org get it from their sealed records.
	d.Go(app.Loop{Name: Name + "-complainant-backfill", Leader: true, Run: svc.backfillComplainantOrgs})
	// The SLA sweep runs on the leader only, like webhook delivery (d.Deliver).
	d.Go(app.Loop{Name: Name + "-sla", Leader: true, Run: func(ctx context.Context) error {
		return svc.sweepLoop(ctx, s.sweepInterval)
	}})
	return nil
}
