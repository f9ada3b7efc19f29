package authz

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/etcdwatch"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Errors of authorization, shared by every service.
var (
	ErrDenied          = errs.New(errs.PermissionDenied, "PERMISSION_DENIED", "您无权执行此操作")
	ErrUnauthenticated = errs.New(errs.Unauthenticated, "UNAUTHENTICATED", "请先登录")
	ErrTenantRequired  = errs.New(errs.InvalidArgument, "TENANT_REQUIRED", "请求未指明所属租户")
)

// Enforcer decides who may do what where, from the policy in etcd. Decisions come from
// an in-memory index of the policy; a watch applies each change to it as it happens (one
// rule in, one rule out) and reloads everything only after a gap in the watch. Writes go
// to etcd through the Adapter and return once this Enforcer enforces them. Every replica
// of every service holds one.
type Enforcer struct {
	adapter   *Adapter
	log       *slog.Logger
	applicant map[string]bool // applicant roles (Role.Applicant)

	mu      sync.RWMutex
	idx     *index
	applied int64 // etcd revision the index reflects
	changed chan struct{}

	reloads atomic.Int64 // full reloads after a watch gap, for tests and logs
	cancel  context.CancelFunc
	done    chan struct{}
}

// Option configures an Enforcer.
type Option func(*Enforcer)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(e *Enforcer) { e.log = l } }

// WithApplicantRoles sets which roles are applicant roles (default ApplicantRoles(): the
// default roles marked applicant).
func WithApplicantRoles(names ...string) Option {
	return func(e *Enforcer) { e.applicant = roleSet(names) }
}

