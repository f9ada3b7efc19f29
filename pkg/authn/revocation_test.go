package authn_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authn/authntest"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

func etcdClient(t *testing.T, endpoint string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRevocations(t *testing.T) {
	etcd := testenv.StartEtcd(t)
	ctx := t.Context()
	writer := etcdClient(t, etcd.Endpoint)
	require.NoError(t, authn.Revoke(ctx, writer, "before-watch", time.Now().Add(5*time.Minute)))

	r, err := authn.WatchRevocations(ctx, etcd.Client())
	require.NoError(t, err)
	require.True(t, r.Revoked(ctx, "before-watch"), "loaded at start")
	require.False(t, r.Revoked(ctx, "live"))

	require.NoError(t, authn.Revoke(ctx, writer, "jti-1", time.Now().Add(5*time.Minute)))
	require.Eventually(t, func() bool { return r.Revoked(ctx, "jti-1") }, 5*time.Second, 5*time.Millisecond)

	// The key lives as long as the token could still verify, no longer.
	resp, err := writer.Get(ctx, authn.RevokedPrefix+"jti-1")
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	ttl, err := writer.TimeToLive(ctx, clientv3.LeaseID(resp.Kvs[0].Lease))
	require.NoError(t, err)
	require.InDelta(t, (5*time.Minute + authn.DefaultSkew).Seconds(), float64(ttl.TTL), 5)

	// An expired token needs no entry; an empty id is a mistake.
	require.NoError(t, authn.Revoke(ctx, writer, "expired", time.Now().Add(-time.Minute)))
	resp, err = writer.Get(ctx, authn.RevokedPrefix+"expired")
	require.NoError(t, err)
	require.Empty(t, resp.Kvs)
	require.Error(t, authn.Revoke(ctx, writer, "", time.Now().Add(time.Minute)))

	// When the lease ends the key goes, and so does the entry.
	_, err = writer.Delete(ctx, authn.RevokedPrefix+"jti-1")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !r.Revoked(ctx, "jti-1") }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, 1, r.Len())
	require.Zero(t, r.Reloads())
}

func TestVerifierRefusesRevokedTokens(t *testing.T) {
	etcd := testenv.StartEtcd(t)
	ctx := t.Context()
	r, err := authn.WatchRevocations(ctx, etcd.Client())
	require.NoError(t, err)
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	v := iss.Verifier(authn.WithRevoked(r.Revoked))
	tok := iss.Token(clerk, authntest.ID("tok-9"))
	_, err = v.Verify(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, authn.Revoke(ctx, etcdClient(t, etcd.Endpoint), "tok-9", time.Now().Add(time.Hour)))
	require.Eventually(t, func() bool {
		_, err := v.Verify(ctx, tok)
		return err != nil && errs.From(err).Code == "TOKEN_REVOKED"
	}, 5*time.Second, 5*time.Millisecond)
}

