package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// PlatformAdmin is the role that may do and grant anything, anywhere in its subtree.
const PlatformAdmin = "platform_admin"

// RoleGrant is one grant with the role's title.
type RoleGrant struct {
	authz.Grant
	Title string
}

// Who may grant what (授权规则). A caller may grant or revoke role R at tenant T only if
//
//  1. T lies within the caller's reach for role administration: the policy allows it
//     identity.roles/create at T (so its own admin grant is at T or above; a street admin
//     cannot grant at the district or at a sibling street) — else TENANT_OUTSIDE_SUBTREE;
//  2. the caller holds R itself at T or above, or holds platform_admin at T or above —
//     else ROLE_NOT_HELD. A tenant_admin therefore hands out only roles it has been given
//     (tenant_admin included, so it can appoint a deputy below it), never platform_admin
//     and never more than it holds; platform_admin may grant anything within its reach;
//  3. the caller administers the subject (checkAdministers): a grant never goes to, nor is
//     taken from, an account that reaches beyond the caller — else OUTSIDE_ADMIN_SCOPE.
func (c *Core) checkGrantor(ctx context.Context, role string, t tenancy.ID) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	return c.mayGrant(p.Subject, role, t)
}

// mayGrant is checkGrantor's rule for sub.
func (c *Core) mayGrant(sub, role string, t tenancy.ID) error {
	if !c.enforcer.Allowed(sub, t, "identity.roles", "create") {
		return ErrTenantOutside.WithMessage("租户 %s 不在您的管辖范围内，不能在此授权", t)
	}
	if !c.holds(sub, PlatformAdmin, t) && !c.holds(sub, role, t) {
		return ErrRoleNotHeld.WithMessage("您在租户 %s 未持有角色 %s，不能授予或收回", t, role)
	}
	return nil
}

// Who may change whom (管理范围). A caller may reset the password of, suspend, enable,
// rotate the secret of, or grant and revoke roles of an account (a user or a machine
// client) only if
//
//  1. it may administer accounts of that kind (object, update) at the account's home
//     tenant, and
//  2. every grant the account holds is one the caller could have made itself
//     (mayGrant): at a tenant inside the caller's subtree, of a role the caller holds
//     there or above, or the caller holds platform_admin there or above.
//
// Else an administrator could take over an account that reaches further than it does
// (reset its password and sign in as it) or silence one sent from above (suspend a
// district supervisor homed in its street). Both are refused with OUTSIDE_ADMIN_SCOPE,
// before the account is read, so the answer does not tell whether it exists.
func (c *Core) checkAdministers(ctx context.Context, object, sub string, home tenancy.ID) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if !c.enforcer.Allowed(p.Subject, home, object, "update") {
		return ErrOutsideAdminScope.WithMessage("账号所属租户 %s 不在您的管辖范围内", home)
	}
	for _, g := range c.enforcer.Grants(sub) {
		if c.mayGrant(p.Subject, g.Role, g.Tenant) != nil {
			return ErrOutsideAdminScope
		}
	}
	return nil
}

// holds reports whether sub holds role at t or above it.
func (c *Core) holds(sub, role string, t tenancy.ID) bool {
	return slices.ContainsFunc(c.enforcer.Grants(sub), func(g authz.Grant) bool { return g.Role == role && g.Tenant.Contains(t) })
}

func (c *Core) knownRole(role string) error {
	if !authz.IsRole(role) || len(c.enforcer.Permissions(role)) == 0 {
		return ErrUnknownRole.WithMessage("角色 %q 不存在", role).WithField("role", "UNKNOWN_ROLE", "角色不存在")
	}
	return nil
}

// GrantRole gives the subject (a user's or client's resource name) role at tenant. The
// policy write (etcd) and its audit record (SQL) are kept together by auditedEtcd: the
// record commits only after the grant is in etcd, and if the commit fails the grant is
// taken back (unless it existed before the call).
func (c *Core) GrantRole(ctx context.Context, tenant tenancy.ID, subjectName, role string) (RoleGrant, error) {
	sub, err := c.prepareRoleChange(ctx, tenant, subjectName, role)
	if err != nil {
		return RoleGrant{}, err
	}
	g := authz.Grant{Subject: sub, Role: role, Tenant: tenant}
	existed := slices.Contains(c.enforcer.Grants(sub), g)
	err = c.auditedEtcd(ctx, audit.Entry{Tenant: tenant, Action: "identity.GrantRole", Resource: subjectName, After: g},
		func(ctx context.Context) error { return c.enforcer.Grant(ctx, sub, role, tenant) },
		func(ctx context.Context) error {
			if existed {
				return nil
			}
			return c.enforcer.Revoke(ctx, sub, role, tenant)
		})
	if err != nil {
		return RoleGrant{}, err
	}
	return RoleGrant{Grant: g, Title: c.title(role)}, nil
}

