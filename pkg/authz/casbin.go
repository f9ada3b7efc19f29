package authz

import (
	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Casbin returns a stock casbin.Enforcer on ModelText with the subtree functions
// registered, loaded from adapter when it is not nil. It decides exactly as Enforcer
// does, but evaluates the matcher against every p rule (about a microsecond each) and
// copies grants into every tenant below them: fine for tools and for checking Enforcer
// against Casbin, not for the request path. Pass tenants to Enforce as strings.
func Casbin(adapter persist.Adapter) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(ModelText)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	// subtree(r.dom, p.dom): the target lies in the permission's tenant subtree.
	e.AddFunction("subtree", func(args ...any) (any, error) {
		target, _ := args[0].(string)
		within, _ := args[1].(string)
		return tenancy.ID(within).Contains(tenancy.ID(target)), nil
	})
	// A grant at a tenant also holds at every tenant below it.
	e.AddNamedDomainMatchingFunc("g", "subtree", func(target, granted string) bool {
		return tenancy.ID(granted).Contains(tenancy.ID(target))
	})
	if adapter != nil {
		e.SetAdapter(adapter)
		if err := e.LoadPolicy(); err != nil {
			return nil, err
		}
	}
	return e, nil
}
