package identity

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Etag is a tenant's version for optimistic concurrency: a digest of its content.
func Etag(t tenancy.Tenant) string {
	d, _ := audit.Digest(t)
	return d[:16]
}

// auditedEtcd keeps an etcd change (tenant tree, grants) and its SQL audit record
// consistent. It writes the record and then runs write in one SQL transaction, so the
// record commits only if the etcd write succeeded, and a failed etcd write leaves no
// record. If the commit fails after the etcd write, undo reverts the etcd change, so a
// change does not stay in force without its record. Only a crash between the etcd write
// and the commit can leave an unaudited change. The transaction stays open for one etcd
// round trip (milliseconds); on PostgreSQL it holds the tenant's audit head meanwhile.
func (c *Core) auditedEtcd(ctx context.Context, e audit.Entry, write, undo func(context.Context) error) error {
	wrote := false
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := c.audit.Record(ctx, e); err != nil {
			return err
		}
		if err := write(ctx); err != nil {
			return err
		}
		wrote = true
		return nil
	})
	if err != nil && wrote && undo != nil {
		err = errors.Join(err, undo(context.WithoutCancel(ctx)))
	}
	return err
}

func (c *Core) tenant(id tenancy.ID, etag string) (tenancy.Tenant, error) {
	t, ok := c.tree.Get(id)
	if !ok {
		return tenancy.Tenant{}, tenancy.ErrNotFound.WithMessage("租户 %s 不存在", id)
	}
	if err := errs.CheckEtag(etag, Etag(t)); err != nil {
		return tenancy.Tenant{}, err
	}
	return t, nil
}

// CreateTenant adds a tenant under its parent (tn.ID's prefix).
func (c *Core) CreateTenant(ctx context.Context, tn tenancy.Tenant) (tenancy.Tenant, error) {
	if _, err := tenancy.Parse(string(tn.ID)); err != nil {
		return tenancy.Tenant{}, err
	}
	if _, ok := c.tree.Get(tn.ID); ok {
		return tenancy.Tenant{}, ErrTenantExists.WithMessage("租户 %s 已存在", tn.ID)
	}
	tn.Parent = tn.ID.Parent()
	err := c.auditedEtcd(ctx, audit.Entry{Tenant: tenantForAudit(tn.ID), Action: "identity.CreateTenant", Resource: "tenants/" + string(tn.ID), After: tn},
		func(ctx context.Context) error { return c.tree.Create(ctx, tn) },
		func(ctx context.Context) error { return c.tree.Delete(ctx, tn.ID) })
	if err != nil {
		return tenancy.Tenant{}, err
	}
	out, _ := c.tree.Get(tn.ID)
	return out, nil
}

// tenantForAudit is the chain a tenant change is recorded in: the parent's (a root's own),
// so the record lives where the people who made the change can read it.
func tenantForAudit(id tenancy.ID) tenancy.ID {
	if p := id.Parent(); p != "" {
		return p
	}
	return id
}

// updateTenant applies change to the tenant id (checked against etag) and audits it.
func (c *Core) updateTenant(ctx context.Context, id tenancy.ID, etag, action string, change func(*tenancy.Tenant) error) (tenancy.Tenant, error) {
	before, err := c.tenant(id, etag)
	if err != nil {
		return tenancy.Tenant{}, err
	}
	after := before
	after.Services = slices.Clone(before.Services)
	if err := change(&after); err != nil {
		return tenancy.Tenant{}, err
	}
	err = c.auditedEtcd(ctx, audit.Entry{Tenant: tenantForAudit(id), Action: action, Resource: "tenants/" + string(id), Before: before, After: after},
		func(ctx context.Context) error { return c.tree.Put(ctx, after) },
		func(ctx context.Context) error { return c.tree.Put(ctx, before) })
	if err != nil {
		return tenancy.Tenant{}, err
	}
	out, _ := c.tree.Get(id)
	return out, nil
}

