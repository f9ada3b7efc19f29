package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/objstore"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/services/console"
)

// upConfig is what `gaoxing up` is told on its command line.
type upConfig struct {
	DataDir   string
	Addr      string // the one HTTP port: status page and /api/<service>/
	EtcdAddr  string // etcd client address; port 0 picks a free one
	MinIOAddr string // MinIO S3 address; port 0 picks a free one
	// Observe runs Jaeger and Prometheus beside the platform (observe.go).
	Observe        bool
	AlertRules     string        // a Prometheus rule file for Prometheus to evaluate
	ScrapeInterval time.Duration // Prometheus's scrape and evaluation interval
	// MockCourt runs e2e/mockcourt beside the platform (mockcourt.go).
	MockCourt bool
}

const (
	startTimeout      = 3 * time.Minute  // etcd and MinIO, each (MinIO starts slowly on a busy machine)
	serviceReadyWait  = 30 * time.Second // services' /readyz before "ready" is printed anyway
	serviceStopGrace  = 20 * time.Second // a service's Run must return within this after cancel
	frontStopGrace    = 5 * time.Second
	startsKey         = "/gaoxing/launcher/starts"
	stateStarting     = "starting"
	stateRunning      = "running"
	stateStopping     = "stopping"
	stateStopped      = "stopped"
	stateFailed       = "failed"
	kindInfra         = "infrastructure"
	kindService       = "service"
	dataDirPermission = 0o700
)

func upCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg upConfig
	fs.StringVar(&cfg.DataDir, "data", "./data", "data `directory`: etcd, MinIO and the services' databases; kept across restarts")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP `address` of the status page and the /api/<service>/ routes")
	fs.StringVar(&cfg.EtcdAddr, "etcd-addr", "127.0.0.1:0", "client `address` of the embedded etcd (port 0: a free port)")
	fs.StringVar(&cfg.MinIOAddr, "minio-addr", "127.0.0.1:0", "S3 `address` of the MinIO server (port 0: a free port)")
	fs.BoolVar(&cfg.Observe, "observe", true, "run Jaeger (traces) and Prometheus (metrics, alerts) too, when they are built")
	fs.StringVar(&cfg.AlertRules, "alert-rules", "", "Prometheus alerting-rule `file` to evaluate (the chart's alerts/gaoxing.rules.yaml)")
	fs.BoolVar(&cfg.MockCourt, "mock-court", false, "run the mock court (bin/mockcourt) as 高新区人民法院's system, driven by legalaid's webhooks")
	fs.DurationVar(&cfg.ScrapeInterval, "scrape-interval", 15*time.Second, "how often Prometheus scrapes the services and evaluates the rules")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: gaoxing up [flags]\n\nRuns etcd, MinIO and every service on this machine; Ctrl-C stops them.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gaoxing up: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	// The console's ops routes (traces, metrics, alerts for operators) run as a service
	// beside the others, behind the same chain; the launcher serves the pages itself.
	var l *launcher
	services := append(slices.Clone(registry), console.New(console.APIOnly(), console.WithOps(func() console.Upstreams { return l.opsUpstreams() })))
	l = newLauncher(cfg, services, stdout, slog.New(slog.NewTextHandler(stderr, nil)))
	if err := l.run(ctx); err != nil {
		fmt.Fprintf(stderr, "gaoxing up: %v\n", err)
		return 1
	}
	return 0
}

// launcher runs the platform for one `gaoxing up`.
type launcher struct {
	cfg      upConfig
	services []app.Service
	out      io.Writer // the few lines people read: where it listens, ready, stopped
	log      *slog.Logger

	mu         sync.Mutex
	startedAt  time.Time
	dataDir    string // absolute
	frontAddr  string // where the one HTTP port listens, once it does
	minioBin   string
	jaegerURL  string // the query API, when Jaeger runs
	promURL    string // Prometheus's HTTP API, when it runs
	starts     int64
	components []*component
	proxies    map[string]http.Handler // by service name
	stopping   bool
	stops      []stopStep
	failed     chan error // a component that ended on its own
	console    fs.FS      // the console's files; nil: the embedded build
	// webhooks are receivers the launcher runs itself (the mock court), beside <data>/webhooks.
	webhooks     outbox.StaticEndpoints
	mockCourtBin string // a test's build of the mock court; "": infra.Binary
}

