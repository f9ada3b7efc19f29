package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func TestCalendarLoadAndList(t *testing.T) {
	e := testenv.StartEtcd(t)
	c := e.Client()
	gaoxing := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	// A contradictory schedule is refused with the reason and stores nothing.
	code, _, stderr := gaoxing("calendar", "load", "--etcd", e.Endpoint, "-f", "testdata/contradictory-2027.yaml")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "2027-01-02")
	got, err := c.Get(t.Context(), calendar.Key(2027))
	require.NoError(t, err)
	require.Zero(t, got.Count)

	// The launcher's etcd is found through its data directory.
	data := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(data, endpointFile), []byte(e.Endpoint+"\n"), 0o600))
	code, stdout, stderr := gaoxing("calendar", "load", "--data", data, "-f", "testdata/2027-drill.yaml")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "loaded 2027")

	code, stdout, _ = gaoxing("calendar", "list", "--etcd", e.Endpoint)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "演练用 2027 年安排")

	code, _, _ = gaoxing("calendar", "load", "--etcd", e.Endpoint)
	require.Equal(t, 2, code, "-f is required")
	code, _, _ = gaoxing("calendar")
	require.Equal(t, 2, code)
}

func TestTenantApplyIsIdempotent(t *testing.T) {
	e := testenv.StartEtcd(t)
	gaoxing := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	const zone = "../../pkg/tenancy/default_tree.yaml" // the 1+2+29 default the chart applies too

	code, stdout, stderr := gaoxing("tenant", "apply", "--etcd", e.Endpoint, "-f", zone, "--dry-run")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "32 tenants in the file, 32 changes, 0 kept (dry run")
	code, stdout, _ = gaoxing("tenant", "apply", "--etcd", e.Endpoint, "-f", zone)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "+ ahz.s01.c01")
	code, stdout, _ = gaoxing("tenant", "apply", "--etcd", e.Endpoint, "-f", zone)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "32 tenants in the file, 0 changes, 0 kept", "a second apply changes nothing")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("- id: AHZ\n  name: 错误\n"), 0o600))
	code, _, stderr = gaoxing("tenant", "apply", "--etcd", e.Endpoint, "-f", bad)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "tenants[0].id")
}

// TestTenantApplyIsSafe is the chart hook's contract: a file that leaves tenants out
// deletes none of them unless this run names them, the plan is printed before anything
// changes, an empty file is refused, and applying an older file again (a rollback's
// values) neither deletes what was added since nor repeats a deletion.
func TestTenantApplyIsSafe(t *testing.T) {
	e := testenv.StartEtcd(t)
	gaoxing := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"tenant", "apply", "--etcd", e.Endpoint}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	tenants := func() []string {
		resp, err := e.Client().Get(t.Context(), tenancy.DefaultTreePrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
		require.NoError(t, err)
		var keys []string
		for _, kv := range resp.Kvs {
			keys = append(keys, string(kv.Key))
		}
		return keys
	}
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	const district = "- {id: ahz, name: 区中心, tier: district, enabled: true}\n"
	const street = "- {id: ahz.s01, name: 第一街道, tier: street, enabled: true}\n"
	const community = "- {id: ahz.s01.c01, name: 第一社区, tier: community, enabled: true}\n"
	full := file("full.yaml", district+street+community)
	code, stdout, stderr := gaoxing("-f", full)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "plan: 3 tenants in the file, 0 in etcd\n+ ahz 区中心\n+ ahz.s01 第一街道\n+ ahz.s01.c01 第一社区\n3 tenants in the file, 3 changes, 0 kept\n", stdout)
	all := tenants()
	require.Len(t, all, 3)

	// The chart's demo tree or a partial file: the missing tenants are kept and listed.
	partial := file("partial.yaml", district)
	code, stdout, stderr = gaoxing("-f", partial)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "! ahz.s01 kept")
	require.Contains(t, stdout, "! ahz.s01.c01 kept")
	require.Contains(t, stdout, "1 tenants in the file, 0 changes, 2 kept")
	require.Equal(t, all, tenants())

	// An empty tree and contradictory deletions are refused, changing nothing.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", file("empty.yaml", "")}, "EMPTY_TENANT_TREE"},
		{[]string{"-f", file("none.yaml", "[]\n")}, "EMPTY_TENANT_TREE"},
		{[]string{"-f", partial, "--delete", "ahz.s01"}, "DELETE_HAS_CHILDREN"},
		{[]string{"-f", full, "--delete", "ahz.s01.c01"}, "DELETE_LISTED_TENANT"},
	} {
		code, stdout, stderr = gaoxing(c.args...)
		require.Equal(t, 1, code, stdout)
		require.Contains(t, stderr, c.want)
		require.Equal(t, all, tenants())
	}

	// Named for this run, the community goes; the same run again changes nothing.
	withStreet := file("street.yaml", district+street)
	for range 2 {
		code, stdout, stderr = gaoxing("-f", withStreet, "--delete", "ahz.s01.c01")
		require.Equal(t, 0, code, stderr)
	}
	require.Contains(t, stdout, "2 tenants in the file, 0 changes, 0 kept")
	require.Len(t, tenants(), 2)

	// A rollback's older file brings the community back and deletes nothing.
	code, stdout, stderr = gaoxing("-f", full)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "+ ahz.s01.c01 第一社区")
	require.Equal(t, all, tenants())
}

// TestTenantApplyOverTLS: the hook Job reaches an etcd that wants TLS and a client
// certificate with the flags (or GAOXING_ETCD_* variables) the services use.
func TestTenantApplyOverTLS(t *testing.T) {
	ca := testenv.NewCA(t)
	server, hook := ca.Server("etcd"), ca.Client("hook")
	e := testenv.StartEtcdTLS(t, transport.TLSInfo{
		CertFile: server.CertFile, KeyFile: server.KeyFile, TrustedCAFile: ca.CertFile, ClientCertAuth: true,
	}, ca.ClientTLS(&hook))
	file := filepath.Join(t.TempDir(), "tree.yaml")
	require.NoError(t, os.WriteFile(file, []byte("- {id: ahz, name: 区中心, tier: district, enabled: true}\n"), 0o600))
	// (pkg/app's TestMainOverTLSWithAuth shows the refusals of config.Etcd's clients.)
	var out, errOut bytes.Buffer
	t.Setenv("GAOXING_ETCD_CERT_FILE", hook.CertFile)
	t.Setenv("GAOXING_ETCD_KEY_FILE", hook.KeyFile)
	require.Equal(t, 0, run([]string{"tenant", "apply", "--etcd", e.Endpoint, "--etcd-ca-file", ca.CertFile, "-f", file}, &out, &errOut), errOut.String())
	require.Contains(t, out.String(), "+ ahz 区中心")
}
