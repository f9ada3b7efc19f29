package tenancy

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Errors of the tree's write API.
var (
	ErrNotFound       = errs.New(errs.NotFound, "TENANT_NOT_FOUND", "租户不存在")
	ErrParentNotFound = errs.New(errs.FailedPrecondition, "PARENT_TENANT_NOT_FOUND", "上级租户不存在，请先创建上级租户")
	ErrHasChildren    = errs.New(errs.FailedPrecondition, "TENANT_HAS_CHILDREN", "该租户下仍有下级租户，不能删除")
	ErrExists         = errs.New(errs.AlreadyExists, "TENANT_EXISTS", "租户已存在")
)

// writeAttempts bounds retries when another writer changes the parent or the children
// between our read and our write.
const writeAttempts = 5

// Put creates or replaces a tenant. The id must be valid, the parent must exist and sit
// on a higher tier, and a tier change must keep every child below. The checks and the
// write are one etcd transaction, so a concurrent Delete of the parent cannot leave an
// orphan. Put returns once this Tree shows the change.
func (t *Tree) Put(ctx context.Context, tn Tenant) error {
	_, err := t.write(ctx, tn, false)
	return err
}

// Create adds a tenant that must not exist yet (ErrExists otherwise), with Put's checks,
// in the same etcd transaction: two concurrent creates of one id cannot both succeed.
func (t *Tree) Create(ctx context.Context, tn Tenant) error {
	created, err := t.write(ctx, tn, true)
	if err == nil && !created {
		return ErrExists.WithMessage("租户 %s 已存在", tn.ID)
	}
	return err
}

// Delete removes a leaf tenant; a tenant with children is refused (ErrHasChildren).
func (t *Tree) Delete(ctx context.Context, id ID) error {
	if _, err := Parse(string(id)); err != nil {
		return err
	}
	key := t.prefix + string(id)
	resp, err := t.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key+"."), "=", 0).WithPrefix()).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return unavailable("删除租户失败", err)
	}
	if !resp.Succeeded {
		return ErrHasChildren.WithMessage("租户 %s 下仍有下级租户，不能删除", id)
	}
	if resp.Responses[0].GetResponseDeleteRange().Deleted == 0 {
		return ErrNotFound.WithMessage("租户 %s 不存在", id)
	}
	return t.waitFor(ctx, resp.Header.Revision)
}

// Seed writes the tenants into an empty tree once: parents first, each only if absent,
// then a marker (<prefix>.seeded) so that later calls do nothing. It is safe on every
// start, resumes after an interrupted run, and never brings back a tenant an admin has
// deleted or undoes an edit. It returns how many tenants it created.
func (t *Tree) Seed(ctx context.Context, tenants []Tenant) (int, error) {
	marker := strings.TrimSuffix(t.prefix, "/") + ".seeded"
	done, err := t.client.Get(ctx, marker, clientv3.WithCountOnly())
	if err != nil {
		return 0, unavailable("读取租户树失败", err)
	}
	if done.Count > 0 {
		return 0, nil
	}
	ordered := slices.Clone(tenants)
	slices.SortStableFunc(ordered, func(a, b Tenant) int { return cmp.Compare(a.ID.Depth(), b.ID.Depth()) })
	created := 0
	for _, tn := range ordered {
		ok, err := t.write(ctx, tn, true)
		if err != nil {
			return created, err
		}
		if ok {
			created++
		}
	}
	stamp := fmt.Sprintf(`{"at":%q,"tenants":%d}`, time.Now().UTC().Format(time.RFC3339), len(ordered))
	if _, err := t.client.Put(ctx, marker, stamp); err != nil {
		return created, unavailable("写入租户树失败", err)
	}
	return created, nil
}

// write puts tn after checking it against its parent and children; with createOnly it
// leaves an existing tenant alone and reports false.
func (t *Tree) write(ctx context.Context, tn Tenant, createOnly bool) (bool, error) {
	tn = tn.clone()
	if err := tn.normalize(); err != nil {
		return false, err
	}
	value, err := json.Marshal(tn)
	if err != nil {
		return false, errs.ErrInternal.Wrap(err)
	}
	key := t.prefix + string(tn.ID)
	parentKey := t.prefix + string(tn.Parent)
	for range writeAttempts {
		reads := []clientv3.Op{clientv3.OpGet(key)}
		if tn.Parent != "" {
			reads = append(reads, clientv3.OpGet(parentKey))
		}
		read, err := t.client.Txn(ctx).Then(reads...).Commit()
		if err != nil {
			return false, unavailable("读取租户失败", err)
		}
		conds := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(key), "=", 0)}
		var old *Tenant
		if kvs := read.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			if createOnly {
				return false, nil
			}
			conds[0] = clientv3.Compare(clientv3.ModRevision(key), "=", kvs[0].ModRevision)
			var o Tenant
			if json.Unmarshal(kvs[0].Value, &o) == nil {
				old = &o
			}
		}
		if tn.Parent != "" {
			kvs := read.Responses[1].GetResponseRange().Kvs
			if len(kvs) == 0 {
				return false, ErrParentNotFound.WithMessage("上级租户 %s 不存在，请先创建", tn.Parent)
			}
			var parent Tenant
			if err := json.Unmarshal(kvs[0].Value, &parent); err != nil {
				return false, errs.ErrInternal.Wrap(err)
			}
			if err := tn.checkBelow(parent); err != nil {
				return false, err
			}
			conds = append(conds, clientv3.Compare(clientv3.ModRevision(parentKey), "=", kvs[0].ModRevision))
		}
		if old != nil && old.Tier != tn.Tier {
			// Every child must stay below the new tier; the condition fails if a
			// descendant is written after our read.
			rev := read.Header.Revision
			desc, err := t.client.Get(ctx, key+".", clientv3.WithPrefix(), clientv3.WithRev(rev))
			if err != nil {
				return false, unavailable("读取下级租户失败", err)
			}
			for _, kv := range desc.Kvs {
				var c Tenant
				if json.Unmarshal(kv.Value, &c) == nil && c.ID.Parent() == tn.ID {
					if err := c.checkBelow(tn); err != nil {
						return false, errs.Invalid("tier", "TIER_NOT_ABOVE_CHILDREN", "新层级必须高于下级租户 "+string(c.ID)+" ("+string(c.Tier)+")")
					}
				}
			}
			conds = append(conds, clientv3.Compare(clientv3.ModRevision(key+"."), "<", rev+1).WithPrefix())
		}
		resp, err := t.client.Txn(ctx).If(conds...).Then(clientv3.OpPut(key, string(value))).Commit()
		if err != nil {
			return false, unavailable("写入租户失败", err)
		}
		if resp.Succeeded {
			return true, t.waitFor(ctx, resp.Header.Revision)
		}
	}
	return false, errs.ErrStaleVersion
}