// component is one thing the launcher runs, as the status page shows it.
type component struct {
	name, kind  string
	address     string // etcd client URL, MinIO S3 host:port, a service's gRPC host:port
	httpAddress string // a service's HTTP listener
	route       string // a service's public prefix on the launcher's port
	pid         int    // the MinIO process
	state       string
	err         string
	probe       func(context.Context) error // readiness, asked while running
}

// stopStep undoes one start step; they run in reverse order of registration.
type stopStep struct {
	component *component // nil for steps no one sees (closing a client or a file)
	stop      func() error
}

func newLauncher(cfg upConfig, services []app.Service, out io.Writer, log *slog.Logger) *launcher {
	return &launcher{
		cfg: cfg, services: services, out: out, log: log,
		proxies: map[string]http.Handler{},
		failed:  make(chan error, len(services)+1),
	}
}

// run brings everything up, serves until ctx ends or a component fails, then stops
// everything in reverse order: services, MinIO, etcd, and last the front port.
func (l *launcher) run(ctx context.Context) error {
	began := time.Now()
	// Find MinIO before starting anything, so a missing binary fails at once.
	minioBin, err := infra.Binary("minio")
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(l.cfg.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, dataDirPermission); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	release, err := lockDataDir(filepath.Join(dir, "gaoxing.lock"))
	if err != nil {
		return err
	}
	defer release()
	l.mu.Lock()
	l.startedAt, l.dataDir, l.minioBin = began, dir, minioBin
	l.mu.Unlock()

	front, err := net.Listen("tcp", l.cfg.Addr)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.frontAddr = front.Addr().String() // the handler's console needs the issuer
	l.mu.Unlock()
	srv := &http.Server{Handler: l.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(front); !errors.Is(err, http.ErrServerClosed) {
			l.log.Error("front port stopped serving", "err", err)
		}
	}()
	l.onStop(nil, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), frontStopGrace)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	fmt.Fprintf(l.out, "gaoxing: listening on http://%s (data %s)\n", front.Addr(), dir)

	err = l.start(ctx)
	if err == nil {
		fmt.Fprintf(l.out, "gaoxing: ready in %s; status at http://%s/status — Ctrl-C to stop\n",
			time.Since(began).Round(time.Millisecond), front.Addr())
		l.printSignIn("http://" + front.Addr().String())
		select {
		case <-ctx.Done():
		case err = <-l.failed:
		}
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = nil // interrupted while starting: a normal stop
	}
	fmt.Fprintln(l.out, "gaoxing: stopping")
	err = errors.Join(err, l.stopAll())
	if err == nil {
		fmt.Fprintln(l.out, "gaoxing: stopped")
	}
	return err
}

// start starts etcd, MinIO and the services, registering how to stop each.
func (l *launcher) start(ctx context.Context) error {
	etcdC := l.add(&component{name: "etcd", kind: kindInfra})
	minioC := l.add(&component{name: "minio", kind: kindInfra})
	serviceCs := make([]*component, len(l.services))
	for i, s := range l.services {
		serviceCs[i] = l.add(&component{name: s.Name(), kind: kindService, route: "/api/" + s.Name() + "/"})
	}

	if l.cfg.Observe {
		// First, so that the services' spans have somewhere to go from their start.
		if err := l.startJaeger(ctx); err != nil {
			return err
		}
	}
	etcd, client, err := l.startEtcd(ctx, etcdC)
	if err != nil {
		return err
	}
	starts, err := countStart(ctx, client)
	if err != nil {
		return fmt.Errorf("start counter in etcd: %w", err)
	}
	l.mu.Lock()
	l.starts = starts
	l.mu.Unlock()
	fmt.Fprintf(l.out, "gaoxing: etcd %s (start #%d of this data directory)\n", etcd.Endpoint, starts)
	if err := seed(ctx, client, l.out); err != nil {
		return err
	}

	minioCfg, err := l.startMinIO(ctx, minioC)
	if err != nil {
		return err
	}
	fmt.Fprintf(l.out, "gaoxing: minio %s (credentials in %s)\n", minioCfg.Endpoint, l.path("minio.json"))

	if l.cfg.MockCourt {
		if err := l.startMockCourt(ctx, client); err != nil {
			return err
		}
	}
	if err := l.startServices(ctx, serviceCs, client, minioCfg); err != nil {
		return err
	}
	if l.cfg.Observe {
		return l.startPrometheus(ctx, serviceCs)
	}
	return nil
}

