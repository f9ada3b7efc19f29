package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-kit/kit/endpoint"

	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Rule is what calling one method takes (see kit.Rule): each method declares it in its
// contract, and the kit hands it to the middlewares with the method.
type Rule = kit.Rule

// CheckRule reports whether r can be enforced: a public rule always can; any other needs
// an object "<service>.<resource>" and one of Actions. kit.WithRuleCheck(CheckRule) makes
// a service with a malformed rule refuse to start.
func CheckRule(r Rule) error {
	switch {
	case r.Public:
		return nil
	case !validObject(r.Object):
		return fmt.Errorf("object %q is not <service>.<resource> in lowercase snake case", r.Object)
	case !validAction(r.Action):
		return fmt.Errorf("action %q is not one of %s", r.Action, strings.Join(Actions, ", "))
	}
	return nil
}

// Middleware checks every call against its method's rule (kit.Method.Rule). subject
// returns the caller's subject from the context (the authentication middleware, which
// runs before this one, puts it there). It fails closed: a method without a rule, or with
// a malformed one, is always refused.
func Middleware(e *Enforcer, subject func(context.Context) (string, bool)) kit.Middleware {
	return func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
		if m.Rule == nil {
			return refuse(ErrDenied.WithMessage("接口 %s 未配置访问规则，已拒绝", m.FullName()))
		}
		rule := *m.Rule
		if rule.Public {
			return next
		}
		if CheckRule(rule) != nil {
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
