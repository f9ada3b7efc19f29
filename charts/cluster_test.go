package charts_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// binDirEnv overrides where helper binaries are looked up first; the Makefile sets it
// to bin/, the same variable the launcher and pkg/testenv read.
const binDirEnv = "GAOXING_BIN_DIR"

// toolBinary finds a binary that `make tools` builds, in the order the rest of the
// repository uses: $GAOXING_BIN_DIR, bin/ at the workspace root (the directory holding
// go.work), then PATH. A missing binary fails the test rather than skipping it: CI
// must never pass without having run the cluster tests.
func toolBinary(t testing.TB, name string) string {
	t.Helper()
	var tried []string
	if dir := os.Getenv(binDirEnv); dir != "" {
		tried = append(tried, filepath.Join(dir, name))
	}
	if root, ok := workspaceRoot(); ok {
		tried = append(tried, filepath.Join(root, "bin", name))
	}
	for _, p := range tried {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		abs, err := filepath.Abs(p)
		require.NoError(t, err)
		return abs
	}
	t.Fatalf("%s not found (looked in %v and PATH): run `make tools` (or set %s)", name, tried, binDirEnv)
	return ""
}

func workspaceRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.work")); err == nil && !fi.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// testCluster is a control plane without nodes: one etcd member and one kube-apiserver,
// both real binaries on loopback. Nothing schedules or runs pods.
type testCluster struct {
	config     *rest.Config
	kubeconfig string
	clients    *kubernetes.Clientset
	dynamic    *dynamic.DynamicClient
	mapper     meta.RESTMapper
	warnings   *warningLog
}

const (
	adminToken     = "gaoxing-chart-test-admin"
	clusterStartup = 3 * time.Minute
)

// startCluster starts etcd and kube-apiserver for t and stops them when t ends.
func startCluster(t *testing.T) *testCluster {
	t.Helper()
	etcdBin := toolBinary(t, "etcd")
	apiserverBin := toolBinary(t, "kube-apiserver")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), clusterStartup)
	defer cancel()

	clientURL := "http://" + freeLoopbackAddr(t)
	peerURL := "http://" + freeLoopbackAddr(t)
	etcd := startProcess(t, dir, "etcd", etcdBin,
		"--name=default",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--log-level=warn",
	)
	waitFor(ctx, t, etcd, func(ctx context.Context) error {
		return getOK(ctx, http.DefaultClient, clientURL+"/health")
	})

	// The service-account key pair the API server signs and verifies tokens with.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	saKey := writeFile(t, dir, "sa.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	saPub := writeFile(t, dir, "sa.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	// A static token in system:masters is the administrator; RBAC authorizes everyone else.
	tokens := writeFile(t, dir, "tokens.csv", []byte(adminToken+",admin,admin,system:masters\n"))
	certDir := filepath.Join(dir, "certs")
	addr := freeLoopbackAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	apiserver := startProcess(t, dir, "kube-apiserver", apiserverBin,
		"--etcd-servers="+clientURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none", // the "kubernetes" Service may not point at loopback
		"--secure-port="+port,
		"--cert-dir="+certDir, // a self-signed serving certificate is generated here
		"--token-auth-file="+tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--enable-priority-and-fairness=false", // one client: no request queues to keep
	)

	c := &testCluster{warnings: &warningLog{}}
	c.config = &rest.Config{
		Host:            "https://" + addr,
		BearerToken:     adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAFile: filepath.Join(certDir, "apiserver.crt")},
		WarningHandler:  c.warnings,
		QPS:             100,
		Burst:           200,
	}
	waitFor(ctx, t, apiserver, func(ctx context.Context) error {
		hc, err := rest.HTTPClientFor(c.config) // fails until the certificate is written
		if err != nil {
			return err
		}
		return getOK(ctx, hc, c.config.Host+"/readyz")
	})

	c.clients, err = kubernetes.NewForConfig(c.config)
	require.NoError(t, err)
	c.dynamic, err = dynamic.NewForConfig(c.config)
	require.NoError(t, err)
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.clients.Discovery()))
	c.kubeconfig = c.writeKubeconfig(t, dir)
	return c
}

// writeKubeconfig writes the admin's kubeconfig, which the Helm SDK reads like the CLI.
func (c *testCluster) writeKubeconfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: c.config.Host, CertificateAuthority: c.config.CAFile}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: adminToken}
	cfg.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "admin"}
	cfg.CurrentContext = "test"
	path := filepath.Join(dir, "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// restClientGetter is what the Helm SDK builds its clients from, for namespace ns. Its
// clients report server warnings to the cluster's warning log like ours do.
func (c *testCluster) restClientGetter(t *testing.T, ns string) genericclioptions.RESTClientGetter {
	flags := genericclioptions.NewConfigFlags(false)
	cacheDir := t.TempDir()
	flags.KubeConfig, flags.Namespace, flags.CacheDir = &c.kubeconfig, &ns, &cacheDir
	flags.WrapConfigFn = func(cfg *rest.Config) *rest.Config {
		cfg.WarningHandler = c.warnings
		return cfg
	}
	return flags
}

// warningLog keeps every warning the API server sent (deprecated APIs, unknown fields
// under the default "Warn" field validation, Pod Security "warn" violations).
type warningLog struct {
	mu   sync.Mutex
	list []string
}

func (w *warningLog) HandleWarningHeader(code int, agent, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.list
	w.list = nil
	return l
}

// process is a server binary started by startProcess.
type process struct {
	name   string
	exited chan struct{} // closed when the process has exited
}

// startProcess runs a server binary until t ends; its output goes to a log file that
// is shown when t fails.
func startProcess(t *testing.T, dir, name, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childProcAttr()
	require.NoError(t, cmd.Start(), "start %s", name)
	p := &process{name: name, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
		}
		_ = logFile.Close()
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", name, tail(logPath, 6000))
		}
	})
	return p
}

func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// freeLoopbackAddr returns a loopback host:port that was free a moment ago; the
// servers take their ports from flags, so the port is chosen here.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

// waitFor polls check until it succeeds; t fails with the last error when ctx ends or
// at once when the process exits.
func waitFor(ctx context.Context, t *testing.T, p *process, check func(context.Context) error) {
	t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not ready: %v (%v)", p.name, err, context.Cause(ctx))
		case <-p.exited:
			t.Fatalf("%s exited before it was ready (its log follows)", p.name)
		case <-tick.C:
		}
	}
}

func getOK(ctx context.Context, hc *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
