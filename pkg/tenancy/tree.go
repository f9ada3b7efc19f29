package tenancy

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/etcdwatch"
)

// DefaultTreePrefix is where the tenant tree lives in etcd: one key per tenant,
// <prefix>/<id>, holding the Tenant as JSON.
const DefaultTreePrefix = "/gaoxing/tenants"

// Tree is the tenant tree as read from etcd and kept current by a watch. Reads are served
// from memory; writes go to etcd and return once this Tree has seen them. Every replica
// of every service holds one; identity is the one that writes.
type Tree struct {
	client *clientv3.Client
	prefix string // with the trailing "/"
	log    *slog.Logger

	mu       sync.RWMutex
	byID     map[ID]Tenant
	children map[ID][]ID // sorted
	applied  int64       // etcd revision the view reflects
	changed  chan struct{}

	reloads atomic.Int64 // full reloads after a watch gap, for tests and logs
	cancel  context.CancelFunc
	done    chan struct{}
}

// OpenTree loads the tree under prefix (DefaultTreePrefix in production) and keeps it
// current until Close. It fails if etcd cannot be read within ctx.
func OpenTree(ctx context.Context, client *clientv3.Client, prefix string) (*Tree, error) {
	t := &Tree{
		client:  client,
		prefix:  strings.TrimSuffix(prefix, "/") + "/",
		log:     slog.Default().With("component", "tenancy.Tree"),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	rev, err := t.reload(ctx)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	go t.watch(wctx, rev)
	return t, nil
}

// Close stops the watch. The last view stays readable.
func (t *Tree) Close() error {
	t.cancel()
	<-t.done
	return nil
}

// Get returns the tenant id.
func (t *Tree) Get(id ID) (Tenant, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tn, ok := t.byID[id]
	if !ok {
		return Tenant{}, false
	}
	return tn.clone(), true
}

// Roots returns the tenants without a parent (the district), sorted by id.
func (t *Tree) Roots() []Tenant { return t.Children("") }

// Children returns id's direct children sorted by id; Children("") returns the roots.
func (t *Tree) Children(id ID) []Tenant {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []Tenant
	for _, c := range t.children[id] {
		out = append(out, t.byID[c].clone())
	}
	return out
}

// Subtree returns id and everything below it, depth first, each level sorted by id;
// nil when id is not in the tree.
func (t *Tree) Subtree(id ID) []Tenant {
	t.mu.RLock()
	defer t.mu.RUnlock()
	root, ok := t.byID[id]
	if !ok {
		return nil
	}
	out := []Tenant{root.clone()}
	var walk func(ID)
	walk = func(p ID) {
		for _, c := range t.children[p] {
			out = append(out, t.byID[c].clone())
			walk(c)
		}
	}
	walk(id)
	return out
}

// Len is the number of tenants.
func (t *Tree) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byID)
}

// reload reads the whole tree and swaps it in, returning the revision it was read at.
func (t *Tree) reload(ctx context.Context) (int64, error) {
	resp, err := t.client.Get(ctx, t.prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, unavailable("读取租户树失败", err)
	}
	byID := make(map[ID]Tenant, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		if tn, ok := t.decode(kv.Key, kv.Value); ok {
			byID[tn.ID] = tn
		}
	}
	children := map[ID][]ID{}
	for id := range byID {
		children[id.Parent()] = append(children[id.Parent()], id)
	}
	for _, c := range children {
		slices.Sort(c)
	}
	for id := range byID {
		if p := id.Parent(); p != "" {
			if _, ok := byID[p]; !ok {
				t.log.Warn("tenant without parent", "tenant", id, "parent", p)
			}
		}
	}
	t.mu.Lock()
	t.byID, t.children = byID, children
	t.advance(resp.Header.Revision)
	t.mu.Unlock()
	return resp.Header.Revision, nil
}

// decode parses one key/value; bad entries (written around the API) are logged and skipped.
func (t *Tree) decode(key, value []byte) (Tenant, bool) {
	id := ID(strings.TrimPrefix(string(key), t.prefix))
	var tn Tenant
	if err := json.Unmarshal(value, &tn); err != nil {
		t.log.Error("skipping unreadable tenant", "key", string(key), "err", err)
		return Tenant{}, false
	}
	if err := tn.normalize(); err != nil || tn.ID != id {
		t.log.Error("skipping invalid tenant", "key", string(key), "err", err)
		return Tenant{}, false
	}
	return tn, true
}

// watch keeps the tree current from rev on (see etcdwatch: one change at a time, a full
// reload after any gap).
func (t *Tree) watch(ctx context.Context, rev int64) {
	defer close(t.done)
	etcdwatch.Watch{
		Client: t.client, Prefix: t.prefix, Name: "tenant tree", Log: t.log,
		Apply: t.apply, Reload: t.reload, Reloaded: func(int64) { t.reloads.Add(1) },
	}.Follow(ctx, rev)
}

func (t *Tree) apply(events []*clientv3.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ev := range events {
		id := ID(strings.TrimPrefix(string(ev.Kv.Key), t.prefix))
		if ev.Type == clientv3.EventTypeDelete {
			if _, ok := t.byID[id]; ok {
				delete(t.byID, id)
				p := id.Parent()
				t.children[p] = slices.DeleteFunc(t.children[p], func(c ID) bool { return c == id })
			}
		} else if tn, ok := t.decode(ev.Kv.Key, ev.Kv.Value); ok {
			if _, exists := t.byID[id]; !exists {
				p := id.Parent()
				i, _ := slices.BinarySearch(t.children[p], id)
				t.children[p] = slices.Insert(t.children[p], i, id)
			}
			t.byID[id] = tn
		}
		t.advance(ev.Kv.ModRevision)
	}
}

// advance records that the view reflects rev and wakes writers waiting for it. Callers
// hold mu.
func (t *Tree) advance(rev int64) {
	if rev > t.applied {
		t.applied = rev
		close(t.changed)
		t.changed = make(chan struct{})
	}
}

// waitFor returns once the view reflects rev, so a writer reads its own write.
func (t *Tree) waitFor(ctx context.Context, rev int64) error {
	for {
		t.mu.RLock()
		applied, ch := t.applied, t.changed
		t.mu.RUnlock()
		if applied >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return errs.ErrUnavailable.WithMessage("等待租户树更新超时").Wrap(ctx.Err())
		}
	}
}

// unavailable wraps an etcd failure, keeping context errors recognisable.
func unavailable(msg string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.From(err)
	}
	return errs.ErrUnavailable.WithMessage("%s", msg).Wrap(err)
}
