package authz_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// request names its tenant the way generated requests do, through GetName/GetParent.
type getRequest struct{ name string }

func (r getRequest) GetName() string { return r.name }

type listRequest struct{ parent string }

func (r listRequest) GetParent() string { return r.parent }

type subjectKey struct{}

func subjectFrom(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(subjectKey{}).(string)
	return s, ok
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	e := newEnforcer(t, testenv.EtcdClient(t))
	zone(t, e)
	rules := map[string]authz.Rule{
		"tickets.GetTicket":      {Object: "tickets.tickets", Action: "read"},
		"tickets.UpdateTicket":   {Object: "tickets.tickets", Action: "update"},
		"tickets.ListTickets":    {Object: "tickets.tickets", Action: "read", PlatformWide: true},
		"tickets.ListCategories": {Public: true},
		"tickets.BadRule":        {Object: "tickets", Action: "read"},
	}
	mw := authz.Middleware(e, subjectFrom)
	// method is what the kit hands the middleware: the method with its contract's rule.
	method := func(name string) kit.Method {
		m := kit.Method{Service: "tickets", Name: name}
		if r, ok := rules[m.FullName()]; ok {
			m.Rule = &r
		}
		return m
	}
	as := func(sub string) context.Context {
		if sub == "" {
			return t.Context()
		}
		return context.WithValue(t.Context(), subjectKey{}, sub)
	}
	for _, tc := range []struct {
		name   string
		method string
		ctx    context.Context
		req    any
		code   string // "" for allowed
	}{
		{"allowed at own tenant", "GetTicket", as(handlerS01), getRequest{"tenants/ahz.s01.c03/tickets/T-1"}, ""},
		{"allowed through parent", "ListTickets", as(handlerS01), listRequest{"tenants/ahz.s01"}, ""},
		{"denied sideways", "GetTicket", as(handlerS01), getRequest{"tenants/ahz.s02.c01/tickets/T-1"}, "PERMISSION_DENIED"},
		{"denied upward", "UpdateTicket", as(handlerS01), getRequest{"tenants/ahz/tickets/T-1"}, "PERMISSION_DENIED"},
		{"supervisor reads", "GetTicket", as(supervisor), getRequest{"tenants/ahz.s02.c01/tickets/T-1"}, ""},
		{"supervisor cannot write", "UpdateTicket", as(supervisor), getRequest{"tenants/ahz.s02.c01/tickets/T-1"}, "PERMISSION_DENIED"},
		{"unknown method", "DeleteTicket", as(platformRoot), getRequest{"tenants/ahz/tickets/T-1"}, "PERMISSION_DENIED"},
		{"malformed rule", "BadRule", as(platformRoot), getRequest{"tenants/ahz/tickets/T-1"}, "PERMISSION_DENIED"},
		{"not signed in", "GetTicket", as(""), getRequest{"tenants/ahz.s01/tickets/T-1"}, "UNAUTHENTICATED"},
		{"no tenant", "GetTicket", as(handlerS01), getRequest{"tickets/T-1"}, "TENANT_REQUIRED"},
		{"bad tenant", "GetTicket", as(platformRoot), getRequest{"tenants/ahz.S01/tickets/T-1"}, "INVALID_TENANT"},
		{"platform-wide with a scope", "ListTickets", as(handlerS01), listRequest{""}, ""},
		{"platform-wide without a scope", "ListTickets", as(adminS02), listRequest{""}, "PERMISSION_DENIED"},
		{"platform-wide names a tenant", "ListTickets", as(handlerS01), listRequest{"tenants/ahz.s02"}, "PERMISSION_DENIED"},
		{"public", "ListCategories", as(""), listRequest{""}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			next := func(context.Context, any) (any, error) { called = true; return "ok", nil }
			endpoint := mw(method(tc.method), next)
			resp, err := endpoint(tc.ctx, tc.req)
			if tc.code == "" {
				require.NoError(t, err)
				require.Equal(t, "ok", resp)
				require.True(t, called)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.code, errs.From(err).Code)
			require.False(t, called, "the method never runs")
			require.NotEmpty(t, errs.From(err).Message)
		})
	}
	_, err := mw(method("UpdateTicket"), nil)(as(supervisor), getRequest{"tenants/ahz.s01/tickets/T-1"})
	require.Equal(t, errs.PermissionDenied, errs.From(err).Kind)
	require.Equal(t, "您无权在租户 ahz.s01 执行此操作（tickets.tickets: update）", errs.From(err).Message)
	_, err = mw(method("GetTicket"), nil)(as(""), getRequest{"tenants/ahz.s01/tickets/T-1"})
	require.Equal(t, errs.Unauthenticated, errs.From(err).Kind)
}
