package documents

import (
	"context"
	"embed"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Server is the documents service as the launcher runs it (app.Service).
type Server struct {
	app.Server
	bucket        string
	scanner       Scanner
	sweepInterval time.Duration
	orphanGrace   time.Duration
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
	s := &Server{bucket: DefaultBucket, sweepInterval: 10 * time.Minute, orphanGrace: time.Hour,
		now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(s)
	}
	s.Declare(app.Spec{Name: Name, Migrations: migrationFiles, Audit: true, Build: s.build})
	return s
}

// build wires the service. The bucket is created (with object locking) if missing; until
// storage answers, the service waits and says so on /readyz.
func (s *Server) build(ctx context.Context, d *app.Deps) error {
	bucket := s.bucket
	if d.Env.MinIO.Bucket != "" && bucket == DefaultBucket {
		bucket = d.Env.MinIO.Bucket // --minio-bucket, unless WithBucket chose one
	}
	blob, err := newStorage(d.Env.MinIO, bucket)
	if err != nil {
		return err
	}
	if err := d.Await(ctx, "storage", blob.ensureBucket); err != nil {
		return err
	}
	settings, err := app.Settings(ctx, d, DefaultSettings())
	if err != nil {
		return err
	}
	k := d.Kit
	svc := &service{API: audit.API{DB: d.DB}, SettingsAPI: app.SettingsAPI(d, settings),
		db: d.DB, audit: d.Audit, st: store{db: d.DB}, blob: blob, settings: settings, enforcer: k.Enforcer,
		scanner: s.scanner, log: k.Logger(), now: s.now,
	}
	if svc.cases, err = dialCases(d.Env.Peers["legalaid"], d.Log); err != nil {
		return err
	}
	d.Defer(svc.cases.close)
	s.svc = svc
	k.Owners.Set(authz.OwnerLookup{Owner: svc.st.ownerOf, NotFound: notFound})
	if err := kit.Register(ctx, k.Service, svc, documentsv1.DocumentsService_ServiceDesc.ServiceName,
		documentsv1.NewDocumentsServiceClient, documentsv1.RegisterDocumentsServiceHandlerClient); err != nil {
		return err
	}
	// The streaming routes: the upload bypasses the gateway's small-body limit; the
	// download is a custom verb on the gateway's own router.
	k.Route("POST /v1/tenants/{tenant}/documents:upload", "UploadDocument", authz.Rule{Object: Object, Action: "create", Applicants: kit.ApplicantsFile}, svc.upload, kit.Streaming(kit.StreamTimeout))
	k.Route("GET /v1/{name=tenants/*/documents/*}:download", "DownloadDocument", authz.Rule{Object: Object, Action: "read", Applicants: kit.ApplicantsOwn}, svc.download, kit.Streaming(kit.StreamTimeout))
	k.Health().Add("storage", blob.ping)
	// The sweep of expired uploads and orphaned objects runs on the leader only.
	s.sweeper = &sweeper{svc: svc, grace: s.orphanGrace}
	d.Go(app.Loop{Name: Name + "-sweeper", Leader: true, Run: func(ctx context.Context) error {
		return s.sweeper.loop(ctx, s.sweepInterval)
	}})
	return nil
}
