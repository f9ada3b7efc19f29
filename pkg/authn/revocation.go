package authn

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/etcdwatch"
)

// RevokedPrefix is where revoked token ids live in etcd: one key per jti, on a lease that
// ends when the token would have expired anyway, so the set only holds live tokens.
const RevokedPrefix = "/gaoxing/authn/revoked/"

// Revoke publishes that the token jti, valid until expiresAt, is revoked (撤销). Every
// Revocations set sees it within a watch round trip. A token already expired needs nothing.
func Revoke(ctx context.Context, client *clientv3.Client, jti string, expiresAt time.Time) error {
	if jti == "" {
		return fmt.Errorf("authn: revoke: empty jti")
	}
	left := time.Until(expiresAt)
	if left <= 0 {
		return nil
	}
	// Round up, and cover the verifiers' clock skew: until then the token still verifies.
	ttl := int64((left+DefaultSkew)/time.Second) + 1
	lease, err := client.Grant(ctx, ttl)
	if err != nil {
		return fmt.Errorf("authn: revoke %s: lease: %w", jti, err)
	}
	if _, err := client.Put(ctx, RevokedPrefix+jti, expiresAt.UTC().Format(time.RFC3339), clientv3.WithLease(lease.ID)); err != nil {
		return fmt.Errorf("authn: revoke %s: %w", jti, err)
	}
	return nil
}

// Revocations is the set of revoked token ids, kept current by an etcd watch. Use it as
// WithRevoked(r.Revoked). It is safe for concurrent use.
type Revocations struct {
	client  *clientv3.Client
	log     *slog.Logger
	reloads atomic.Int64

	mu      sync.RWMutex
	revoked map[string]struct{}
}

// WatchRevocations loads the revoked set and keeps it current until ctx ends. After a gap
// in the watch (compaction, a lost leader, a restart) it reloads the whole set, so no
// revocation is missed for longer than the gap.
func WatchRevocations(ctx context.Context, client *clientv3.Client) (*Revocations, error) {
	r := &Revocations{client: client, log: slog.Default().With("component", "authn.revocations")}
	rev, err := r.reload(ctx)
	if err != nil {
		return nil, err
	}
	go r.watch(ctx, rev)
	return r, nil
}

// Revoked reports whether the token jti has been revoked.
func (r *Revocations) Revoked(_ context.Context, jti string) bool {
	r.mu.RLock()
	_, ok := r.revoked[jti]
	r.mu.RUnlock()
	return ok
}

// Len is the number of revoked tokens still within their lifetime.
func (r *Revocations) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.revoked)
}

// Reloads counts full reloads after watch gaps (for tests and metrics).
func (r *Revocations) Reloads() int64 { return r.reloads.Load() }

func (r *Revocations) reload(ctx context.Context) (int64, error) {
	resp, err := r.client.Get(ctx, RevokedPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return 0, fmt.Errorf("authn: load revocations: %w", err)
	}
	set := make(map[string]struct{}, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		set[strings.TrimPrefix(string(kv.Key), RevokedPrefix)] = struct{}{}
	}
	r.mu.Lock()
	r.revoked = set
	r.mu.Unlock()
	return resp.Header.Revision, nil
}

// watch keeps the set current from rev on (see etcdwatch).
func (r *Revocations) watch(ctx context.Context, rev int64) {
	etcdwatch.Watch{
		Client: r.client, Prefix: RevokedPrefix, Name: "revocations", Log: r.log,
		Apply: r.apply, Reload: r.reload, Reloaded: func(int64) { r.reloads.Add(1) },
	}.Follow(ctx, rev)
}

func (r *Revocations) apply(events []*clientv3.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range events {
		jti := strings.TrimPrefix(string(ev.Kv.Key), RevokedPrefix)
		if ev.Type == clientv3.EventTypeDelete {
			delete(r.revoked, jti)
		} else {
			r.revoked[jti] = struct{}{}
		}
	}
}
