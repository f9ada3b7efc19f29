package backup_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// TestEtcdSnapshotUnderLoadRestores: an etcd that wants TLS, a client certificate and
// (with auth enabled) the root role for a snapshot, as the chart's may; writers keep
// putting keys under the tenant tree's, the policy's and the calendar's prefixes while
// etcd-snapshot.sh runs; etcd-restore.sh makes a fresh data directory of the set; the
// real etcd started on it holds every key acknowledged before the snapshot began with
// its value and none that was never written, and tells a watcher from the lost cluster's
// revisions to reload. Sets rotate, whichever way they were taken.
func TestEtcdSnapshotUnderLoadRestores(t *testing.T) {
	etcdBin := testenv.Binary(t, "etcd")
	etcdctl := testenv.Binary(t, "etcdctl")
	etcdutl := testenv.Binary(t, "etcdutl")
	ctx := t.Context()

	ca := testenv.NewCA(t)
	serverCert, root := ca.Server("etcd"), ca.Client("root")
	serverTLS := transport.TLSInfo{CertFile: serverCert.CertFile, KeyFile: serverCert.KeyFile,
		TrustedCAFile: ca.CertFile, ClientCertAuth: true}
	e := testenv.StartEtcdTLS(t, serverTLS, ca.ClientTLS(&root))
	c := e.Client()
	// Auth on: the certificate's common name is the user, and a snapshot needs root.
	rootPassword := rand.Text()
	_, err := c.RoleAdd(ctx, "root")
	require.NoError(t, err)
	_, err = c.UserAdd(ctx, "root", rootPassword)
	require.NoError(t, err)
	_, err = c.UserGrantRole(ctx, "root", "root")
	require.NoError(t, err)
	_, err = c.AuthEnable(ctx)
	require.NoError(t, err)

	// The load: four writers, each acknowledged put recorded with its value.
	prefixes := []string{tenancy.DefaultTreePrefix + "/", authz.DefaultPrefix + "/", calendar.Prefix}
	writers := startLoad(t, 4, func(l *load[string], w int, n int64) (string, string, bool) {
		key := fmt.Sprintf("%sw%d-%06d", prefixes[int(n)%len(prefixes)], w, n)
		value := fmt.Sprintf(`{"writer":%d,"n":%d}`, w, n)
		l.try(key, value)
		_, err := c.Put(ctx, key, value)
		return key, value, err == nil // an error: the context ended with the test
	})
	before := writers.ackedAtLeast(t, 300, 60*time.Second)

	backups := t.TempDir()
	env := append(os.Environ(), "PATH="+filepath.Dir(etcdctl)+string(os.PathListSeparator)+filepath.Dir(etcdutl)+
		string(os.PathListSeparator)+os.Getenv("PATH"),
		"BACKUP_DIR="+backups, "KEEP=2", "ETCDCTL_CACERT="+ca.CertFile)
	withCert := []string{"ETCDCTL_ENDPOINTS=" + e.Endpoint, "ETCDCTL_CERT=" + root.CertFile, "ETCDCTL_KEY=" + root.KeyFile}
	run := func(name string, extraEnv []string, args ...string) string {
		var cmd *exec.Cmd
		if filepath.Ext(name) == ".sh" {
			cmd = exec.CommandContext(ctx, "sh", append([]string{filepath.Join(scripts, name)}, args...)...)
		} else {
			cmd = exec.CommandContext(ctx, name, args...)
		}
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", name, out)
		return string(out)
	}
	out := run("etcd-snapshot.sh", withCert)
	require.Contains(t, out, "etcd snapshot set")
	writers.Stop()

	sets, err := os.ReadDir(backups)
	require.NoError(t, err)
	require.Len(t, sets, 1)
	snapshot := filepath.Join(backups, sets[0].Name(), "snapshot.db")

	// Restore into a fresh directory and start a real etcd there, as the lost member.
	peerPort, clientPort := freePort(t), freePort(t)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	clientURL := "https://127.0.0.1:" + strconv.Itoa(clientPort)
	data := filepath.Join(t.TempDir(), "data")
	out = run("etcd-restore.sh", []string{"DATA_DIR=" + data, "ETCD_NAME=restored",
		"ETCD_INITIAL_CLUSTER=restored=" + peerURL, "ETCD_INITIAL_ADVERTISE_PEER_URLS=" + peerURL,
		"ETCD_INITIAL_CLUSTER_TOKEN=restored"}, snapshot)
	require.Contains(t, out, "restored restored into "+data)
	var logs bytes.Buffer
	server := exec.Command(etcdBin, "--name=restored", "--data-dir="+data,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--listen-client-urls="+clientURL, "--advertise-client-urls="+clientURL,
		"--cert-file="+serverCert.CertFile, "--key-file="+serverCert.KeyFile,
		"--trusted-ca-file="+ca.CertFile, "--client-cert-auth")
	server.Stdout, server.Stderr = &logs, &logs
	require.NoError(t, server.Start())
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	rc, err := clientv3.New(clientv3.Config{Endpoints: []string{clientURL}, DialTimeout: 5 * time.Second,
		TLS: ca.ClientTLS(&root), Logger: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rc.Close() })
	require.Eventually(t, func() bool {
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := rc.Status(sctx, clientURL)
		return err == nil
	}, 60*time.Second, 50*time.Millisecond, "the restored etcd serves: %s", &logs)

	found := map[string]string{}
	for _, p := range prefixes {
		resp, err := rc.Get(ctx, p, clientv3.WithPrefix())
		require.NoError(t, err)
		for _, kv := range resp.Kvs {
			found[string(kv.Key)] = string(kv.Value)
		}
	}
	for k, v := range before {
		require.Equal(t, v, found[k], "%s was acknowledged before the snapshot", k)
	}
	for k, v := range found {
		require.Equal(t, writers.tried[k], v, "%s was never written so", k)
	}
	t.Logf("%d keys acknowledged before the snapshot, %d restored", len(before), len(found))
	// A watcher of the lost cluster's revisions is told to reload, not left waiting.
	_, err = rc.Get(ctx, prefixes[0], clientv3.WithPrefix(), clientv3.WithRev(2))
	require.ErrorIs(t, err, rpctypes.ErrCompacted)

	// Sets rotate: only the newest KEEP stay, and none is left partial. One set is taken
	// as the chart's CronJob does (the etcd image's tools in init containers, then the
	// script with TAKEN); one by user name and password from a file, the first member
	// given being down.
	taken := filepath.Join(backups, ".taken.db")
	run(etcdctl, withCert, "snapshot", "save", taken)
	run(etcdutl, nil, "snapshot", "status", taken, "--write-out=table")
	run("etcd-snapshot.sh", []string{"TAKEN=" + taken})
	passwordFile := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(passwordFile, []byte(rootPassword), 0o600))
	down := "https://127.0.0.1:" + strconv.Itoa(freePort(t))
	out = run("etcd-snapshot.sh", []string{"ETCDCTL_ENDPOINTS=" + down + "," + e.Endpoint,
		"ETCDCTL_CERT=" + root.CertFile, "ETCDCTL_KEY=" + root.KeyFile,
		"ETCDCTL_USER=root", "ETCD_PASSWORD_FILE=" + passwordFile})
	require.Contains(t, out, "no snapshot from "+down)
	sets, err = os.ReadDir(backups)
	require.NoError(t, err)
	require.Len(t, sets, 2)
	for _, s := range sets {
		require.NotContains(t, s.Name(), ".partial")
		_, err := os.Stat(filepath.Join(backups, s.Name(), "snapshot.db"))
		require.NoError(t, err)
	}
}

// freePort is a loopback port nobody listens on (for a moment).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