func roleSet(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

// New loads the policy under prefix (DefaultPrefix in production) and keeps it current
// until Close. It fails if etcd cannot be read within ctx.
func New(ctx context.Context, client *clientv3.Client, prefix string, opts ...Option) (*Enforcer, error) {
	e := &Enforcer{
		adapter: NewAdapter(client, prefix),
		log:     slog.Default(),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	WithApplicantRoles(ApplicantRoles()...)(e)
	for _, o := range opts {
		o(e)
	}
	e.log = e.log.With("component", "authz.Enforcer")
	rev, err := e.reload(ctx)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go e.watch(wctx, rev)
	live.add(e)
	return e, nil
}

// Close stops the watch; decisions keep using the last policy seen.
func (e *Enforcer) Close() error {
	live.remove(e)
	e.cancel()
	<-e.done
	return nil
}

// Allowed reports whether sub may do act on obj at tenant: some role sub holds at tenant
// or above it allows it, and no rule denies it. Malformed input is never allowed.
func (e *Enforcer) Allowed(sub string, tenant tenancy.ID, obj, act string) bool {
	if !validSubject(sub) || !validTenant(string(tenant)) || !validObject(obj) || !validAction(act) {
		return false
	}
	e.mu.RLock()
	ok := e.idx.allowed(sub, tenant, obj, act)
	e.mu.RUnlock()
	return ok
}

// Decision is what Decide answers: whether the call is allowed, and whether a role that
// is not an applicant role allows it.
type Decision struct {
	Allowed bool
	// Staff: some staff role allows it. Allowed and not Staff means the caller holds the
	// permission only as an applicant (citizen, enterprise, agent).
	Staff bool
}

// Decide is Allowed, telling staff permission from applicant permission in the same
// lookups.
func (e *Enforcer) Decide(sub string, tenant tenancy.ID, obj, act string) Decision {
	if !validSubject(sub) || !validTenant(string(tenant)) || !validObject(obj) || !validAction(act) {
		return Decision{}
	}
	e.mu.RLock()
	allowed, staff := e.idx.decide(sub, tenant, obj, act)
	e.mu.RUnlock()
	return Decision{Allowed: allowed, Staff: staff}
}

// Check is Allowed as an error for the caller to return: nil, or ErrDenied with a
// message a clerk can read.
func (e *Enforcer) Check(sub string, tenant tenancy.ID, obj, act string) error {
	if e.Allowed(sub, tenant, obj, act) {
		return nil
	}
	return ErrDenied.WithMessage("您无权在租户 %s 执行此操作（%s: %s）", tenant, obj, act)
}

// Scope returns where sub may do act on obj, for list queries: filter rows with
// Scope.SQL, so a list never returns a row that Allowed would refuse.
func (e *Enforcer) Scope(sub, obj, act string) Scope {
	if !validSubject(sub) || !validObject(obj) || !validAction(act) {
		return Scope{}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.idx.scope(sub, obj, act, false)
}

// StaffScope is Scope through staff roles only (applicant roles left out): where sub may
// call a staff-only method.
func (e *Enforcer) StaffScope(sub, obj, act string) Scope {
	if !validSubject(sub) || !validObject(obj) || !validAction(act) {
		return Scope{}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.idx.scope(sub, obj, act, true)
}

// Grant gives sub role at tenant (and so throughout its subtree).
func (e *Enforcer) Grant(ctx context.Context, sub, role string, tenant tenancy.ID) error {
	return e.write(ctx, []rule{Grant{sub, role, tenant}.rule()}, nil)
}

// Revoke takes back a grant; revoking one that does not exist is not an error.
func (e *Enforcer) Revoke(ctx context.Context, sub, role string, tenant tenancy.ID) error {
	g := Grant{sub, role, tenant}
	if err := g.validate(); err != nil {
		return err
	}
	return e.write(ctx, nil, []rule{g.rule()})
}

// AddPermission adds a permission rule (allow for a role; deny for a role or a subject).
func (e *Enforcer) AddPermission(ctx context.Context, p Permission) error {
	return e.write(ctx, []rule{p.rule()}, nil)
}

// RemovePermission removes a permission rule; removing one that does not exist is not an
// error.
func (e *Enforcer) RemovePermission(ctx context.Context, p Permission) error {
	if err := p.validate(); err != nil {
		return err
	}
	return e.write(ctx, nil, []rule{p.rule()})
}

// Deny forbids subject (a role or a user) to do action on object within tenant ("*" for
// everywhere), whatever else allows it. Deny(ctx, user, "*", "*", "*") suspends a user.
// RemovePermission with Effect Deny lifts it.
func (e *Enforcer) Deny(ctx context.Context, subject, tenant, object, action string) error {
	return e.AddPermission(ctx, Permission{subject, tenant, object, action, Deny})
}

// Grants lists sub's grants, sorted.
func (e *Enforcer) Grants(sub string) []Grant {
	e.mu.RLock()
	s := e.idx.subject(sub)
	out := make([]Grant, 0, s.len())
	for i := range s.len() {
		g := s.at(i)
		out = append(out, Grant{sub, g.role.name, g.tenant})
	}
	e.mu.RUnlock()
	slices.SortFunc(out, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Role, b.Role))
	})
	return out
}

// Permissions lists the rules on subject (a role's permissions, or a subject's denies),
// sorted.
func (e *Enforcer) Permissions(subject string) []Permission {
	e.mu.RLock()
	var out []Permission
	if rs := e.idx.rules[subject]; rs != nil {
		add := func(obj string, ar actionRules) {
			for act, rules := range ar {
				for _, r := range rules {
					eft := Allow
					if r.deny {
						eft = Deny
					}
					out = append(out, Permission{subject, r.tenant, obj, act, eft})
				}
			}
		}
		for obj, ar := range rs.exact {
			add(obj, ar)
		}
		for svc, ar := range rs.service {
			add(svc+".*", ar)
		}
		add(Any, rs.any)
	}
	e.mu.RUnlock()
	slices.SortFunc(out, func(a, b Permission) int {
		return cmp.Or(cmp.Compare(a.Effect, b.Effect), cmp.Compare(a.Object, b.Object),
			cmp.Compare(a.Action, b.Action), cmp.Compare(a.Tenant, b.Tenant))
	})
	return out
}

// Seed writes the roles' permissions into the policy once, then a marker
// (<prefix>.seeded) so that later calls do nothing: safe on every start, it resumes after
// an interrupted run and never brings back a permission an admin has removed. It returns
// how many rules it added.
func (e *Enforcer) Seed(ctx context.Context, roles []Role) (int, error) {
	client := e.adapter.client
	marker := strings.TrimSuffix(e.adapter.prefix, "/") + ".seeded"
	done, err := client.Get(ctx, marker, clientv3.WithCountOnly())
	if err != nil {
		return 0, unavailable("读取权限策略失败", err)
	}
	if done.Count > 0 {
		return 0, nil
	}
	var missing []rule
	e.mu.RLock()
	for _, r := range roles {
		for _, p := range r.Permissions {
			if !e.idx.has(p) {
				missing = append(missing, p.rule())
			}
		}
	}
	e.mu.RUnlock()
	if err := e.write(ctx, missing, nil); err != nil {
		return 0, err
	}
	stamp := fmt.Sprintf(`{"at":%q,"roles":%d}`, time.Now().UTC().Format(time.RFC3339), len(roles))
	if _, err := client.Put(ctx, marker, stamp); err != nil {
		return len(missing), unavailable("写入权限策略失败", err)
	}
	return len(missing), nil
}

// write stores the change in etcd and waits until the watch has applied it here, so a
// writer always reads its own write.
func (e *Enforcer) write(ctx context.Context, puts, deletes []rule) error {
	rev, err := e.adapter.write(ctx, puts, deletes)
	if err != nil || rev == 0 {
		return err
	}
	return e.waitApplied(ctx, rev)
}

// waitApplied returns once the index reflects etcd revision rev.
func (e *Enforcer) waitApplied(ctx context.Context, rev int64) error {
	for {
		e.mu.RLock()
		applied, ch := e.applied, e.changed
		e.mu.RUnlock()
		if applied >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return errs.ErrUnavailable.WithMessage("权限策略已写入，但本实例尚未生效").Wrap(ctx.Err())
		}
	}
}

