package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// asRole is dsn connecting as role instead of the superuser.
func asRole(t *testing.T, dsn, role string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.User = url.User(role)
	return u.String()
}

// TestMigrationRoleAndRuntimeRole is the chart's split of database rights: a migration
// role owns the schema and applies every migration (the migration Job: --migrate=only),
// the runtime role may read and write rows but change no schema (--migrate=never). The
// service started first waits, not ready, until the migration has run; then it serves.
// Its role cannot create or alter a table, nor drop or disable the audit trigger, which
// the migration role owns.
func TestMigrationRoleAndRuntimeRole(t *testing.T) {
	dsn := testenv.Postgres(t)
	admin, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	db := admin.Config().Database
	migrator, runtime := db+"_migrator", db+"_runtime"
	t.Cleanup(func() {
		ctx := context.Background()
		for _, r := range []string{runtime, migrator} {
			_, _ = admin.Exec(ctx, fmt.Sprintf("DROP OWNED BY %s", pgx.Identifier{r}.Sanitize()))
		}
	})
	// What the chart's database Job does for each service's database.
	for _, q := range []string{
		"CREATE ROLE {migrator} LOGIN", "CREATE ROLE {runtime} LOGIN",
		"ALTER DATABASE {db} OWNER TO {migrator}",
		"REVOKE ALL ON SCHEMA public FROM PUBLIC",
		"ALTER SCHEMA public OWNER TO {migrator}",
		"GRANT USAGE ON SCHEMA public TO {runtime}",
		"ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {runtime}",
		"ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {runtime}",
		"ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO {runtime}",
	} {
		q = strings.NewReplacer("{migrator}", pgx.Identifier{migrator}.Sanitize(), "{runtime}", pgx.Identifier{runtime}.Sanitize(),
			"{db}", pgx.Identifier{db}.Sanitize()).Replace(q)
		_, err := admin.Exec(t.Context(), q)
		require.NoError(t, err, q)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s OWNER TO postgres", pgx.Identifier{db}.Sanitize()))
		for _, r := range []string{runtime, migrator} {
			_, _ = admin.Exec(ctx, fmt.Sprintf("DROP ROLE IF EXISTS %s", pgx.Identifier{r}.Sanitize()))
		}
	})

	etcd := testenv.StartEtcd(t)
	env, base := probeEnv(t, etcd)
	env.SQLDSN, env.Migrate = asRole(t, dsn, runtime), app.MigrateNever
	spec := app.Spec{Name: "probe", Migrations: probeMigrations, Audit: true, Ready: &app.Readiness{},
		Build: func(context.Context, *app.Deps) error { return nil }}
	runProbe(t, env, spec)
	require.Eventually(t, func() bool {
		code, body := getStatus(t, base+"/readyz")
		return code == 503 && len(body) > 0
	}, 20*time.Second, 50*time.Millisecond, "waits for the schema")

	// The migration Job: the same service, the migration role, --migrate=only.
	job, _ := probeEnv(t, etcd)
	job.SQLDSN, job.Migrate = asRole(t, dsn, migrator), app.MigrateOnly
	require.NoError(t, app.Run(t.Context(), job, spec))
	select {
	case <-spec.Ready.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not become ready once migrated")
	}

	rt, err := pgx.Connect(t.Context(), env.SQLDSN)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	_, err = rt.Exec(t.Context(), "INSERT INTO probe (id) VALUES ('a')")
	require.NoError(t, err, "the runtime role writes rows")
	for _, ddl := range []string{
		"CREATE TABLE rogue (id int)",
		"ALTER TABLE probe ADD COLUMN x int",
		"DROP TRIGGER audit_records_append_only ON audit_records",
		"ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only",
		"DROP TABLE audit_records",
		"TRUNCATE audit_records",
		"DELETE FROM audit_records",
	} {
		_, err := rt.Exec(t.Context(), ddl)
		require.Error(t, err, "the runtime role may not: %s", ddl)
	}
	var owner string
	require.NoError(t, admin.QueryRow(t.Context(),
		"SELECT c.relowner::regrole::text FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid WHERE g.tgname = 'audit_records_append_only'").Scan(&owner))
	require.Equal(t, migrator, owner, "the audit trigger's table belongs to the migration role")
}

func getStatus(t *testing.T, url string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}
