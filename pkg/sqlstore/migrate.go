package sqlstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

const (
	kitVersionTable     = "kit_db_version"
	serviceVersionTable = goose.DefaultTablename
)

//go:embed migrations/*.sql
var kitFS embed.FS

func kitMigrations() fs.FS {
	sub, err := fs.Sub(kitFS, "migrations")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Migrate applies the goose SQL migrations at the root of fsys that are not applied yet,
// recording them in versionTable (opened WithoutMigrating, it only checks they are). Open runs it for sqlstore's own tables and for the
// service's; a shared package with tables of its own (audit, outbox) calls it with a
// version table of its own, so its history never collides with the service's.
func (db *DB) Migrate(ctx context.Context, versionTable string, fsys fs.FS) error {
	opts := []goose.ProviderOption{
		goose.WithTableName(versionTable),
		goose.WithDisableGlobalRegistry(true), // SQL files only, never Go migrations registered elsewhere
		goose.WithLogger(goose.NopLogger()),
	}
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Replicas starting together take turns; the lock id is derived from the table so
		// different histories do not wait for each other.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(versionTable)))
		if err != nil {
			return fmt.Errorf("sqlstore: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.writer, fsys, opts...)
	if errors.Is(err, goose.ErrNoMigrations) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlstore: migrations for %s: %w", versionTable, err)
	}
	if db.checkOnly {
		// No lock and no DDL: a missing version table is as behind as a pending file.
		pending, err := p.HasPending(ctx)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrSchemaBehind, versionTable, err)
		}
		if pending {
			return fmt.Errorf("%w: %s", ErrSchemaBehind, versionTable)
		}
		return nil
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate %s: %w", versionTable, err)
	}
	return nil
}

// MigratesSchema reports whether this process may change the schema (false when opened
// WithoutMigrating): a shared package with DDL beyond its migration files (the audit
// guard's triggers) checks instead of creating when it may not.
func (db *DB) MigratesSchema() bool { return !db.checkOnly }

// lockID is a stable advisory-lock id for a version table (FNV-1a, 63 bits).
func lockID(table string) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(table); i++ {
		h ^= uint64(table[i])
		h *= 1099511628211
	}
	return int64(h >> 1)
}
