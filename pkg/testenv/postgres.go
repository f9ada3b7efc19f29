package testenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver for the admin pool
)

// The PostgreSQL cluster shared by one test binary: started by the first Postgres call,
// stopped by Main. Every test gets its own database in it.
var pg struct {
	mu      sync.Mutex
	tried   bool
	err     error // why the cluster could not start; reported to every caller
	cluster *pgCluster
}

var pgDatabases atomic.Int64

// Postgres returns the DSN of a fresh, empty database, dropped when t ends, in a
// PostgreSQL cluster started once per test binary on a free loopback port (initdb and
// postgres from PATH or /usr/lib/postgresql/*/bin). As root the server runs as the
// "postgres" user, or "nobody" where there is none. Packages that call it use Main in
// TestMain so the cluster stops with the binary.
func Postgres(t testing.TB) string {
	t.Helper()
	short(t)
	c, err := sharedCluster()
	if err != nil {
		if errors.Is(err, errNoPostgres) {
			unavailable(t, "%v", err)
		}
		t.Fatalf("testenv: postgres: %v", err)
	}
	name := fmt.Sprintf("t%d_%s", pgDatabases.Add(1), identPart(t.Name()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quoted := pgx.Identifier{name}.Sanitize()
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+quoted); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run. FORCE ends connections a
		// test forgot to close, so they cannot keep the database alive.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoted+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return c.dsn(name)
}

// identPart turns a test name into a short, safe part of a database name.
func identPart(s string) string {
	b := make([]byte, 0, 32)
	for i := 0; i < len(s) && len(b) < 32; i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, '_')
		}
	}
	return string(b)
}

var errNoPostgres = errors.New("PostgreSQL server binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin")

func sharedCluster() (*pgCluster, error) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if !pg.tried {
		pg.tried = true
		pg.cluster, pg.err = startCluster(nil)
		if pg.err == nil {
			onExit(pg.cluster.stop)
		}
	}
	return pg.cluster, pg.err
}

type pgCluster struct {
	dir    string // temporary root: data/, server.log, owner.lock
	tls    *PostgresTLSFiles
	lock   *os.File // flock held while this process owns dir
	port   int
	cmd    *exec.Cmd
	exited chan struct{} // closed when the server process has exited
	admin  *sql.DB       // connected to the "postgres" database, for CREATE/DROP DATABASE
}

func (c *pgCluster) dsn(db string) string {
	if c.tls != nil {
		return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=verify-full&sslrootcert=%s", c.port, db, c.tls.CAFile)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// PostgresTLSFiles is the server certificate (for 127.0.0.1) and key of a TLS cluster
// and the CA clients verify it with.
type PostgresTLSFiles struct {
	CertFile, KeyFile, CAFile string
}

// PostgresTLS starts a cluster of its own for t that accepts TLS connections only
// (hostssl; plaintext is rejected) and returns the DSN of its "postgres" database with
// sslmode=verify-full against files.CAFile. It is stopped when t ends.
func PostgresTLS(t testing.TB, files PostgresTLSFiles) string {
	t.Helper()
	short(t)
	c, err := startCluster(&files)
	if err != nil {
		if errors.Is(err, errNoPostgres) {
			unavailable(t, "%v", err)
		}
		t.Fatalf("testenv: postgres: %v", err)
	}
	t.Cleanup(c.stop)
	return c.dsn("postgres")
}

// pgBinDir finds the directory holding initdb and postgres.
func pgBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if target, err := filepath.EvalSymlinks(p); err == nil {
			p = target
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major version first ("9.6" < "15": compare numerically).
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(a)), 64)
		vb, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(b)), 64)
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	for _, d := range dirs {
		_, e1 := os.Stat(filepath.Join(d, "initdb"))
		_, e2 := os.Stat(filepath.Join(d, "postgres"))
		if e1 == nil && e2 == nil {
			return d, nil
		}
	}
	return "", errNoPostgres
}

// serverUser is who the server runs as: PostgreSQL refuses to run as root, so as root it
// is the "postgres" user, else "nobody". Nil means the current user.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil // no supplementary groups
	}
	return nil, errors.New("running as root and neither a postgres nor a nobody user exists to run the server as")
}

