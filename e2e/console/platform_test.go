package console

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
)

// platform is one `gaoxing up` on a fresh data directory.
type platform struct {
	base          string // http://127.0.0.1:port
	dataDir       string
	adminPassword string // the one-time password the launcher printed
	cmd           *exec.Cmd
	exited        chan struct{}
	mu            sync.Mutex
	log           bytes.Buffer
}

// repoRoot is the repository, from this package's directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return dir
}

// requireOrSkip fails under CI and skips elsewhere: the browser tests need Chromium and
// the built console, which `make test` provides.
func requireOrSkip(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// startPlatform builds the launcher (with the console embedded) and runs `gaoxing up` on
// addr ("127.0.0.1:0": a free port), with more flags of `up` when given.
func startPlatform(t *testing.T, dataDir, addr string, flags ...string) *platform {
	t.Helper()
	root := repoRoot(t)
	_, err := os.Stat(filepath.Join(root, "services", "console", "dist", "index.html"))
	requireOrSkip(t, err == nil, "the console is not built: run make web (%v)", err)
	minio, err := infra.Binary("minio")
	requireOrSkip(t, err == nil, "no MinIO binary: %v", err)

	bin := buildGaoxing(t, root)
	p := &platform{dataDir: dataDir, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"up", "--data", dataDir, "--addr", addr}, flags...)...)
	p.cmd.Env = append(os.Environ(), infra.BinDirEnv+"="+filepath.Dir(minio))
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	listening := make(chan string, 1)
	password := make(chan string, 1)
	firstLogin := regexp.MustCompile(`first_login=("(?:[^"\\]|\\.)*"|\S+)`)
	var readers sync.WaitGroup
	scan := func(r io.Reader) {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if _, rest, ok := strings.Cut(line, "listening on "); ok {
				u, _, _ := strings.Cut(rest, " ")
				listening <- u
			}
			if m := firstLogin.FindStringSubmatch(line); m != nil {
				pw := m[1]
				if strings.HasPrefix(pw, `"`) {
					var s string
					if json.Unmarshal([]byte(pw), &s) == nil {
						pw = s
					}
				}
				password <- pw
			}
		}
	}
	readers.Add(2)
	go func() { defer readers.Done(); scan(stdout) }()
	go func() { defer readers.Done(); scan(stderr) }()
	go func() {
		readers.Wait()
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("gaoxing up output:\n%s", p.output())
		}
	})
	select {
	case p.base = <-listening:
	case <-p.exited:
		t.Fatalf("gaoxing up exited:\n%s", p.output())
	case <-time.After(time.Minute):
		t.Fatalf("gaoxing up printed no address:\n%s", p.output())
	}
	p.waitReady(t)
	select {
	case p.adminPassword = <-password: // printed before identity is ready, on a data directory's first start only
	default:
	}
	return p
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// buildGaoxing builds cmd/gaoxing once per test binary, embedding the built console.
func buildGaoxing(t *testing.T, root string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gaoxing-console-") //nolint:usetesting // shared by the tests of the binary
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "gaoxing")
		build := exec.Command("go", "build", "-o", built, ".")
		build.Dir = filepath.Join(root, "cmd", "gaoxing")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return built
}

// stop stops the launcher as Ctrl-C does.
func (p *platform) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *platform) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func (p *platform) waitReady(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		resp, err := http.Get(p.base + "/api/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st struct{ Ready bool }
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&st) == nil && st.Ready
	}, 3*time.Minute, 50*time.Millisecond, "not ready:\n%s", p.output())
}

// api calls the platform with token and decodes the answer into out (when not nil).
func (p *platform) api(t testing.TB, token, method, path string, body, out any) {
	t.Helper()
	status, raw := p.call(t, token, method, path, body)
	require.True(t, status >= 200 && status < 300, "%s %s: %d %s", method, path, status, raw)
	if out != nil {
		require.NoError(t, json.Unmarshal(raw, out), string(raw))
	}
}

func (p *platform) call(t testing.TB, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var in io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		in, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		in = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, in)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}
