package matters

import (
	"context"
	"embed"
	"fmt"
	"sync"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/leader"
	"github.com/gaoxing-gov/gaoxing/proto/gen"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the matters service as the launcher runs it (app.Service).
type Server struct {
	sweepInterval time.Duration
	ready         chan struct{}
	readyOnce     sync.Once
	now           func() time.Time // the clock; tests move it
	svc           *service         // set by Run, for tests
}

// Option configures a Server.
type Option func(*Server)

// WithSweepInterval sets how often the leader terminates lapsed 容缺 commitments (default 1 min).
func WithSweepInterval(d time.Duration) Option { return func(s *Server) { s.sweepInterval = d } }

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
	db, err := app.OpenDB(ctx, env, Name, migrationFiles, audit.Migrate)
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
	svc := &service{db: db, st: store{db: db}, cal: cal, settings: settings, log: k.Logger(), now: s.now}
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

	// The 容缺 sweep runs on the leader only.
	go func() {
		_ = leader.Run(ctx, env.Etcd, Name+"-commitments", func(ctx context.Context) error {
			return svc.sweepLoop(ctx, s.sweepInterval)
		}, leader.WithLogger(log))
	}()
	s.readyOnce.Do(func() { close(s.ready) })
	return k.Serve(ctx, env.GRPC, env.HTTP)
}
