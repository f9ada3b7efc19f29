package config

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEnvName(t *testing.T) {
	require.Equal(t, "GAOXING_GRPC_ADDR", EnvName("grpc-addr"))
	require.Equal(t, "GAOXING_ETCD_DIAL_TIMEOUT", EnvName("etcd.dial-timeout"))
}

func TestParse(t *testing.T) {
	type flags struct {
		fs       *flag.FlagSet
		addr     *string
		timeout  *time.Duration
		debug    *bool
		services List
	}
	declare := func() *flags {
		f := &flags{fs: flag.NewFlagSet("tickets", flag.ContinueOnError), services: List{"tickets"}}
		f.fs.SetOutput(&bytes.Buffer{})
		f.addr = f.fs.String("grpc-addr", "127.0.0.1:9090", "gRPC listen address")
		f.timeout = f.fs.Duration("etcd-timeout", 5*time.Second, "etcd dial timeout")
		f.debug = f.fs.Bool("debug", false, "debug logging")
		f.fs.Var(&f.services, "services", "services to run")
		return f
	}

	t.Run("defaults", func(t *testing.T) {
		f := declare()
		require.NoError(t, Parse(f.fs, nil))
		require.Equal(t, "127.0.0.1:9090", *f.addr)
		require.Equal(t, List{"tickets"}, f.services)
	})
	t.Run("environment over defaults", func(t *testing.T) {
		t.Setenv("GAOXING_GRPC_ADDR", "0.0.0.0:9191")
		t.Setenv("GAOXING_ETCD_TIMEOUT", "2s")
		t.Setenv("GAOXING_DEBUG", "true")
		t.Setenv("GAOXING_SERVICES", "tickets, matters,,legalaid")
		f := declare()
		require.NoError(t, Parse(f.fs, nil))
		require.Equal(t, "0.0.0.0:9191", *f.addr)
		require.Equal(t, 2*time.Second, *f.timeout)
		require.True(t, *f.debug)
		require.Equal(t, List{"tickets", "matters", "legalaid"}, f.services)
	})
	t.Run("command line over environment", func(t *testing.T) {
		t.Setenv("GAOXING_GRPC_ADDR", "0.0.0.0:9191")
		f := declare()
		require.NoError(t, Parse(f.fs, []string{"-grpc-addr", "127.0.0.1:7000", "-services=documents"}))
		require.Equal(t, "127.0.0.1:7000", *f.addr)
		require.Equal(t, List{"documents"}, f.services)
	})
	t.Run("bad environment value names the variable", func(t *testing.T) {
		t.Setenv("GAOXING_ETCD_TIMEOUT", "soon")
		err := Parse(declare().fs, nil)
		require.ErrorContains(t, err, "GAOXING_ETCD_TIMEOUT")
	})
	t.Run("usage names the variable", func(t *testing.T) {
		f := declare()
		require.NoError(t, Parse(f.fs, nil))
		require.Contains(t, f.fs.Lookup("grpc-addr").Usage, "$GAOXING_GRPC_ADDR")
	})
}
