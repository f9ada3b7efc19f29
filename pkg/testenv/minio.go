package testenv

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/objstore"
)

// MinIO is a MinIO server process owned by one test.
type MinIO struct {
	t      testing.TB
	server infra.MinIOServer
	proc   *infra.MinIOProcess
	// Endpoint is the S3 API's host:port; it stays the same across Restart.
	Endpoint             string
	AccessKey, SecretKey string
}

// minioStartTimeout bounds one start; a cold start takes about a second here.
const minioStartTimeout = 60 * time.Second

// StartMinIO starts the real MinIO server (found by Binary) with a temporary data
// directory and fresh root credentials; it is stopped when the test ends.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	short(t)
	bin := Binary(t, "minio")
	m := &MinIO{
		t: t,
		server: infra.MinIOServer{
			Binary:    bin,
			Dir:       t.TempDir(),
			AccessKey: "test-" + rand.Text()[:10],
			SecretKey: rand.Text(),
			Output:    testWriter{t},
		},
	}
	t.Cleanup(m.Stop)
	m.start()
	m.Endpoint = m.proc.Config().Endpoint
	m.AccessKey, m.SecretKey = m.server.AccessKey, m.server.SecretKey
	// Restart must come back on the same port, so pin it now that one was chosen.
	m.server.Address = m.Endpoint
	return m
}

func (m *MinIO) start() {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), minioStartTimeout)
	defer cancel()
	p, err := infra.StartMinIO(ctx, m.server)
	if err != nil {
		m.t.Fatalf("testenv: %v", err)
	}
	m.proc = p
}

// Config is how a service under test reaches this server (app.Env.MinIO).
func (m *MinIO) Config() objstore.Config { return m.proc.Config() }

// Client returns a minio-go client with the root credentials.
func (m *MinIO) Client() *minio.Client {
	m.t.Helper()
	c, err := objstore.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey}.Client()
	if err != nil {
		m.t.Fatalf("testenv: minio client: %v", err)
	}
	return c
}

// Stop stops the server and waits until the process has exited; clients then get
// connection errors until Restart.
func (m *MinIO) Stop() {
	if m.proc == nil {
		return
	}
	if err := m.proc.Stop(); err != nil {
		m.t.Errorf("testenv: %v", err)
	}
	m.proc = nil
}

// Restart stops the server (if running) and starts it again on the same port with the
// same data and credentials, for tests of what clients do across an outage.
func (m *MinIO) Restart() {
	m.t.Helper()
	m.Stop()
	m.start()
}

// PID is the running server's process id.
func (m *MinIO) PID() int {
	m.t.Helper()
	if m.proc == nil {
		m.t.Fatal("testenv: minio is stopped")
	}
	return m.proc.PID()
}

// Binary returns the path of a helper server binary found by infra.Binary (the one rule
// the launcher uses too); when there is none the test is unavailable: skipped, or
// failed under CI=true.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := infra.Binary(name)
	if errors.Is(err, infra.ErrNoBinary) {
		unavailable(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return p
}

// testWriter sends a server's output to the test log, shown when the test fails or runs
// with -v. Stop waits for the output to be drained, so nothing is written after the test.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("minio: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