// Markers end every token of a subject (a password change) or of a client (disabled)
// issued before their time, and none issued after; unrelated tokens keep working.
func TestVerifierRefusesTokensBeforeMarkers(t *testing.T) {
	etcd := testenv.StartEtcd(t)
	ctx := t.Context()
	writer := etcdClient(t, etcd.Endpoint)
	r, err := authn.WatchRevocations(ctx, etcd.Client())
	require.NoError(t, err)
	iss := authntest.New(t, authntest.WithAlgorithm("ES256"))
	v := iss.Verifier(authn.WithRevocations(r))

	now := time.Now().Truncate(time.Second)
	old := func(p authn.Principal) string {
		return iss.Token(p, authntest.Claim("iat", now.Add(-time.Minute).Unix()))
	}
	fresh := func(p authn.Principal) string { return iss.Token(p, authntest.Claim("iat", now.Unix())) }
	court := authn.Principal{Subject: "svc-court", Tenant: "ahz", Kind: authn.Service, ClientID: "svc-court"}
	other := clerk
	other.Subject = "u-other"
	viaCourt := other // a person's token through the client that is disabled
	viaCourt.ClientID = "svc-court"

	tokens := map[string]string{
		"clerk old": old(clerk), "clerk fresh": fresh(clerk), "other old": old(other),
		"court old": old(court), "court fresh": fresh(court), "via court old": old(viaCourt),
	}
	for name, tok := range tokens {
		_, err := v.Verify(ctx, tok)
		require.NoError(t, err, name)
	}
	require.NoError(t, authn.RevokeSubject(ctx, writer, clerk.Subject, now, time.Hour))
	require.NoError(t, authn.RevokeClient(ctx, writer, "svc-court", now, time.Hour))
	require.Eventually(t, func() bool { return r.Len() == 2 }, 5*time.Second, 5*time.Millisecond)

	for name, want := range map[string]string{
		"clerk old": "TOKEN_REVOKED", "clerk fresh": "", "other old": "", "via court old": "TOKEN_REVOKED",
		"court old": "TOKEN_REVOKED", "court fresh": "",
	} {
		_, err := v.Verify(ctx, tokens[name])
		if want == "" {
			require.NoError(t, err, name)
		} else {
			require.Equal(t, want, errs.From(err).Code, name)
		}
	}

	// A token that names no iat could not be revoked by a marker: refused.
	_, err = v.Verify(ctx, iss.Token(other, authntest.Claim("iat", nil)))
	require.Equal(t, "TOKEN_INVALID", errs.From(err).Code)

	// The marker lives as long as the tokens it refuses could, then goes.
	resp, err := writer.Get(ctx, authn.RevokedPrefix+"subject/"+clerk.Subject)
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	ttl, err := writer.TimeToLive(ctx, clientv3.LeaseID(resp.Kvs[0].Lease))
	require.NoError(t, err)
	require.InDelta(t, (time.Hour + authn.DefaultSkew).Seconds(), float64(ttl.TTL), 5)
	_, err = writer.Delete(ctx, authn.RevokedPrefix+"subject/"+clerk.Subject)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := v.Verify(ctx, tokens["clerk old"])
		return err == nil
	}, 5*time.Second, 5*time.Millisecond)
}

// A watcher cut off while tokens are revoked, with the history compacted meanwhile,
// cannot resume its watch: it reloads the set and follows changes again.
func TestRevocationsReloadAfterCompactedGap(t *testing.T) {
	etcd := testenv.StartEtcd(t)
	ctx := t.Context()
	writer := etcdClient(t, etcd.Endpoint)
	proxy := newCuttableProxy(t, strings.TrimPrefix(etcd.Endpoint, "http://"))
	r, err := authn.WatchRevocations(ctx, etcdClient(t, proxy.endpoint()))
	require.NoError(t, err)

	proxy.cut()
	require.NoError(t, authn.Revoke(ctx, writer, "during-gap", time.Now().Add(time.Hour)))
	require.NoError(t, authn.Revoke(ctx, writer, "also-during-gap", time.Now().Add(time.Hour)))
	etcd.Compact(ctx) // past the first missed revision: the watch cannot resume
	proxy.restore()
	// Closed by a full reload, counted just after the reloaded set becomes visible.
	require.Eventually(t, func() bool {
		return r.Revoked(ctx, "during-gap") && r.Revoked(ctx, "also-during-gap") && r.Reloads() > 0
	}, 15*time.Second, 10*time.Millisecond)

	require.NoError(t, authn.Revoke(ctx, writer, "after-gap", time.Now().Add(time.Hour)))
	require.Eventually(t, func() bool { return r.Revoked(ctx, "after-gap") }, 5*time.Second, 10*time.Millisecond)
}

// cuttableProxy relays TCP to etcd and can drop every connection, so one client loses its
// watch while etcd keeps serving others.
type cuttableProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	refused bool
	open    []net.Conn
}

func newCuttableProxy(t *testing.T, target string) *cuttableProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cuttableProxy{ln: ln, target: target}
	t.Cleanup(func() { _ = ln.Close(); p.cut() })
	go func() {
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			p.relay(down)
		}
	}()
	return p
}

func (p *cuttableProxy) endpoint() string { return "http://" + p.ln.Addr().String() }

func (p *cuttableProxy) relay(down net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused {
		_ = down.Close()
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = down.Close()
		return
	}
	p.open = append(p.open, down, up)
	copyThenClose := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
		_ = src.Close()
	}
	go copyThenClose(up, down)
	go copyThenClose(down, up)
}

func (p *cuttableProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refused = true
	for _, c := range p.open {
		_ = c.Close()
	}
	p.open = nil
}

func (p *cuttableProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refused = false
}
