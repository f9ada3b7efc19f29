package app

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Tables is a shared package's own migrations (audit.Migrate, outbox.Migrate), applied
// beside the service's.
type Tables func(ctx context.Context, db *sqlstore.DB) error

// OpenDB opens the service's database (env.SQL(name)), runs the service's migrations from
// the "migrations" directory of files, then the shared tables it uses (with
// env.Migrate == MigrateNever it only checks that they are applied: sqlstore.ErrSchemaBehind):
//
//	db, err := app.OpenDB(ctx, env, Name, migrationFiles, audit.Migrate, outbox.Migrate)
func OpenDB(ctx context.Context, env Env, name string, files fs.FS, shared ...Tables) (*sqlstore.DB, error) {
	migrations, err := fs.Sub(files, "migrations")
	if err != nil {
		return nil, err
	}
	var opts []sqlstore.Option
	if env.SQLMaxConns > 0 {
		opts = append(opts, sqlstore.WithMaxConns(env.SQLMaxConns))
	}
	if env.Migrate == MigrateNever {
		opts = append(opts, sqlstore.WithoutMigrating())
	}
	db, err := sqlstore.Open(ctx, env.SQL(name), migrations, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, migrate := range shared {
		if err := migrate(ctx, db); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("%s: shared tables: %w", name, err)
		}
	}
	return db, nil
}

// Log is env.Logger, or slog.Default() when the caller gave none.
func (e Env) Log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.Default()
}
