package testenv

import (
	"path/filepath"
	"testing"
)

// ForEachSQL runs fn once per SQL engine Gaoxing supports, as the subtests "sqlite" (a
// fresh database file in the test's temporary directory) and "postgres" (a fresh
// database from Postgres). Every store test runs through it, so the same SQL is proved
// on both engines. Its DSNs are what sqlstore.Open takes.
func ForEachSQL(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, Postgres(t))
	})
}

// SQLite returns the DSN of a fresh SQLite database file in t's temporary directory.
func SQLite(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}
