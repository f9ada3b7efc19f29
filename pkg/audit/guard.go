package audit

import (
	"context"
	"fmt"

	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// The database itself refuses to change or remove audit records: a trigger aborts every
// UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit_records, whoever sends it. Only
// someone who can drop the trigger can rewrite the log, and the hash chain (Verify)
// still shows what they did.
const guardMessage = "audit_records is append-only"

var guards = map[sqlstore.Dialect][]string{
	sqlstore.SQLite: {
		`CREATE TRIGGER IF NOT EXISTS audit_records_no_update BEFORE UPDATE ON audit_records
			BEGIN SELECT RAISE(ABORT, '` + guardMessage + `'); END`,
		`CREATE TRIGGER IF NOT EXISTS audit_records_no_delete BEFORE DELETE ON audit_records
			BEGIN SELECT RAISE(ABORT, '` + guardMessage + `'); END`,
	},
	sqlstore.Postgres: {
		`CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION '` + guardMessage + `'; END $$`,
		`CREATE OR REPLACE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_records
			FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only()`,
	},
}

// guardTriggers are the triggers guards install, as the catalogues name them.
var guardTriggers = map[sqlstore.Dialect]string{
	sqlstore.SQLite:   `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ('audit_records_no_update', 'audit_records_no_delete')`,
	sqlstore.Postgres: `SELECT count(*) * 2 FROM pg_trigger WHERE tgname = 'audit_records_append_only' AND tgrelid = 'audit_records'::regclass`,
}

// guard installs the triggers, in one transaction; replicas starting together may race
// on PostgreSQL's catalog, so a failed attempt is tried once more. A process that may
// not change the schema (a runtime role without DDL rights: the triggers belong to the
// migration role, so it cannot drop them either) only checks they are there.
func guard(ctx context.Context, db *sqlstore.DB) error {
	if !db.MigratesSchema() {
		var n int
		if err := db.QueryRow(ctx, guardTriggers[db.Dialect()]).Scan(&n); err != nil {
			return fmt.Errorf("%w: audit guard: %w", sqlstore.ErrSchemaBehind, err)
		}
		if n != 2 {
			return fmt.Errorf("%w: audit_records has no append-only guard", sqlstore.ErrSchemaBehind)
		}
		return nil
	}
	install := func() error {
		return db.InTx(ctx, func(ctx context.Context) error {
			for _, q := range guards[db.Dialect()] {
				if _, err := db.Exec(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := install(); err != nil {
		if err := install(); err != nil {
			return fmt.Errorf("audit: append-only guard: %w", err)
		}
	}
	return nil
}
