package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
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
	require.Contains(t, stdout, "32 tenants in the file, 32 changes (dry run")
	code, stdout, _ = gaoxing("tenant", "apply", "--etcd", e.Endpoint, "-f", zone)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "+ ahz.s01.c01")
	code, stdout, _ = gaoxing("tenant", "apply", "--etcd", e.Endpoint, "-f", zone)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "32 tenants in the file, 0 changes", "a second apply changes nothing")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("- id: AHZ\n  name: 错误\n"), 0o600))
	code, _, stderr = gaoxing("tenant", "apply", "--etcd", e.Endpoint, "-f", bad)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "tenants[0].id")
}
