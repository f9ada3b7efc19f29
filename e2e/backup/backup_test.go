package backup_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	var (
		mu        sync.Mutex
		committed = map[string]bool{}
		attempted = map[string]bool{}
		seq       atomic.Int64
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := seq.Add(1)
				tn := tenants[int(n)%len(tenants)]
				resource := fmt.Sprintf("tenants/%s/tickets/T-%06d", tn, n)
				mu.Lock()
				attempted[resource] = true
				mu.Unlock()
				err := db.InTx(ctx, func(ctx context.Context) error {
					_, err := audit.Record(ctx, db, audit.Entry{Tenant: tn, Actor: fmt.Sprintf("writer-%d", w),
						Action: "tickets.CreateTicket", Resource: resource, After: map[string]int64{"n": n}})
					return err
				})
				if err != nil {
					continue // the context ended with the test
				}
				mu.Lock()
				committed[resource] = true
				mu.Unlock()
			}
		}()
	}
	t.Cleanup(func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	})
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(committed) >= 300 },
		60*time.Second, 10*time.Millisecond, "the load runs")
	mu.Lock()
	before := make([]string, 0, len(committed))
	for r := range committed {
		before = append(before, r)
	}
	mu.Unlock()

	backups := t.TempDir()
	env := append(os.Environ(), "PGHOST="+u.Hostname(), "PGPORT="+u.Port(), "PGUSER="+u.User.Username(),
		"DATABASES="+dbName, "BACKUP_DIR="+backups, "KEEP=2")
	run := func(script string, extraEnv []string, args ...string) string {
		cmd := exec.CommandContext(ctx, "sh", append([]string{filepath.Join(scripts, script)}, args...)...)
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", script, out)
		return string(out)
	}
	out := run("pg-dump.sh", nil)
	require.Contains(t, out, "dumped "+dbName)
	close(stop)
	wg.Wait()

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
		require.True(t, attempted[r], "%s was never written", r)
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
