package infra

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
)

// EtcdConfig configures an embedded single-member etcd.
type EtcdConfig struct {
	Dir string // data directory; kept across restarts
	// ClientAddr and PeerAddr are host:port; "" means 127.0.0.1:0 (a free port).
	ClientAddr, PeerAddr string
	// LogFile receives etcd's own log; "" discards it.
	LogFile string
	// ClientTLS, when its certificate is set, serves clients over https only; with
	// ClientCertAuth every client must present a certificate its CA signed.
	ClientTLS transport.TLSInfo
}

// Etcd is an embedded etcd server.
type Etcd struct {
	server *embed.Etcd
	// Endpoint is the client URL, e.g. "http://127.0.0.1:2379".
	Endpoint string
}

// StartEtcd starts etcd and waits, until ctx ends, for it to serve.
func StartEtcd(ctx context.Context, c EtcdConfig) (*Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Dir = c.Dir
	if c.LogFile == "" {
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	} else {
		cfg.LogOutputs = []string{c.LogFile}
	}
	cu, err := loopbackURL(c.ClientAddr)
	if err != nil {
		return nil, fmt.Errorf("etcd client address: %w", err)
	}
	scheme := "http"
	if !c.ClientTLS.Empty() {
		cu.Scheme, scheme = "https", "https"
		cfg.ClientTLSInfo = c.ClientTLS
	}
	pu, err := loopbackURL(c.PeerAddr)
	if err != nil {
		return nil, fmt.Errorf("etcd peer address: %w", err)
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	select {
	case <-srv.Server.ReadyNotify():
	case err := <-srv.Err():
		srv.Close()
		return nil, fmt.Errorf("etcd: %w", err)
	case <-ctx.Done():
		srv.Close()
		return nil, fmt.Errorf("etcd not ready: %w", context.Cause(ctx))
	}
	return &Etcd{server: srv, Endpoint: scheme + "://" + srv.Clients[0].Addr().String()}, nil
}

func loopbackURL(addr string) (*url.URL, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return url.Parse("http://" + addr)
}

// Client returns a new client of this etcd; the caller closes it before Close.
func (e *Etcd) Client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{e.Endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
		DialOptions: telemetry.GRPCClientOptions(),
	})
}

// Ready reports whether the member answers a status request through c.
func (e *Etcd) Ready(ctx context.Context, c *clientv3.Client) error {
	resp, err := c.Status(ctx, e.Endpoint)
	if err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		return errors.New(resp.Errors[0])
	}
	return nil
}

// Close stops the server; in-flight requests are cut.
func (e *Etcd) Close() { e.server.Close() }