func startCluster(tlsFiles *PostgresTLSFiles) (*pgCluster, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	removeStaleClusters()
	dir, err := os.MkdirTemp("", pgDirPrefix)
	if err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	fail := func(err error) (*pgCluster, error) {
		_ = os.RemoveAll(dir)
		_ = lock.Close()
		return nil, err
	}
	if cred != nil {
		// The server user must own its directory; the temporary directory's parent must let
		// it in (the system temporary directory does).
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"),
		"-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
		"--no-sync", "--no-instructions") // --no-sync only skips flushing initdb's own files
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	var sslArgs []string
	if tlsFiles != nil {
		if sslArgs, err = configureSSL(data, tlsFiles, cred); err != nil {
			return fail(err)
		}
	}

	var c *pgCluster
	// The port comes from a listener closed just before the server binds it; another
	// process may take it in between, so try a few.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		c, err = launch(bin, dir, data, port, cred, tlsFiles, sslArgs...)
		if err == nil {
			c.lock = lock
			break
		}
		if !errors.Is(err, errPortTaken) || attempt == 4 {
			return fail(err)
		}
	}
	admin, err := sql.Open("pgx", c.dsn("postgres"))
	if err != nil {
		c.stop()
		return nil, err
	}
	admin.SetMaxOpenConns(4)
	c.admin = admin
	return c, nil
}

var errPortTaken = errors.New("port taken")

// configureSSL copies the server's certificate and key into the data directory (the key
// must belong to the server's user), accepts TLS connections only, and returns the
// server's ssl settings.
func configureSSL(data string, files *PostgresTLSFiles, cred *syscall.Credential) ([]string, error) {
	for _, f := range []struct{ from, to string }{{files.CertFile, "server.crt"}, {files.KeyFile, "server.key"}} {
		b, err := os.ReadFile(f.from)
		if err != nil {
			return nil, err
		}
		to := filepath.Join(data, f.to)
		if err := os.WriteFile(to, b, 0o600); err != nil {
			return nil, err
		}
		if cred != nil {
			if err := os.Chown(to, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	hba := "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n"
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(filepath.Join(data, "pg_hba.conf"), int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	return []string{"-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"}, nil
}

func launch(bin, dir, data string, port int, cred *syscall.Credential, tlsFiles *PostgresTLSFiles, extra ...string) (*pgCluster, error) {
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", data,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=", // TCP only: no socket files outside the temp dir
		"-c", "fsync=on", // tests and benchmarks see the durability cost production pays
		"-c", "max_connections=200",
		"-c", "log_min_messages=warning",
	)
	cmd.Args = append(cmd.Args, extra...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// If the test binary dies without running Main's cleanup (a panic, a timeout), the
	// kernel stops the server: SIGQUIT is PostgreSQL's immediate shutdown.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	c := &pgCluster{dir: dir, tls: tlsFiles, port: port, cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child exits, not the process.
		// Keep this goroutine on its thread for the server's whole life.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := c.waitReady(30 * time.Second); err != nil {
		c.kill()
		log, _ := os.ReadFile(logPath)
		if strings.Contains(string(log), "Address already in use") {
			return nil, fmt.Errorf("%w: %d", errPortTaken, port)
		}
		return nil, fmt.Errorf("postgres not ready: %w\n%s", err, tail(log, 2000))
	}
	return c, nil
}

func (c *pgCluster) waitReady(limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var last error
	for {
		select {
		case <-c.exited:
			return errors.New("server exited")
		case <-ctx.Done():
			return fmt.Errorf("after %s: %w", limit, last)
		default:
		}
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attempt, c.dsn("postgres"))
		cancelAttempt()
		if err == nil {
			return conn.Close(ctx)
		}
		last = err
		select {
		case <-c.exited:
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop shuts the server down (fast shutdown: open sessions are ended) and removes its files.
func (c *pgCluster) stop() {
	if c.admin != nil {
		_ = c.admin.Close()
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(15 * time.Second):
		c.kill()
	}
	_ = os.RemoveAll(c.dir)
	if c.lock != nil {
		_ = c.lock.Close()
	}
}

func (c *pgCluster) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

const pgDirPrefix = "gaoxing-pg-"

// lockDir takes an exclusive flock on dir/owner.lock, held until the file is closed or
// the process dies, so removeStaleClusters can tell live clusters from leftovers.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "owner.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// removeStaleClusters deletes the directories of clusters whose test binary died without
// cleaning up (killed, timed out): the server went with it (Pdeathsig), its files stayed.
// A directory is stale when nobody holds its lock and it is more than a minute old (a
// younger one may be a cluster that is still starting).
func removeStaleClusters() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), pgDirPrefix+"*"))
	for _, d := range dirs {
		info, err := os.Stat(d)
		if err != nil || time.Since(info.ModTime()) < time.Minute {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "owner.lock")); err != nil {
			continue // not made by this code: leave it alone
		}
		if f, err := lockDir(d); err == nil {
			_ = os.RemoveAll(d)
			_ = f.Close()
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
