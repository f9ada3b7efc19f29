package matters

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
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the matters service as the launcher runs it (app.Service).
type Server struct {
	app.Server
	sweepInterval time.Duration
	endpoints     outbox.Endpoints
	dispatchOpts  []outbox.Option
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
	bundles, err := SeedBundles()
	if err != nil {
		return err
	}
	// Events (status changes, SLA reminders, completed bundles) are delivered by the leader.
	d.Deliver(s.endpoints, s.dispatchOpts...)
	k := d.Kit
	svc := &service{API: audit.API{DB: d.DB}, SettingsAPI: app.SettingsAPI(d, settings), db: d.DB, audit: d.Audit, st: store{db: d.DB}, cal: cal, settings: settings, log: k.Logger(), now: s.now,
		bundles: map[string]*mattersv1.Bundle{}}
	for _, b := range bundles {
		svc.bundles[b.GetCode()] = b
	}
	if svc.slaCount, err = calendar.NewCrossings(otel.Meter("github.com/gaoxing-gov/gaoxing/services/matters"), Name); err != nil {
		return err
	}
	if svc.slaCases, err = slasweep.NewGauges(otel.Meter("github.com/gaoxing-gov/gaoxing/services/matters"), Name); err != nil {
		return err
	}
	d.Defer(func() { _ = svc.slaCases.Close() })
	// Document references (materials, 容缺 commitments, 帮代办 authorisations, results)
	// are checked against the documents service when it is known.
	if svc.docs, err = docref.Dial(d.Env.Peers["documents"], d.Log); err != nil {
		return fmt.Errorf("matters: %w", err)
	}
	d.Defer(func() { _ = svc.docs.Close() })
	// 免申即享 reads enterprise profiles from the register the stewardship service keeps.
	if svc.register, err = dialRegister(d.Env.Peers["stewardship"], d.Log); err != nil {
		return fmt.Errorf("matters: %w", err)
	}
	d.Defer(func() { _ = svc.register.Close() })
	if err := svc.seed(ctx); err != nil {
		return err
	}
	s.svc = svc
	k.Owners.Set(authz.OwnerLookup{Owner: svc.ownerOf, NotFound: notFound})
	if err := kit.Register(ctx, k.Service, svc, mattersv1.MattersService_ServiceDesc.ServiceName,
		mattersv1.NewMattersServiceClient, mattersv1.RegisterMattersServiceHandlerClient); err != nil {
		return err
	}
	// Applications filed before they carried an owner get the one their record names.
	d.Go(app.Loop{Name: Name + "-owner-backfill", Leader: true, Run: svc.backfillOwners})
	// The 容缺 and SLA sweeps run on the leader only.
	d.Go(app.Loop{Name: Name + "-commitments", Leader: true, Run: func(ctx context.Context) error {
		return svc.sweepLoop(ctx, s.sweepInterval)
	}})
	return nil
}
