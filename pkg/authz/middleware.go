package authz

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Rule is what calling one method takes: permission to do Action on Object at the tenant
// the request names (kit.TenantOf).
type Rule struct {
	Object string // "tickets.tickets"
	Action string // one of Actions
	// PlatformWide marks a method whose request names no tenant (a list across tenants,
	// the catalogue). It is allowed when the subject may do Action on Object somewhere;
	// the method must then filter its rows with Enforcer.Scope.
	PlatformWide bool
	// Public marks a method anyone may call, signed in or not (public catalogue reads).
	Public bool
}

// Valid reports whether r is a rule calls can pass: public, or a well-formed object and
// action (the zero Rule is not valid).
func (r Rule) Valid() bool {
	return r.Public || (validObject(r.Object) && validAction(r.Action))
}

// Middleware checks every call against rules, keyed by kit.Method.FullName
// ("tickets.CreateTicket"). subject returns the caller's subject from the context (the
// authentication middleware, which runs before this one, puts it there). It fails
// closed: a method without a rule, or with a malformed one, is always refused.
func Middleware(e *Enforcer, subject func(context.Context) (string, bool), rules map[string]Rule) kit.Middleware {
	return func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
		rule, ok := rules[m.FullName()]
		if !ok {
			return refuse(ErrDenied.WithMessage("接口 %s 未配置访问规则，已拒绝", m.FullName()))
		}
		if rule.Public {
			return next
		}
		if !validObject(rule.Object) || !validAction(rule.Action) {
			return refuse(ErrDenied.WithMessage("接口 %s 的访问规则无效，已拒绝", m.FullName()))
		}
		return func(ctx context.Context, req any) (any, error) {
			sub, ok := subject(ctx)
			if !ok || sub == "" {
				return nil, ErrUnauthenticated
			}
			target := kit.TenantOf(req)
			if target == "" {
				if !rule.PlatformWide {
					return nil, ErrTenantRequired
				}
				if e.Scope(sub, rule.Object, rule.Action).Empty() {
					return nil, ErrDenied.WithMessage("您无权执行此操作（%s: %s）", rule.Object, rule.Action)
				}
				return next(ctx, req)
			}
			id, err := tenancy.Parse(target)
			if err != nil {
				return nil, err
			}
			if err := e.Check(sub, id, rule.Object, rule.Action); err != nil {
				return nil, err
			}
			return next(ctx, req)
		}
	}
}

func refuse(err error) endpoint.Endpoint {
	return func(context.Context, any) (any, error) { return nil, err }
}
