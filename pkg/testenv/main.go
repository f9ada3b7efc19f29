package testenv

import (
	"os"
	"sync"
	"testing"
)

var (
	exitMu sync.Mutex
	atExit []func()
)

// onExit registers cleanup for servers shared by a whole test binary (stopped by Main).
func onExit(f func()) {
	exitMu.Lock()
	defer exitMu.Unlock()
	atExit = append(atExit, f)
}

// Main runs the tests of a package and then stops the servers they shared. Packages
// that use shared servers (Postgres) call it from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	exitMu.Lock()
	for i := len(atExit) - 1; i >= 0; i-- {
		atExit[i]()
	}
	exitMu.Unlock()
	os.Exit(code)
}

// unavailable ends a test that needs a server this machine cannot start: a failure under
// CI=true (CI must never pass by skipping), a skip otherwise.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("testenv: "+format, args...)
	}
	t.Skipf("testenv: "+format+" (set CI=true to make this a failure)", args...)
}

// short skips t under -short: tests that start real servers are integration tests.
func short(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("testenv: starts a real server; skipped under -short")
	}
}