func (l *launcher) startEtcd(ctx context.Context, c *component) (*infra.Etcd, *clientv3.Client, error) {
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	etcd, err := infra.StartEtcd(sctx, infra.EtcdConfig{
		Dir:        l.path("etcd"),
		ClientAddr: l.cfg.EtcdAddr,
		LogFile:    l.path("etcd.log"),
	})
	if err != nil {
		l.setState(c, stateFailed, err)
		return nil, nil, err
	}
	l.onStop(c, func() error { etcd.Close(); return nil })
	client, err := etcd.Client()
	if err != nil {
		l.setState(c, stateFailed, err)
		return nil, nil, err
	}
	l.onStop(nil, client.Close) // runs before etcd.Close
	// The admin commands find this launcher's etcd through the data directory.
	if err := os.WriteFile(l.path(endpointFile), []byte(etcd.Endpoint+"\n"), 0o600); err != nil {
		l.setState(c, stateFailed, err)
		return nil, nil, fmt.Errorf("record etcd endpoint: %w", err)
	}
	l.mu.Lock()
	c.address = etcd.Endpoint
	c.probe = func(ctx context.Context) error { return etcd.Ready(ctx, client) }
	c.state = stateRunning
	l.mu.Unlock()
	return etcd, client, nil
}

// logFile opens (appending) the log of a helper process the launcher starts, under the
// data directory, closed when the launcher stops, after the process has stopped writing.
func (l *launcher) logFile(name string) (*os.File, error) {
	f, err := os.OpenFile(l.path(name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	l.onStop(nil, f.Close)
	return f, nil
}

func (l *launcher) startMinIO(ctx context.Context, c *component) (objstore.Config, error) {
	creds, err := loadOrCreateCredentials(l.path("minio.json"))
	if err != nil {
		l.setState(c, stateFailed, err)
		return objstore.Config{}, fmt.Errorf("minio credentials: %w", err)
	}
	logFile, err := l.logFile("minio.log")
	if err != nil {
		l.setState(c, stateFailed, err)
		return objstore.Config{}, err
	}
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	p, err := infra.StartMinIO(sctx, infra.MinIOServer{
		Binary:    l.minioBin,
		Dir:       l.path("minio"),
		Address:   l.cfg.MinIOAddr,
		AccessKey: creds.AccessKey,
		SecretKey: creds.SecretKey,
		Output:    logFile,
	})
	if err != nil {
		l.setState(c, stateFailed, err)
		return objstore.Config{}, err
	}
	l.onStop(c, p.Stop)
	l.mu.Lock()
	c.address, c.pid, c.probe, c.state = p.Config().Endpoint, p.PID(), p.Ready, stateRunning
	l.mu.Unlock()
	go func() {
		// MinIO dying on its own is shown as failed but does not take the platform down:
		// services must answer 503 without it, and a developer may be testing just that.
		<-p.Done()
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.stopping {
			c.state, c.err = stateFailed, "MinIO exited on its own: "+lastLine(p.Output())
			l.log.Error("minio exited on its own", "log", l.path("minio.log"))
		}
	}()
	return p.Config(), nil
}

// startServices gives every service its loopback listeners and runs it; a service whose
// Run returns while the launcher is not stopping takes the launcher down.
func (l *launcher) startServices(ctx context.Context, cs []*component, etcd *clientv3.Client, minioCfg objstore.Config) error {
	if len(l.services) == 0 {
		return nil
	}
	grpcLis := make([]net.Listener, len(l.services))
	httpLis := make([]net.Listener, len(l.services))
	closeAll := func() {
		for i := range l.services {
			for _, lis := range []net.Listener{grpcLis[i], httpLis[i]} {
				if lis != nil {
					_ = lis.Close()
				}
			}
		}
	}
	peers := map[string]string{}
	for i, s := range l.services {
		var err error
		if grpcLis[i], err = net.Listen("tcp", "127.0.0.1:0"); err == nil {
			httpLis[i], err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			closeAll()
			return fmt.Errorf("listeners for %s: %w", s.Name(), err)
		}
		peers[s.Name()] = grpcLis[i].Addr().String()
	}

	// Webhook receivers, when the operator has put them in <data>/webhooks
	// (<receiver>.url and <receiver>.secret); without them events wait in the outbox.
	webhooks, err := outbox.LoadEndpoints(l.path("webhooks"))
	if err != nil {
		closeAll()
		return err
	}
	if len(l.webhooks) > 0 {
		all := outbox.StaticEndpoints{}
		if static, ok := webhooks.(outbox.StaticEndpoints); ok {
			for k, v := range static {
				all[k] = v
			}
		}
		for k, v := range l.webhooks {
			all[k] = v
		}
		webhooks = all
	}

	// Waiting for readiness (below) ends early when a service fails.
	readyCtx, readyCancel := context.WithTimeout(ctx, serviceReadyWait)
	defer readyCancel()
	runCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	l.onStop(nil, func() error {
		cancel()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-time.After(serviceStopGrace):
			return fmt.Errorf("services still running %s after being told to stop", serviceStopGrace)
		}
	})
	for i, s := range l.services {
		dataDir := l.path(s.Name())
		if err := os.MkdirAll(dataDir, dataDirPermission); err != nil {
			closeAll()
			return err
		}
		env := app.Env{
			GRPC: grpcLis[i], HTTP: httpLis[i],
			Etcd: etcd, DataDir: dataDir, MinIO: minioCfg,
			Peers:    peersExcept(peers, s.Name()),
			Webhooks: webhooks,
			Logger:   l.log, // kit.New adds the service name
			// Tokens come from identity's OpenID Provider, reached through the front port
			// like any client reaches it.
			Auth: app.AuthConfig{Issuer: l.issuer(), Audience: app.DefaultAudience},
		}
		c, httpAddr := cs[i], httpLis[i].Addr().String()
		l.mu.Lock()
		c.address, c.httpAddress, c.state = peers[s.Name()], httpAddr, stateRunning
		c.probe = func(ctx context.Context) error { return infra.CheckHTTP(ctx, "http://"+httpAddr+"/readyz") }
		l.proxies[s.Name()] = newServiceProxy(httpAddr)
		l.mu.Unlock()
		wg.Go(func() {
			err := s.Run(runCtx, env)
			l.mu.Lock()
			defer l.mu.Unlock()
			switch {
			case l.stopping && (err == nil || errors.Is(err, context.Canceled)):
				c.state = stateStopped // told to stop, and did
			case l.stopping:
				c.state, c.err = stateFailed, err.Error()
			default:
				if err == nil {
					err = errors.New("returned without being asked to stop")
				}
				c.state, c.err = stateFailed, err.Error()
				l.failed <- fmt.Errorf("service %s: %w", s.Name(), err)
				readyCancel()
			}
		})
	}

	// Wait a little for the services' own readiness so "ready" means it; one that is
	// slow is reported, not fatal: the status page keeps showing it.
	var ready sync.WaitGroup
	for _, c := range cs {
		ready.Go(func() {
			if err := infra.Poll(readyCtx, 50*time.Millisecond, c.probe); err != nil && errors.Is(readyCtx.Err(), context.DeadlineExceeded) {
				l.log.Warn("service not ready yet", "service", c.name, "err", err)
			}
		})
	}
	ready.Wait()
	select {
	case err := <-l.failed:
		return err
	default:
		return nil
	}
}

func peersExcept(all map[string]string, name string) map[string]string {
	m := make(map[string]string, len(all))
	for k, v := range all {
		if k != name {
			m[k] = v
		}
	}
	return m
}

// countStart adds one to the data directory's start counter in etcd and returns it.
// That the number grows across restarts is how `up` shows that data survived.
func countStart(ctx context.Context, c *clientv3.Client) (int64, error) {
	for {
		resp, err := c.Get(ctx, startsKey)
		if err != nil {
			return 0, err
		}
		var n, rev int64
		if len(resp.Kvs) == 1 {
			rev = resp.Kvs[0].ModRevision
			if n, err = strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64); err != nil {
				return 0, fmt.Errorf("%s holds %q: %w", startsKey, resp.Kvs[0].Value, err)
			}
		}
		n++
		txn, err := c.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(startsKey), "=", rev)).
			Then(clientv3.OpPut(startsKey, strconv.FormatInt(n, 10))).
			Commit()
		if err != nil {
			return 0, err
		}
		if txn.Succeeded {
			return n, nil
		}
	}
}

