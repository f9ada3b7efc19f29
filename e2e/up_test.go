package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/objstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// status mirrors the launcher's GET /api/status.
type status struct {
	Ready      bool   `json:"ready"`
	DataDir    string `json:"data_dir"`
	Starts     int64  `json:"starts"`
	Version    string `json:"version"`
	Components []struct {
		Name    string `json:"name"`
		Kind    string `json:"kind"`
		Address string `json:"address"`
		PID     int    `json:"pid"`
		State   string `json:"state"`
		Ready   bool   `json:"ready"`
		Error   string `json:"error"`
	} `json:"components"`
}

func (s status) component(name string) (address string, pid int, ready bool) {
	for _, c := range s.Components {
		if c.Name == name {
			return c.Address, c.PID, c.State == "running" && c.Ready
		}
	}
	return "", 0, false
}

var (
	buildOnce sync.Once
	buildDir  string
	built     string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildGaoxing builds cmd/gaoxing once per test binary run, into a temporary directory.
func buildGaoxing(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		// Shared by every test of the binary (built once), so not one test's TempDir.
		if buildDir, buildErr = os.MkdirTemp("", "gaoxing-e2e-"); buildErr != nil { //nolint:usetesting
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		began := time.Now()
		out := filepath.Join(buildDir, "gaoxing")
		// Built in its own module directory, so this works with and without go.work.
		build := exec.CommandContext(ctx, goTool, "build", "-o", out, ".")
		build.Dir = filepath.Join("..", "cmd", "gaoxing")
		b, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, b)
			return
		}
		t.Logf("built gaoxing in %s", time.Since(began).Round(time.Millisecond))
		built = out
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// upProcess is one `gaoxing up` run as a child process.
type upProcess struct {
	cmd     *exec.Cmd
	base    string // http://host:port read from its "listening on" line
	started time.Time
	exited  chan struct{}
	waitErr error
	mu      sync.Mutex
	stdout  bytes.Buffer
}

func startUp(t *testing.T, bin, dataDir, minioBin string) *upProcess {
	t.Helper()
	p := &upProcess{exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "up", "--data", dataDir, "--addr", "127.0.0.1:0")
	p.cmd.Env = append(os.Environ(), infra.BinDirEnv+"="+filepath.Dir(minioBin))
	p.cmd.Stderr = testLog{t}
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	listening := make(chan string, 1)
	p.started = time.Now()
	require.NoError(t, p.cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stdout.WriteString(line + "\n")
			p.mu.Unlock()
			if _, rest, ok := strings.Cut(line, "listening on "); ok {
				url, _, _ := strings.Cut(rest, " ")
				listening <- url
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default: // a failed test left it running: kill it (MinIO follows by parent-death signal)
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.base = <-listening:
	case <-p.exited:
		t.Fatalf("gaoxing up exited at once: %v\n%s", p.waitErr, p.output())
	case <-time.After(time.Minute):
		t.Fatalf("gaoxing up printed no address within a minute:\n%s", p.output())
	}
	return p
}

func (p *upProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// waitReady polls /api/status until everything (etcd, MinIO and every registered
// service) is ready and returns the status and the wall time from process start.
func (p *upProcess) waitReady(t *testing.T) (status, time.Duration) {
	t.Helper()
	var st status
	require.Eventually(t, func() bool {
		st = status{}
		resp, err := http.Get(p.base + "/api/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
			return false
		}
		return st.Ready
	}, 2*time.Minute, 20*time.Millisecond, "not ready; last status %+v\n%s", &st, p.output())
	return st, time.Since(p.started)
}

// interrupt sends SIGINT, as Ctrl-C does, and returns the exit error (nil for status 0).
func (p *upProcess) interrupt(t *testing.T) error {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(time.Minute):
		t.Fatalf("gaoxing up still running a minute after SIGINT:\n%s", p.output())
		return nil
	}
}

func TestUpStartsStopsAndKeepsData(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the launcher with real etcd and MinIO")
	}
	minioBin := testenv.Binary(t, "minio") // a failure under CI=true when missing
	bin := buildGaoxing(t)
	dataDir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	// First start on an empty data directory.
	first := startUp(t, bin, dataDir, minioBin)
	st, took := first.waitReady(t)
	t.Logf("first start (empty data dir): everything ready %s after process start", took.Round(time.Millisecond))
	require.Equal(t, dataDir, st.DataDir)
	require.EqualValues(t, 1, st.Starts)
	_, _, identityReady := st.component("identity")
	require.True(t, identityReady, "the identity service runs behind the launcher: %+v", st)
	require.NotEmpty(t, st.Version)
	etcdAddr, _, _ := st.component("etcd")
	minioAddr, minioPID, _ := st.component("minio")
	require.True(t, strings.HasPrefix(etcdAddr, "http://127.0.0.1:"), etcdAddr)
	require.True(t, strings.HasPrefix(minioAddr, "127.0.0.1:"), minioAddr)
	require.NotZero(t, minioPID)

	page := get(t, first.base+"/status")
	for _, want := range []string{"高兴办 · 本机运行状态", "全部就绪", "第 1 次启动", dataDir, minioAddr} {
		require.Contains(t, page, want)
	}
	require.Contains(t, get(t, first.base+"/healthz"), "live")

	// Credentials were made on first start, private, and work against the MinIO it runs.
	credsPath := filepath.Join(dataDir, "minio.json")
	fi, err := os.Stat(credsPath)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	creds := readCreds(t, credsPath)
	mc := minioClient(t, minioAddr, creds)
	require.NoError(t, mc.MakeBucket(ctx, "e2e", minio.MakeBucketOptions{}))
	body := []byte("营业执照副本")
	_, err = mc.PutObject(ctx, "e2e", "licence.txt", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
	require.NoError(t, err)

	// Ctrl-C: a clean exit, and no MinIO left behind.
	require.NoError(t, first.interrupt(t), "exit status after SIGINT\n%s", first.output())
	require.Contains(t, first.output(), "gaoxing: stopped")
	require.ErrorIs(t, syscall.Kill(minioPID, 0), syscall.ESRCH, "MinIO %d outlived the launcher", minioPID)
	require.Empty(t, processesMentioning(t, dataDir), "processes still using the data directory")

	// Second start on the same data directory finds the same data.
	second := startUp(t, bin, dataDir, minioBin)
	st2, took2 := second.waitReady(t)
	t.Logf("second start (same data dir): etcd and MinIO ready %s after process start", took2.Round(time.Millisecond))
	require.EqualValues(t, st.Starts+1, st2.Starts, "the start counter in etcd must survive the restart")
	require.Equal(t, creds, readCreds(t, credsPath), "MinIO credentials are reused")
	minioAddr2, _, _ := st2.component("minio")
	obj, err := minioClient(t, minioAddr2, creds).GetObject(ctx, "e2e", "licence.txt", minio.GetObjectOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.Equal(t, body, got, "the object stored before the restart")
	require.Contains(t, get(t, second.base+"/status"), "第 2 次启动")

	require.NoError(t, second.interrupt(t), "exit status after SIGINT\n%s", second.output())
	require.Empty(t, processesMentioning(t, dataDir))
}

func TestCommandLineExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the launcher")
	}
	bin := buildGaoxing(t)
	tests := []struct {
		args   []string
		code   int
		output string
	}{
		{args: []string{"version"}, code: 0, output: "gaoxing "},
		{args: []string{"bogus"}, code: 2, output: "usage: gaoxing"},
		{args: nil, code: 2, output: "usage: gaoxing"},
		{args: []string{"up", "--nope"}, code: 2, output: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := exec.CommandContext(t.Context(), bin, tt.args...).CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.code, code, "%s", out)
			require.Contains(t, string(out), tt.output)
		})
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, b)
	return string(b)
}

