package documents

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/leader"
	"github.com/gaoxing-gov/gaoxing/proto/gen"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the documents service as the launcher runs it (app.Service).
type Server struct {
	bucket        string
	scanner       Scanner
	sweepInterval time.Duration
	orphanGrace   time.Duration
	ready         chan struct{}
	readyOnce     sync.Once
	now           func() time.Time // the clock; tests move it
	svc           *service         // set by Run, for tests
	sweeper       *sweeper
}

// Option configures a Server.
type Option func(*Server)

// WithBucket sets the bucket (default DefaultBucket).
func WithBucket(name string) Option { return func(s *Server) { s.bucket = name } }

// WithScanner sets the scan hook told about new versions when scanning is on.
func WithScanner(sc Scanner) Option { return func(s *Server) { s.scanner = sc } }

// WithSweep sets how often the leader sweeps, and how old an object without metadata must
// be before the sweep removes it (longer than any upload can take; default 1 h).
func WithSweep(interval, orphanGrace time.Duration) Option {
	return func(s *Server) { s.sweepInterval, s.orphanGrace = interval, orphanGrace }
}

// New returns the documents service.
func New(opts ...Option) *Server {
	s := &Server{bucket: DefaultBucket, sweepInterval: 10 * time.Minute, orphanGrace: time.Hour, ready: make(chan struct{}),
		now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Name is "documents".
func (s *Server) Name() string { return Name }

// Ready is closed once Run serves (tests wait on it).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run serves until ctx ends. The bucket is created (with object locking) if missing; when
// storage cannot be reached at start Run fails, as a replica that cannot store is useless.
func (s *Server) Run(ctx context.Context, env app.Env) error {
	log := env.Log()
	db, err := app.OpenDB(ctx, env, Name, migrationFiles, audit.Migrate)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	if env.MinIO.Bucket != "" && s.bucket == DefaultBucket {
		s.bucket = env.MinIO.Bucket // --minio-bucket, unless WithBucket chose one
	}
	blob, err := newStorage(env.MinIO, s.bucket)
	if err != nil {
		return err
	}
	if err := blob.ensureBucket(ctx); err != nil {
		return fmt.Errorf("documents: bucket %s: %w", s.bucket, err)
	}
	settings, err := config.Watch(ctx, env.Etcd, Name, DefaultSettings(), config.WithLogger(log))
	if err != nil {
		return err
	}
	defer settings.Close()
	k, err := app.NewKit(ctx, env, Name, db, app.Security{Rules: Rules})
	if err != nil {
		return err
	}
	defer func() { _ = k.Close() }()
	svc := &service{
		db: db, st: store{db: db}, blob: blob, settings: settings, enforcer: k.Enforcer,
		scanner: s.scanner, log: k.Logger(), now: s.now,
	}
	s.svc = svc
	b := bind(k.Service, svc)
	documentsv1.RegisterDocumentsServiceServer(k.GRPC(), b)
	if err := documentsv1.RegisterDocumentsServiceHandlerServer(ctx, k.Gateway(), b); err != nil {
		return err
	}
	// The streaming routes: the upload bypasses the gateway's small-body limit; the
	// download is a custom verb on the gateway's own router.
	k.HandleHTTP("POST /v1/tenants/{tenant}/documents:upload", k.Verifier.Handler(svc.uploadHandler(k.Enforcer)))
	err = k.Gateway().HandlePath(http.MethodGet, "/v1/{name=tenants/*/documents/*}:download",
		func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			k.Verifier.Handler(svc.downloadHandler(k.Enforcer, params["name"])).ServeHTTP(w, r)
		})
	if err != nil {
		return err
	}
	spec, err := gen.OpenAPI(Name)
	if err != nil {
		return err
	}
	k.OpenAPI(spec)
	k.Health().Add("sql", db.Ping)
	k.Health().Add("storage", blob.ping)

	sweeper := &sweeper{svc: svc, grace: s.orphanGrace}
	s.sweeper = sweeper
	go func() {
		_ = leader.Run(ctx, env.Etcd, Name+"-sweeper", func(ctx context.Context) error {
			return sweeper.loop(ctx, s.sweepInterval)
		}, leader.WithLogger(log))
	}()
	s.readyOnce.Do(func() { close(s.ready) })
	return k.Serve(ctx, env.GRPC, env.HTTP)
}