// issuer is identity's OpenID Provider as clients reach it: through the front port.
func (l *launcher) issuer() string { return "http://" + l.frontAddr + "/api/identity" }

// consoleFiles is the console's built application (a test may swap it).
func (l *launcher) consoleFiles() fs.FS {
	if l.console != nil {
		return l.console
	}
	return console.Assets()
}

func (l *launcher) path(name string) string { return filepath.Join(l.dataDir, name) }

func (l *launcher) add(c *component) *component {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.state = stateStarting
	l.components = append(l.components, c)
	return c
}

func (l *launcher) setState(c *component, state string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.state = state
	if err != nil {
		c.err = err.Error()
	}
}

func (l *launcher) onStop(c *component, stop func() error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stops = append(l.stops, stopStep{component: c, stop: stop})
}

// stopAll runs the stop steps in reverse order of start, every one of them even when
// some fail, and returns their errors.
func (l *launcher) stopAll() error {
	l.mu.Lock()
	l.stopping = true
	steps := l.stops
	l.stops = nil
	for _, c := range l.components {
		if c.state == stateRunning && c.kind == kindService {
			c.state = stateStopping
		}
	}
	l.mu.Unlock()
	var errs []error
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if s.component != nil {
			l.setState(s.component, stateStopping, nil)
		}
		err := s.stop()
		if err != nil {
			errs = append(errs, err)
			l.log.Error("stop", "component", componentName(s.component), "err", err)
		}
		if s.component != nil {
			state := stateStopped
			if err != nil {
				state = stateFailed
			}
			l.setState(s.component, state, err)
		}
	}
	return errors.Join(errs...)
}

func componentName(c *component) string {
	if c == nil {
		return "-"
	}
	return c.name
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// printSignIn says where people sign in: the console in a browser and, for scripts,
// gaoxing login. On a data directory's first start the administrator's one-time password
// is in the log just above (first_login); its first sign-in chooses a new one.
func (l *launcher) printSignIn(base string) {
	l.mu.Lock()
	first := l.starts == 1
	l.mu.Unlock()
	fmt.Fprintf(l.out, "gaoxing: console at %s/ ; scripts: gaoxing login --url %s, then gaoxing api GET /api/...\n", base, base)
	if first {
		fmt.Fprintln(l.out, "gaoxing: first start: sign in as admin with the first_login password in the log above"+
			" (or $GAOXING_ADMIN_PASSWORD); the first sign-in chooses a new one")
	}
}