type credentials struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

func readCreds(t *testing.T, path string) credentials {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var c credentials
	require.NoError(t, json.Unmarshal(b, &c))
	require.NotEmpty(t, c.AccessKey)
	require.NotEmpty(t, c.SecretKey)
	return c
}

func minioClient(t *testing.T, endpoint string, c credentials) *minio.Client {
	t.Helper()
	mc, err := objstore.Config{Endpoint: endpoint, AccessKey: c.AccessKey, SecretKey: c.SecretKey}.Client()
	require.NoError(t, err)
	return mc
}

// processesMentioning lists processes whose command line contains dir: after a clean
// stop there must be none (no MinIO serving the data directory).
func processesMentioning(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Logf("no /proc (%v); relying on the MinIO pid check", err)
		return nil
	}
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		if bytes.Contains(cmdline, []byte(dir)) {
			found = append(found, e.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return found
}

// testLog sends a child's stderr to the test log.
type testLog struct{ t *testing.T }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func TestUpWithoutMinIOFailsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the launcher")
	}
	bin := buildGaoxing(t)
	cmd := exec.CommandContext(t.Context(), bin, "up", "--data", t.TempDir(), "--addr", "127.0.0.1:0")
	cmd.Dir = t.TempDir() // outside the workspace: no bin/minio to find
	cmd.Env = append(os.Environ(), "PATH="+t.TempDir(), infra.BinDirEnv+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "want a failed exit, got %v\n%s", err, out)
	require.Equal(t, 1, exit.ExitCode())
	require.Contains(t, string(out), "minio: binary not found")
	require.Contains(t, string(out), "make tools")
	require.NotContains(t, string(out), "listening on", "nothing starts without MinIO")
}
