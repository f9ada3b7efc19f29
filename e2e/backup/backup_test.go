package backup_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// scripts is where the chart keeps the scripts its backup CronJob runs.
var scripts = filepath.Join("..", "..", "charts", "gaoxing", "files", "backup")

var tenants = []tenancy.ID{"ahz", "ahz.s01", "ahz.s02.c03"}

// pgEnv is what the PostgreSQL scripts read: the server of u as its user, the database
// named by u's path, and the backup directory.
func pgEnv(u *url.URL, backups string) []string {
	return []string{"PGHOST=" + u.Hostname(), "PGPORT=" + u.Port(), "PGUSER=" + u.User.Username(),
		"DATABASES=" + u.Path[1:], "BACKUP_DIR=" + backups, "KEEP=2"}
}

// runScript runs a shell script with env on top of the test's own, mc on the PATH and a
// configuration directory of its own, and returns its output; a failure fails t.
func runScript(t *testing.T, script string, args []string, env ...string) string {
	t.Helper()
	mc := testenv.Binary(t, "mc")
	cmd := exec.CommandContext(t.Context(), "sh", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{
		"PATH=" + filepath.Dir(mc) + string(os.PathListSeparator) + os.Getenv("PATH"),
		"MC_CONFIG_DIR=" + t.TempDir(),
	}, env...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: %s", filepath.Base(script), out)
	return string(out)
}

// TestBackupUnderLoadRestores: writers keep recording changes (each with its audit
// record, in its transaction) while pg-dump.sh runs; pg-restore.sh restores the set into
// new databases; there every record committed before the backup began is found, nothing
// is found that was never committed, and every tenant's audit chain verifies.
func TestBackupUnderLoadRestores(t *testing.T) {
	dsn := testenv.Postgres(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	dbName := u.Path[1:]
	ctx := t.Context()
	db, err := sqlstore.Open(ctx, dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, audit.Migrate(ctx, db))

	// The load: four writers, each change recorded in its own transaction.
	writers := startLoad(t, 4, func(l *load[bool], w int, n int64) (string, bool, bool) {
		tn := tenants[int(n)%len(tenants)]
		resource := fmt.Sprintf("tenants/%s/tickets/T-%06d", tn, n)
		l.try(resource, true)
		err := db.InTx(ctx, func(ctx context.Context) error {
			_, err := audit.Record(ctx, db, audit.Entry{Tenant: tn, Actor: fmt.Sprintf("writer-%d", w),
				Action: "tickets.CreateTicket", Resource: resource, After: map[string]int64{"n": n}})
			return err
		})
		return resource, true, err == nil // an error: the context ended with the test
	})
	before := slices.Collect(maps.Keys(writers.ackedAtLeast(t, 300, 60*time.Second)))

	backups := t.TempDir()
	pg := pgEnv(u, backups)
	run := func(script string, extraEnv []string, args ...string) string {
		return runScript(t, filepath.Join(scripts, script), args, append(pg, extraEnv...)...)
	}
	out := run("pg-dump.sh", nil)
	require.Contains(t, out, "dumped "+dbName)
	writers.Stop()

	sets, err := os.ReadDir(backups)
	require.NoError(t, err)
	require.Len(t, sets, 1)

	// Off the cluster: the set is pushed to an object store (once: a second push finds it
	// whole there), and the restore below reads the copy pulled back into an empty
	// directory, as after losing the backup volume.
	store := testenv.StartMinIO(t)
	require.NoError(t, store.Client().MakeBucket(ctx, "gaoxing-backups", minio.MakeBucketOptions{ObjectLocking: true}))
	creds := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(creds, "access-key"), []byte(store.AccessKey), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(creds, "secret-key"), []byte(store.SecretKey), 0o600))
	offsite := []string{"OFFSITE_URL=http://" + store.Endpoint, "OFFSITE_CREDENTIALS=" + creds,
		"OFFSITE_BUCKET=gaoxing-backups", "OFFSITE_PREFIX=gaoxing/gaoxing/postgresql", "BACKUP_DIR=" + backups}
	offsiteScript := filepath.Join(scripts, "offsite.sh")
	require.Contains(t, runScript(t, offsiteScript, []string{"push"}, offsite...), "shipped "+sets[0].Name())
	require.NotContains(t, runScript(t, offsiteScript, []string{"push"}, offsite...), "shipped", "a whole set is shipped once")
	pulled := t.TempDir()
	require.Contains(t, runScript(t, offsiteScript, []string{"pull", sets[0].Name()}, append(offsite, "BACKUP_DIR="+pulled)...),
		"pulled "+sets[0].Name())

	restored := dbName + "_restored"
	t.Cleanup(func() {
		admin, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{restored}.Sanitize()+" WITH (FORCE)")
			_ = admin.Close(context.Background())
		}
	})
	out = run("pg-restore.sh", []string{"SUFFIX=_restored"}, filepath.Join(pulled, sets[0].Name()))
	require.Contains(t, out, "restored "+restored)

	ru := *u
	ru.Path = "/" + restored
	rdb, err := sqlstore.Open(ctx, ru.String(), nil, sqlstore.WithoutMigrating())
	require.NoError(t, err, "the restored schema is complete")
	t.Cleanup(func() { _ = rdb.Close() })
	require.NoError(t, audit.Migrate(ctx, rdb), "with its append-only guard")
	found := map[string]bool{}
	for _, tn := range tenants {
		report, err := audit.Verify(ctx, rdb, tn)
		require.NoError(t, err)
		require.True(t, report.OK(), "%s: %v", tn, report.Problems)
		rows, err := rdb.Query(ctx, "SELECT resource FROM audit_records WHERE tenant = $1", string(tn))
		require.NoError(t, err)
		for rows.Next() {
			var r string
			require.NoError(t, rows.Scan(&r))
			found[r] = true
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	for _, r := range before {
		require.True(t, found[r], "%s was committed before the backup and is missing", r)
	}
	for r := range found {
		require.True(t, writers.tried[r], "%s was never written", r)
	}
	t.Logf("%d records committed before the backup, %d restored", len(before), len(found))

	// Sets rotate: only the newest KEEP stay, and none is left partial.
	run("pg-dump.sh", nil)
	run("pg-dump.sh", nil)
	sets, err = os.ReadDir(backups)
	require.NoError(t, err)
	require.LessOrEqual(t, len(sets), 2)
	for _, s := range sets {
		require.NotContains(t, s.Name(), ".partial")
	}
}
