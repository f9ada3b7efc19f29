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

// RevokedPrefix is where revocations live in etcd, each on a lease that ends when the
// tokens it refuses would have expired anyway, so the set only holds what still matters:
//
//	<prefix><jti>                one revoked token (撤销的令牌)
//	<prefix>subject/<sub>        every token of a subject issued before the value's time
//	                             (password changed, account suspended: 会话失效)
//	<prefix>client/<client_id>   every token issued to a client before the value's time
//	                             (the client was disabled)
//
// Token ids are URL-safe random strings, so they never contain the '/' of the markers.
const RevokedPrefix = "/gaoxing/authn/revoked/"

// Marker kinds under RevokedPrefix.
const (
	subjectMarker = "subject/"
	clientMarker  = "client/"
)

// Revoke publishes that the token jti, valid until expiresAt, is revoked (撤销). Every
// Revocations set sees it within a watch round trip. A token already expired needs nothing.
func Revoke(ctx context.Context, client *clientv3.Client, jti string, expiresAt time.Time) error {
	if jti == "" || strings.Contains(jti, "/") {
		return fmt.Errorf("authn: revoke: bad jti %q", jti)
	}
	return publish(ctx, client, RevokedPrefix+jti, expiresAt, expiresAt)
}

// RevokeSubject publishes that every token of subject issued before before is revoked
// (a password change, a suspension). lifetime is the longest access token lifetime: the
// marker is kept until every such token has expired anyway. Tokens carry iat in whole
// seconds, so a token counts as issued before when its iat is earlier than before; pass a
// time on a second boundary.
func RevokeSubject(ctx context.Context, client *clientv3.Client, subject string, before time.Time, lifetime time.Duration) error {
	if subject == "" {
		return fmt.Errorf("authn: revoke subject: empty subject")
	}
	return publish(ctx, client, RevokedPrefix+subjectMarker+subject, before, before.Add(lifetime))
}

// RevokeClient publishes that every token issued to the OAuth client clientID (its own
// machine tokens and people's tokens through it) before before is revoked, as when the
// client is disabled. lifetime is as for RevokeSubject.
func RevokeClient(ctx context.Context, client *clientv3.Client, clientID string, before time.Time, lifetime time.Duration) error {
	if clientID == "" {
		return fmt.Errorf("authn: revoke client: empty client id")
	}
	return publish(ctx, client, RevokedPrefix+clientMarker+clientID, before, before.Add(lifetime))
}

// publish puts key=value on a lease that ends at until (plus the verifiers' clock skew:
// until then a token still verifies). Nothing is written when until has passed.
func publish(ctx context.Context, client *clientv3.Client, key string, value, until time.Time) error {
	left := time.Until(until)
	if left <= 0 {
		return nil
	}
	ttl := int64((left+DefaultSkew)/time.Second) + 1 // rounded up
	lease, err := client.Grant(ctx, ttl)
	if err != nil {
		return fmt.Errorf("authn: revoke %s: lease: %w", key, err)
	}
	if _, err := client.Put(ctx, key, value.UTC().Format(time.RFC3339Nano), clientv3.WithLease(lease.ID)); err != nil {
		return fmt.Errorf("authn: revoke %s: %w", key, err)
	}
	return nil
}

// TokenRef is what a revocation check looks at in a verified token.
type TokenRef struct {
	ID       string    // jti
	Subject  string    // sub
	ClientID string    // client_id (empty for tokens that name none)
	IssuedAt time.Time // iat
}

// Revocations is the set of revocations, kept current by an etcd watch. Use it as
// WithRevocations(r). It is safe for concurrent use.
type Revocations struct {
	client  *clientv3.Client
	log     *slog.Logger
	reloads atomic.Int64

	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.RWMutex
	revoked  map[string]struct{}
	subjects map[string]time.Time // subject → tokens issued before this are refused
	clients  map[string]time.Time // client_id → likewise
}

// WatchRevocations loads the revoked set and keeps it current until ctx ends or Close.
// After a gap in the watch (compaction, a lost leader, a restart) it reloads the whole
// set, so no revocation is missed for longer than the gap.
func WatchRevocations(ctx context.Context, client *clientv3.Client) (*Revocations, error) {
	r := &Revocations{client: client, log: slog.Default().With("component", "authn.revocations"), done: make(chan struct{})}
	rev, err := r.reload(ctx)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	go func() {
		defer close(r.done)
		r.watch(wctx, rev)
	}()
	return r, nil
}

// Close stops the watch and returns once it has stopped.
func (r *Revocations) Close() error {
	r.cancel()
	<-r.done
	return nil
}

// Revoked reports whether the token jti has been revoked by its id.
func (r *Revocations) Revoked(_ context.Context, jti string) bool {
	r.mu.RLock()
	_, ok := r.revoked[jti]
	r.mu.RUnlock()
	return ok
}

// RevokedToken reports whether t is revoked: by its id, or by a marker for its subject or
// its client dated after it was issued.
func (r *Revocations) RevokedToken(_ context.Context, t TokenRef) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, ok := r.revoked[t.ID]; ok {
		return true
	}
	if before, ok := r.subjects[t.Subject]; ok && t.IssuedAt.Before(before) {
		return true
	}
	if before, ok := r.clients[t.ClientID]; ok && t.ClientID != "" && t.IssuedAt.Before(before) {
		return true
	}
	return false
}

// Len is the number of revocations (tokens and markers) still within their lifetime.
func (r *Revocations) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.revoked) + len(r.subjects) + len(r.clients)
}

// Reloads counts full reloads after watch gaps (for tests and metrics).
func (r *Revocations) Reloads() int64 { return r.reloads.Load() }

func (r *Revocations) reload(ctx context.Context) (int64, error) {
	resp, err := r.client.Get(ctx, RevokedPrefix, clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("authn: load revocations: %w", err)
	}
	r.mu.Lock()
	r.revoked = make(map[string]struct{}, len(resp.Kvs))
	r.subjects = map[string]time.Time{}
	r.clients = map[string]time.Time{}
	for _, kv := range resp.Kvs {
		r.set(string(kv.Key), kv.Value)
	}
	r.mu.Unlock()
	return resp.Header.Revision, nil
}

// set records one key; the caller holds mu.
func (r *Revocations) set(key string, value []byte) {
	name := strings.TrimPrefix(key, RevokedPrefix)
	if m, id, ok := r.marker(name); ok {
		before, err := time.Parse(time.RFC3339Nano, string(value))
		if err != nil {
			// Unreadable: refuse everything issued until now rather than nothing.
			r.log.Warn("unreadable revocation marker", "key", key, "err", err)
			before = time.Now()
		}
		m[id] = before
		return
	}
	r.revoked[name] = struct{}{}
}

// marker returns the map a marker key belongs to, and the marker's id.
func (r *Revocations) marker(name string) (map[string]time.Time, string, bool) {
	if id, ok := strings.CutPrefix(name, subjectMarker); ok {
		return r.subjects, id, true
	}
	if id, ok := strings.CutPrefix(name, clientMarker); ok {
		return r.clients, id, true
	}
	return nil, "", false
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
		key := string(ev.Kv.Key)
		if ev.Type != clientv3.EventTypeDelete {
			r.set(key, ev.Kv.Value)
			continue
		}
		name := strings.TrimPrefix(key, RevokedPrefix)
		if m, id, ok := r.marker(name); ok {
			delete(m, id)
		} else {
			delete(r.revoked, name)
		}
	}
}
