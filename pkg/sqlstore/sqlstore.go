package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/XSAM/otelsql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The engines Open accepts.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DB is a service's database: a writer and a reader pool (the same pool on PostgreSQL)
// and the transaction, if any, carried in each call's context.
type DB struct {
	dialect Dialect
	writer  *sql.DB  // SQLite: the one writer connection; PostgreSQL: the pool
	reader  *sql.DB  // SQLite: read-only connections; PostgreSQL: same as writer
	blocks  sync.Map // PostgreSQL: sequence name → *seqBlock reserved by this process
	// checkOnly: Migrate changes nothing and only checks (WithoutMigrating).
	checkOnly bool
}

// Option configures Open.
type Option func(*config)

type config struct {
	maxConns    int           // PostgreSQL pool size; SQLite read pool size
	busyTimeout time.Duration // SQLite: how long a statement waits for a lock
	checkOnly   bool          // WithoutMigrating
}

// WithoutMigrating opens the database without changing its schema: every Migrate (Open's
// own, the service's, a shared package's) only checks that its migrations are all
// applied, and returns ErrSchemaBehind when they are not. A service whose database role
// has no DDL rights opens its database this way; the migration role applies them first.
func WithoutMigrating() Option { return func(c *config) { c.checkOnly = true } }

// ErrSchemaBehind reports a database opened WithoutMigrating whose migrations are not
// all applied (or whose version table does not exist yet).
var ErrSchemaBehind = errors.New("sqlstore: the schema is behind: migrations are pending")

// WithMaxConns sets the PostgreSQL pool size or, on SQLite, the number of read connections
// (the writer is always one). Default 10 on PostgreSQL, 4 on SQLite.
func WithMaxConns(n int) Option { return func(c *config) { c.maxConns = n } }

// WithBusyTimeout sets how long a SQLite statement waits for a lock held by another
// process (a backup, the admin CLI) before failing. Default 5 s.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// ErrBadDSN reports a DSN that names no engine sqlstore supports.
var ErrBadDSN = errors.New("sqlstore: unsupported DSN")

// Open opens the database named by dsn and applies sqlstore's own migrations, then the
// service's (migrations may be nil). dsn is "postgres://…" or "postgresql://…" (any pgx
// connection URL) or "sqlite:<path>" (the file and its directory are created if missing).
// "sqlite::memory:" is refused: an in-memory SQLite database cannot be shared by a
// separate writer and read pool (shared cache has no WAL and no busy waiting); use a file
// in a temporary directory.
func Open(ctx context.Context, dsn string, migrations fs.FS, opts ...Option) (*DB, error) {
	cfg := config{busyTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(dsn, cfg)
	case strings.HasPrefix(dsn, "sqlite:"):
		db, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"), cfg)
	default:
		return nil, fmt.Errorf("%w: %q (want postgres://… or sqlite:<path>)", ErrBadDSN, redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	db.checkOnly = cfg.checkOnly
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Migrate(ctx, kitVersionTable, kitMigrations()); err != nil {
		db.Close()
		return nil, err
	}
	if migrations != nil {
		if err := db.Migrate(ctx, serviceVersionTable, migrations); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func openPostgres(dsn string, cfg config) (*DB, error) {
	pool, err := openTraced("pgx", dsn, Postgres)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	n := cfg.maxConns
	if n <= 0 {
		n = 10
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{dialect: Postgres, writer: pool, reader: pool}, nil
}

func openSQLite(path string, cfg config) (*DB, error) {
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("%w: sqlite needs a file path, got %q (an in-memory database cannot have a separate writer and readers; use a temporary file)", ErrBadDSN, path)
	case strings.ContainsAny(path, "?#"):
		return nil, fmt.Errorf("%w: sqlite path %q contains ? or #", ErrBadDSN, path)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlstore: sqlite directory: %w", err)
		}
	}
	// Pragmas are set per connection by the driver. Busy timeout comes first so that the
	// others wait for a lock instead of failing. journal_mode=WAL is persistent and set by
	// the writer, which is opened (and pinged) before any reader.
	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.busyTimeout.Milliseconds()))
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(NORMAL)")

	w := cloneValues(common)
	w.Add("_pragma", "journal_mode(WAL)")
	// BEGIN IMMEDIATE takes the write lock at once, so a transaction that reads and then
	// writes never fails to upgrade its lock because another process wrote in between.
	w.Set("_txlock", "immediate")
	writer, err := openTraced("sqlite", path+"?"+w.Encode(), SQLite)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open sqlite writer: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	// Make the file and switch it to WAL before readers open it.
	if err := writer.PingContext(context.Background()); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite %q: %w", path, err)
	}

	r := cloneValues(common)
	r.Add("_pragma", "query_only(1)")
	reader, err := openTraced("sqlite", path+"?"+r.Encode(), SQLite)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlstore: open sqlite reader: %w", err)
	}
	n := cfg.maxConns
	if n <= 0 {
		n = 4
	}
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	return &DB{dialect: SQLite, writer: writer, reader: reader}, nil
}

// openTraced opens a pool whose statements are spans, children of the call that runs them:
// the statement text (placeholders, never the values bound to them), its kind, the
// engine. Statements outside a traced call (migrations, background loops) are not traced,
// and rows, session resets and connects are left out: they would double the spans of a
// call without saying more.
func openTraced(driverName, dsn string, d Dialect) (*sql.DB, error) {
	return otelsql.Open(driverName, dsn,
		otelsql.WithAttributes(attribute.String("db.system.name", dbSystem[d])),
		otelsql.WithMeterProvider(noop.NewMeterProvider()),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			DisableErrSkip:       true,
			OmitConnResetSession: true,
			OmitRows:             true,
			OmitConnectorConnect: true,
			SpanFilter: func(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
				return telemetry.InCall(ctx)
			},
		}))
}

// dbSystem is the semantic-convention name of each engine.
var dbSystem = map[Dialect]string{Postgres: "postgresql", SQLite: "sqlite"}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// redact hides a password in a DSN before it reaches an error message or a log.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Dialect is the engine behind db.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers, for readiness probes: the writer and, on SQLite,
// the read pool.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping: %w", err)
	}
	if db.reader != db.writer {
		if err := db.reader.PingContext(ctx); err != nil {
			return fmt.Errorf("sqlstore: ping readers: %w", err)
		}
	}
	return nil
}

// Close closes both pools. On SQLite the writer closes last, so the last connection to go
// checkpoints the WAL into the database file.
func (db *DB) Close() error {
	var err error
	if db.reader != db.writer {
		err = db.reader.Close()
	}
	return errors.Join(err, db.writer.Close())
}
