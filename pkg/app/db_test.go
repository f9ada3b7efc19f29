package app_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

func TestOpenDBRunsServiceAndSharedMigrations(t *testing.T) {
	files := fstest.MapFS{"migrations/00001_probe.sql": {Data: []byte(
		"-- +goose Up\nCREATE TABLE probe (id TEXT PRIMARY KEY);\n-- +goose Down\nDROP TABLE probe;\n")}}
	env := app.Env{DataDir: t.TempDir()}

	db, err := app.OpenDB(t.Context(), env, "probe", files, audit.Migrate)
	require.NoError(t, err)
	_, err = db.Exec(t.Context(), `INSERT INTO probe (id) VALUES ($1)`, "a")
	require.NoError(t, err, "the service's own migration ran")
	_, err = db.Exec(t.Context(), `SELECT COUNT(*) FROM audit_records`)
	require.NoError(t, err, "the shared audit tables exist")
	require.NoError(t, db.Close())

	broken := func(context.Context, *sqlstore.DB) error { return errors.New("no such table") }
	_, err = app.OpenDB(t.Context(), env, "probe", files, broken)
	require.ErrorContains(t, err, "probe: shared tables: no such table")
}
