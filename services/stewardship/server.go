package stewardship

import (
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the stewardship service as the launcher runs it (app.Service).
type Server struct {
	app.Server
	ring        *sealed.Ring
	partTimeout time.Duration
	publicRate  float64
	publicBurst int
	demo        bool
	now         func() time.Time // the clock; tests move it
	svc         *service         // set by Run, for tests
}

// Option configures a Server.
type Option func(*Server)

// WithSealing sets the keys contacts are sealed with; default app.SealingKeys.
func WithSealing(r *sealed.Ring) Option { return func(s *Server) { s.ring = r } }

// WithPartTimeout sets how long the 360° view waits for each other service (default
// DefaultPartTimeout): a part that takes longer is marked unavailable.
func WithPartTimeout(d time.Duration) Option { return func(s *Server) { s.partTimeout = d } }

// WithPublicRate sets the public opportunity reads allowed per client address: rate per
// second and burst (default 20/s, burst 40).
func WithPublicRate(perSecond float64, burst int) Option {
	return func(s *Server) { s.publicRate, s.publicBurst = perSecond, burst }
}

// WithDemoData loads the demonstration data set at start when the register is empty:
// the creditor enterprises and the 502 entries of the arrears ledger (data/), for
// `gaoxing up`.
func WithDemoData() Option { return func(s *Server) { s.demo = true } }

// DefaultPartTimeout is how long the 360° view waits for one part from another service.
const DefaultPartTimeout = 300 * time.Millisecond

// New returns the stewardship service.
func New(opts ...Option) *Server {
	s := &Server{partTimeout: DefaultPartTimeout, publicRate: 20, publicBurst: 40, now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	s.Declare(app.Spec{Name: Name, Migrations: migrationFiles, Audit: true, Build: s.build})
	return s
}

func (s *Server) build(ctx context.Context, d *app.Deps) error {
	ring, err := d.Sealing(s.ring)
	if err != nil {
		return err
	}
	k := d.Kit
	svc := &service{API: audit.API{DB: d.DB}, db: d.DB, audit: d.Audit, ring: ring, enforcer: k.Enforcer,
		log: k.Logger(), now: s.now, partTimeout: s.partTimeout, limiter: newLimiter(s.publicRate, s.publicBurst)}
	// Photos and evidence are checked against the documents service when it is known.
	if svc.docs, err = docref.Dial(d.Env.Peers["documents"], d.Log); err != nil {
		return fmt.Errorf("stewardship: %w", err)
	}
	d.Defer(func() { _ = svc.docs.Close() })
	if svc.peers, err = dialPeers(d.Env.Peers, d.Log); err != nil {
		return fmt.Errorf("stewardship: %w", err)
	}
	d.Defer(svc.peers.close)
	if s.demo {
		if err := svc.loadDemo(ctx); err != nil {
			return fmt.Errorf("stewardship: demo data: %w", err)
		}
	}
	s.svc = svc
	k.Owners.Set(authz.OwnerLookup{Owner: svc.ownerOf, NotFound: func(name string) error {
		if strings.Contains(name, "/enrolments/") {
			return enrolmentNotFound(name)
		}
		return enterpriseNotFound(name)
	}})
	return kit.Register(ctx, k.Service, svc, stewardshipv1.StewardshipService_ServiceDesc.ServiceName,
		stewardshipv1.NewStewardshipServiceClient, stewardshipv1.RegisterStewardshipServiceHandlerClient)
}
