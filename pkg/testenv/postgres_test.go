package testenv

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { Main(m) }

func TestPostgresGivesFreshDatabases(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	first, second := Postgres(t), Postgres(t)
	require.NotEqual(t, first, second)

	a := openPG(t, first)
	_, err := a.ExecContext(ctx, `CREATE TABLE marks (id BIGINT PRIMARY KEY)`)
	require.NoError(t, err)
	_, err = a.ExecContext(ctx, `INSERT INTO marks VALUES (1)`)
	require.NoError(t, err)

	// The second database is empty: the first one's table is not there.
	b := openPG(t, second)
	var n int
	require.NoError(t, b.QueryRowContext(ctx,
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n))
	require.Zero(t, n)

	// The server listens on loopback TCP and keeps fsync on.
	var addr, fsync string
	require.NoError(t, b.QueryRowContext(ctx, `SELECT host(inet_server_addr())`).Scan(&addr))
	require.Equal(t, "127.0.0.1", addr)
	require.NoError(t, b.QueryRowContext(ctx, `SHOW fsync`).Scan(&fsync))
	require.Equal(t, "on", fsync)
}

func TestPostgresDropsDatabaseAfterTest(t *testing.T) {
	var dsn string
	t.Run("inner", func(t *testing.T) { dsn = Postgres(t) })
	c, err := sharedCluster()
	require.NoError(t, err)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	name := strings.TrimPrefix(u.Path, "/")
	var n int
	require.NoError(t, c.admin.QueryRowContext(t.Context(),
		`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n))
	require.Zero(t, n, "database %s still exists", name)
}

func TestForEachSQLRunsBothEngines(t *testing.T) {
	var seen []string
	ForEachSQL(t, func(t *testing.T, dsn string) {
		seen = append(seen, dsn[:6])
	})
	require.Equal(t, []string{"sqlite", "postgr"}, seen)
}

func openPG(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestStaleClusterDirsAreRemoved(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	mk := func() string {
		d, err := os.MkdirTemp("", pgDirPrefix) //nolint:usetesting // where the clusters of killed runs are left
		require.NoError(t, err)
		t.Cleanup(func() { _ = os.RemoveAll(d) })
		require.NoError(t, os.WriteFile(filepath.Join(d, "owner.lock"), nil, 0o600))
		require.NoError(t, os.Chtimes(d, old, old))
		return d
	}
	stale, live := mk(), mk()
	held, err := lockDir(live) // a cluster still running in some test binary
	require.NoError(t, err)
	defer held.Close()
	foreign, err := os.MkdirTemp("", pgDirPrefix) //nolint:usetesting // no owner.lock: not ours to judge
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(foreign) })
	require.NoError(t, os.Chtimes(foreign, old, old))

	removeStaleClusters()
	require.NoDirExists(t, stale)
	require.DirExists(t, live)
	require.DirExists(t, foreign)
}