// advance records that the index reflects rev and wakes waiting writers. Callers hold mu.
func (e *Enforcer) advance(rev int64) {
	if rev > e.applied {
		e.applied = rev
		close(e.changed)
		e.changed = make(chan struct{})
	}
}

// reload builds a new index from the whole policy and swaps it in.
func (e *Enforcer) reload(ctx context.Context) (int64, error) {
	idx := newIndex(e.applicant)
	bad := 0
	rev, err := e.adapter.scan(ctx, func(r rule, err error) {
		if err == nil {
			err = idx.apply(r, true)
		}
		if err != nil {
			bad++
			e.log.Error("skipping invalid policy rule", "rule", r.fields, "err", err)
		}
	})
	if err != nil {
		return 0, err
	}
	e.mu.Lock()
	e.idx = idx
	e.advance(rev)
	e.mu.Unlock()
	e.log.Debug("policy loaded", "rules", idx.size, "invalid", bad, "revision", rev)
	return rev, nil
}

// watch keeps the index current from rev on (see etcdwatch: one rule at a time, a full
// reload after any gap).
func (e *Enforcer) watch(ctx context.Context, rev int64) {
	defer close(e.done)
	etcdwatch.Watch{
		Client: e.adapter.client, Prefix: e.adapter.prefix, Name: "policy", Log: e.log,
		Apply: e.apply, Reload: e.reload, Reloaded: func(int64) { e.reloads.Add(1) },
	}.Follow(ctx, rev)
}

func (e *Enforcer) apply(events []*clientv3.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range events {
		r, err := ruleFromKey(e.adapter.prefix, string(ev.Kv.Key))
		if err == nil {
			err = e.idx.apply(r, ev.Type == clientv3.EventTypePut)
		}
		if err != nil {
			e.log.Error("skipping invalid policy rule", "key", string(ev.Kv.Key), "err", err)
		}
		e.advance(ev.Kv.ModRevision)
	}
}
