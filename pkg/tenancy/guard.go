package tenancy

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
)

// Errors of the chain's tenant check, besides ErrInvalidID and ErrNotFound.
var (
	ErrDisabled          = errs.New(errs.FailedPrecondition, "TENANT_DISABLED", "该租户已停用，不再受理新的业务")
	ErrServiceNotEnabled = errs.New(errs.FailedPrecondition, "SERVICE_NOT_ENABLED", "该租户未开通此项服务")
)

// TreeOwner is the service that administers the tree itself. It must reach a disabled
// tenant (to enable it again) and every tenant's accounts, so the guard only checks
// that the tenants it is asked about exist.
const TreeOwner = "identity"

// Admit checks that service may take a request naming tenant s: s is a well-formed id
// of a tenant in the tree that is enabled and has service enabled. It returns the id.
func (t *Tree) Admit(s, service string) (ID, error) {
	id, err := Parse(s)
	if err != nil {
		return "", err
	}
	tn, ok := t.Get(id)
	switch {
	case !ok:
		return "", ErrNotFound.WithMessage("租户 %s 不存在", id).WithField("tenant", "TENANT_NOT_FOUND", "租户不存在")
	case service == TreeOwner:
		return id, nil
	case !tn.Enabled:
		return "", ErrDisabled.WithMessage("租户 %s（%s）已停用，不再受理新的业务", id, tn.Name)
	case !tn.Serves(service):
		return "", ErrServiceNotEnabled.WithMessage("租户 %s（%s）未开通 %s 服务", id, tn.Name, service)
	}
	return id, nil
}

// Guard is the chain's tenant check (after authentication, before authorization): a
// request naming a tenant in its resource name (kit.TenantOf) reaches the method only
// if Admit lets it, so no service ever stores a row for a tenant the tree does not
// have, or works for a tenant that is closed or has not enabled it. The admitted id is
// marked for the kit's metrics (kit.MarkTenant), which label calls with nothing else.
// Requests that name no tenant pass untouched.
func Guard(tree *Tree) kit.Middleware {
	return func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req any) (any, error) {
			s := kit.TenantOf(req)
			if s == "" {
				return next(ctx, req)
			}
			id, err := tree.Admit(s, m.Service)
			if err != nil {
				return nil, err
			}
			kit.MarkTenant(ctx, string(id))
			return next(ctx, req)
		}
	}
}