// RevokeRole takes a grant back, under the same rules as GrantRole and with the same
// compensation if the audit record fails.
func (c *Core) RevokeRole(ctx context.Context, tenant tenancy.ID, subjectName, role string) error {
	sub, err := c.prepareRoleChange(ctx, tenant, subjectName, role)
	if err != nil {
		return err
	}
	g := authz.Grant{Subject: sub, Role: role, Tenant: tenant}
	existed := slices.Contains(c.enforcer.Grants(sub), g)
	return c.auditedEtcd(ctx, audit.Entry{Tenant: tenant, Action: "identity.RevokeRole", Resource: subjectName, Before: g},
		func(ctx context.Context) error { return c.enforcer.Revoke(ctx, sub, role, tenant) },
		func(ctx context.Context) error {
			if !existed {
				return nil
			}
			return c.enforcer.Grant(ctx, sub, role, tenant)
		})
}

func (c *Core) prepareRoleChange(ctx context.Context, tenant tenancy.ID, subjectName, role string) (string, error) {
	if _, ok := c.tree.Get(tenant); !ok {
		return "", tenancy.ErrNotFound.WithMessage("租户 %s 不存在", tenant)
	}
	if err := c.knownRole(role); err != nil {
		return "", err
	}
	if err := c.checkGrantor(ctx, role, tenant); err != nil {
		return "", err
	}
	object, sub, home, err := parseSubjectName("subject", subjectName)
	if err != nil {
		return "", err
	}
	if err := c.checkAdministers(ctx, object, sub, home); err != nil {
		return "", err
	}
	sub, _, err = c.subjectOf(ctx, "subject", subjectName)
	return sub, err
}

// ListRoles lists the subject's grants (each reaches its tenant's subtree); with a tenant,
// only those that reach it. Callers see their own grants, and anyone's whose home tenant
// they may read roles at.
func (c *Core) ListRoles(ctx context.Context, subjectName string, at tenancy.ID) ([]RoleGrant, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	sub, home, err := c.subjectOf(ctx, "subject", subjectName)
	if err != nil {
		return nil, err
	}
	if sub != p.Subject && !c.enforcer.Allowed(p.Subject, home, "identity.roles", "read") {
		return nil, authz.ErrDenied.WithMessage("您无权查看该账号的角色")
	}
	var out []RoleGrant
	for _, g := range c.enforcer.Grants(sub) {
		if at == "" || g.Tenant.Contains(at) {
			out = append(out, RoleGrant{Grant: g, Title: c.title(g.Role)})
		}
	}
	return out, nil
}

// maxAccessChecks bounds one CheckAccess (the console asks for its pages' rules).
const maxAccessChecks = 64

// CheckAccess returns the permissions ("<object>:<action>") of perms that a staff role
// of the caller grants at tenant t, decided by the enforcer every service's chain uses.
// It answers for the caller alone; an applicant's own-record permission does not count.
func (c *Core) CheckAccess(ctx context.Context, t tenancy.ID, perms []string) ([]string, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := c.tree.Get(t); !ok {
		return nil, tenancy.ErrNotFound.WithMessage("租户 %s 不存在", t)
	}
	if len(perms) > maxAccessChecks {
		return nil, errs.Invalid("permissions", "TOO_MANY", fmt.Sprintf("一次最多检查 %d 项权限", maxAccessChecks))
	}
	out := []string{}
	for _, perm := range perms {
		obj, act, ok := strings.Cut(perm, ":")
		if !ok || obj == "" || act == "" {
			return nil, errs.Invalid("permissions", "INVALID_PERMISSION", "权限应写作「对象:操作」，如 ops.telemetry:read")
		}
		if c.enforcer.Decide(p.Subject, t, obj, act).Staff {
			out = append(out, perm)
		}
	}
	return out, nil
}

func (c *Core) title(role string) string {
	if t, ok := c.titles[role]; ok {
		return t
	}
	return role
}