// RenameTenant changes a tenant's display name.
func (c *Core) RenameTenant(ctx context.Context, id tenancy.ID, name, etag string) (tenancy.Tenant, error) {
	return c.updateTenant(ctx, id, etag, "identity.RenameTenant", func(t *tenancy.Tenant) error {
		t.Name = name
		return nil
	})
}

// SetTenantEnabled opens or closes a tenant.
func (c *Core) SetTenantEnabled(ctx context.Context, id tenancy.ID, enabled bool, etag string) (tenancy.Tenant, error) {
	return c.updateTenant(ctx, id, etag, "identity.SetTenantEnabled", func(t *tenancy.Tenant) error {
		t.Enabled = enabled
		return nil
	})
}

// SetTenantServices sets the services enabled at a tenant.
func (c *Core) SetTenantServices(ctx context.Context, id tenancy.ID, services []string, etag string) (tenancy.Tenant, error) {
	return c.updateTenant(ctx, id, etag, "identity.SetTenantServices", func(t *tenancy.Tenant) error {
		t.Services = slices.Clone(services)
		return nil
	})
}

var tierRank = map[tenancy.Tier]int{tenancy.District: 1, tenancy.Street: 2, tenancy.Community: 3}

// MoveTenant puts id and its subtree under newParent. Ids are paths, so every tenant of
// the subtree gets a new id ({newParent}.{last segment}…). Refused: a move under the
// tenant itself or its own subtree (TENANT_MOVE_CYCLE), a parent on the same or a lower
// tier, a taken id, and (through the API) a new parent outside the caller's reach.
//
// The tree changes in one etcd transaction, conditional on nobody having changed the
// subtree or the new parent since it was read. The accounts and clients homed in the
// subtree follow in the same SQL transaction as the audit record; the grants held at the
// moved tenants are then re-granted at the new ids. Other services' rows keep the old ids:
// move a tenant before it holds data, or migrate those rows with it.
func (c *Core) MoveTenant(ctx context.Context, id, newParent tenancy.ID, etag string) (tenancy.Tenant, error) {
	tn, err := c.tenant(id, etag)
	if err != nil {
		return tenancy.Tenant{}, err
	}
	if id.Contains(newParent) {
		return tenancy.Tenant{}, ErrTenantMoveCycle.WithMessage("不能把租户 %s 移到它自己或其下级租户 %s 之下", id, newParent).
			WithField("new_parent", "TENANT_MOVE_CYCLE", "新上级租户位于被移动租户的子树中")
	}
	np, ok := c.tree.Get(newParent)
	if !ok {
		return tenancy.Tenant{}, tenancy.ErrParentNotFound.WithMessage("上级租户 %s 不存在", newParent)
	}
	if newParent == id.Parent() {
		return tn, nil
	}
	if tierRank[tn.Tier] <= tierRank[np.Tier] {
		return tenancy.Tenant{}, errs.Invalid("new_parent", "TIER_NOT_BELOW_PARENT", "租户层级必须低于新上级租户 "+string(newParent)+" ("+string(np.Tier)+")")
	}
	if p, ok := authn.FromContext(ctx); ok && !c.enforcer.Allowed(p.Subject, newParent, "identity.tenants", "update") {
		return tenancy.Tenant{}, ErrTenantOutside.WithMessage("新上级租户 %s 不在您的管辖范围内", newParent)
	}
	seg := string(id)[strings.LastIndexByte("."+string(id), '.'):]
	newID := tenancy.ID(string(newParent) + "." + seg)
	if _, err := tenancy.Parse(string(newID)); err != nil {
		return tenancy.Tenant{}, err
	}
	if _, ok := c.tree.Get(newID); ok {
		return tenancy.Tenant{}, ErrTenantExists.WithMessage("租户 %s 已存在", newID)
	}
	for _, sub := range c.tree.Subtree(id) {
		for _, svc := range sub.Services {
			if svc != tenancy.TreeOwner {
				return tenancy.Tenant{}, ErrTenantMoveBlocked.WithMessage("租户 %s 已开通 %s 服务，其数据暂不能随租户迁移；请先停用该服务", sub.ID, svc)
			}
		}
	}
	renamed := func(old tenancy.ID) tenancy.ID { return newID + old[len(id):] }

	prefix := strings.TrimSuffix(c.opts.TreePrefix, "/") + "/"
	read, err := c.etcd.Get(ctx, prefix+string(id), clientv3.WithPrefix())
	if err != nil {
		return tenancy.Tenant{}, errs.ErrUnavailable.Wrap(err)
	}
	var moved [][2]tenancy.ID
	cmps := []clientv3.Cmp{
		clientv3.Compare(clientv3.CreateRevision(prefix+string(newParent)), ">", 0),
		clientv3.Compare(clientv3.ModRevision(prefix+string(id)), "<", read.Header.Revision+1).WithPrefix(),
	}
	var ops []clientv3.Op
	for _, kv := range read.Kvs {
		old := tenancy.ID(strings.TrimPrefix(string(kv.Key), prefix))
		if !id.Contains(old) {
			continue // ahz.s1 read with prefix ahz.s10: not ours
		}
		var t tenancy.Tenant
		if err := json.Unmarshal(kv.Value, &t); err != nil {
			return tenancy.Tenant{}, errs.ErrInternal.Wrap(err)
		}
		t.ID = renamed(old)
		t.Parent = t.ID.Parent()
		v, _ := json.Marshal(t)
		key := prefix + string(t.ID)
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(key), "=", 0))
		ops = append(ops, clientv3.OpPut(key, string(v)), clientv3.OpDelete(string(kv.Key)))
		moved = append(moved, [2]tenancy.ID{old, t.ID})
	}
	err = c.auditedEtcd(ctx, audit.Entry{Tenant: tenantForAudit(newID), Action: "identity.MoveTenant", Resource: "tenants/" + string(id),
		Before: tn, After: map[string]any{"id": newID, "parent": newParent}},
		func(ctx context.Context) error {
			for _, m := range moved {
				for _, table := range []string{"users", "clients"} {
					if _, err := c.db.Exec(ctx, `UPDATE `+table+` SET tenant = $1 WHERE tenant = $2`, string(m[1]), string(m[0])); err != nil {
						return err
					}
				}
			}
			resp, err := c.etcd.Txn(ctx).If(cmps...).Then(ops...).Commit()
			if err != nil {
				return errs.ErrUnavailable.Wrap(err)
			}
			if !resp.Succeeded {
				return errs.ErrStaleVersion
			}
			return c.waitTenant(ctx, newID)
		}, nil)
	if err != nil {
		return tenancy.Tenant{}, err
	}
	if err := c.moveGrants(ctx, id, renamed); err != nil {
		return tenancy.Tenant{}, err
	}
	out, _ := c.tree.Get(newID)
	return out, nil
}

// waitTenant waits until the tree shows id (a write made around Tree.Put).
func (c *Core) waitTenant(ctx context.Context, id tenancy.ID) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, ok := c.tree.Get(id); ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return errs.ErrUnavailable.WithMessage("等待租户树更新超时").Wrap(ctx.Err())
		case <-tick.C:
		}
	}
}

// moveGrants re-grants at the new ids every grant held by an account or client at a
// tenant of the moved subtree. Every subject that holds grants is one of ours.
func (c *Core) moveGrants(ctx context.Context, old tenancy.ID, renamed func(tenancy.ID) tenancy.ID) error {
	subjects, err := sqlstore.QueryAll(ctx, c.db, sqlstore.ScanOne[string], `SELECT id FROM users UNION ALL SELECT id FROM clients`)
	if err != nil {
		return err
	}
	for _, s := range subjects {
		for _, g := range c.enforcer.Grants(s) {
			if !old.Contains(g.Tenant) {
				continue
			}
			if err := c.enforcer.Grant(ctx, s, g.Role, renamed(g.Tenant)); err != nil {
				return err
			}
			if err := c.enforcer.Revoke(ctx, s, g.Role, g.Tenant); err != nil {
				return err
			}
		}
	}
	return nil
}
