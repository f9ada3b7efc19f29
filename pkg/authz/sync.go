package authz

import (
	"context"
	"slices"
	"sync"
)

// live is every open Enforcer of this process, so that Sync can wait for all of them.
var live = enforcers{set: map[*Enforcer]struct{}{}}

type enforcers struct {
	mu  sync.Mutex
	set map[*Enforcer]struct{}
}

func (l *enforcers) add(e *Enforcer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set[e] = struct{}{}
}

func (l *enforcers) remove(e *Enforcer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.set, e)
}

// Sync returns once every other Enforcer of this process that follows the same etcd
// (the same endpoints, through any client) has applied the policy as this one has it. A
// writer's own Enforcer reads its writes at once; Sync is for a process that holds
// several (a test beside the services it runs in process), where another one's watch may
// still be a moment behind.
func (e *Enforcer) Sync(ctx context.Context) error {
	e.mu.RLock()
	rev := e.applied
	e.mu.RUnlock()
	endpoints := e.adapter.client.Endpoints()
	live.mu.Lock()
	var others []*Enforcer
	for o := range live.set {
		if o != e && slices.Equal(o.adapter.client.Endpoints(), endpoints) {
			others = append(others, o)
		}
	}
	live.mu.Unlock()
	for _, o := range others {
		if err := o.waitApplied(ctx, rev); err != nil {
			return err
		}
	}
	return nil
}
