package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// routingActor is who the audit log names for automatic dispatch.
const routingActor = "system:tickets-routing"

// defaultDepartment handles a routed ticket when neither the area rule nor the category
// names a department.
const defaultDepartment = "诉求办理"

// Routing is the automatic dispatch (自动派单) of new tickets, as config: where a ticket
// goes is decided by its location (area code, or keywords in its address), which
// department by its category. A ticket no rule matches waits for a dispatcher; a
// dispatcher can always return and re-dispatch a routed one.
type Routing struct {
	// Departments maps a category to the department that handles it ("market" → "市场监管所").
	Departments map[string]string `json:"departments,omitempty"`
	// Areas map locations to the tenants handling them; the most specific match wins.
	Areas []AreaRule `json:"areas,omitempty"`
}

// AreaRule routes the tickets of one area (辖区) to a tenant.
type AreaRule struct {
	// Code matches a ticket's area_code equal to it or starting with it (区划代码 prefixes:
	// "330106001" covers "330106001001"); the longest matching code wins.
	Code string `json:"code,omitempty"`
	// Keywords match the address when the ticket has no area code, or none matches (小区,
	// 路名); the first rule with a keyword in the address wins.
	Keywords []string `json:"keywords,omitempty"`
	// Category limits the rule to one category; "" for all.
	Category string `json:"category,omitempty"`
	// Tenant handles the area; it must lie in the receiving tenant's subtree to apply.
	Tenant tenancy.ID `json:"tenant"`
	// Department overrides the category's department.
	Department string `json:"department,omitempty"`
}

// Validate refuses rules that could never route.
func (r Routing) Validate() error {
	for i, a := range r.Areas {
		if !a.Tenant.Valid() {
			return config.Field(fmt.Sprintf("routing.areas.%d.tenant", i), errs.Newf(errs.InvalidArgument, "INVALID_TENANT", "%q 不是有效的租户编号", a.Tenant))
		}
		if a.Code == "" && len(a.Keywords) == 0 {
			return config.Field(fmt.Sprintf("routing.areas.%d", i), errs.New(errs.InvalidArgument, "AREA_UNMATCHABLE", "分派规则需要区划代码或关键词"))
		}
		for _, k := range a.Keywords {
			if strings.TrimSpace(k) == "" {
				return config.Field(fmt.Sprintf("routing.areas.%d.keywords", i), errs.New(errs.InvalidArgument, "EMPTY_KEYWORD", "关键词不能为空"))
			}
		}
	}
	return nil
}

// route is where a new ticket goes: the tenant and department, or ok false when no rule
// applies.
func (r Routing) route(owner tenancy.ID, category, area, address string) (to tenancy.ID, dept string, ok bool) {
	applies := func(a AreaRule) bool {
		return (a.Category == "" || a.Category == category) && owner.Contains(a.Tenant)
	}
	best := -1
	if area != "" {
		for i, a := range r.Areas {
			if a.Code != "" && strings.HasPrefix(area, a.Code) && applies(a) && (best < 0 || len(a.Code) > len(r.Areas[best].Code)) {
				best = i
			}
		}
	}
	if best < 0 && address != "" {
		for i, a := range r.Areas {
			if best < 0 && applies(a) && containsAny(address, a.Keywords) {
				best = i
			}
		}
	}
	if best < 0 {
		return "", "", false
	}
	a := r.Areas[best]
	dept = a.Department
	if dept == "" {
		dept = r.Departments[category]
	}
	if dept == "" {
		dept = defaultDepartment
	}
	return a.Tenant, dept, true
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// intakeDispatch decides where a new ticket goes at intake: where the request says
// (ticket.assignee_tenant and assignee_department; the caller needs "assign" there,
// inside the receiving tenant's subtree), else where the routing rules say, else nowhere
// yet ("" to).
func (s *service) intakeDispatch(ctx context.Context, t tenancy.ID, in *ticketsv1.Ticket, rules Routing) (to tenancy.ID, dept string, explicit bool, err error) {
	if in.GetAssigneeTenant() == "" {
		to, dept, _ = rules.route(t, in.GetCategory(), in.GetAreaCode(), in.GetAddress())
		return to, dept, false, nil
	}
	to, err = tenancy.Parse(in.GetAssigneeTenant())
	if err != nil {
		return "", "", false, errs.Invalid("ticket.assignee_tenant", "INVALID_TENANT", "承办单位不正确")
	}
	if err := text("ticket.assignee_department", in.GetAssigneeDepartment(), true, 100); err != nil {
		return "", "", false, err
	}
	sub, _ := authn.Subject(ctx)
	if !t.Contains(to) || !s.enforcer.Allowed(sub, to, Object, "assign") {
		return "", "", false, ErrOutsideSubtree.WithField("ticket.assignee_tenant", "DISPATCH_OUTSIDE_SUBTREE", "只能派单到本单位及下级单位: "+string(to))
	}
	return to, in.GetAssigneeDepartment(), true, nil
}

// dispatchAtIntake dispatches the just-inserted tk (revision 1) to to as its revision 2,
// in the intake's transaction: audited as the caller's dispatch when explicit, as the
// routing's otherwise, and told to the source like any dispatch.
func (s *service) dispatchAtIntake(ctx context.Context, tk *ticket, to tenancy.ID, dept string, explicit bool, now time.Time) error {
	before, prev := tk.proto(), tk.Revision
	tk.State, tk.AssigneeTenant, tk.AssigneeDept = ticketsv1.State_STATE_DISPATCHED, to, dept
	tk.Revision = prev + 1
	ok, err := s.st.update(ctx, tk, prev)
	if err != nil {
		return err
	}
	if !ok {
		return errs.ErrStaleVersion
	}
	e := audit.Entry{Tenant: tk.Tenant, Action: "tickets.DispatchTicket", Resource: tk.name(), Before: before, After: tk.proto(), Time: now}
	if !explicit {
		e.Actor, e.Action = routingActor, "tickets.RouteTicket"
	}
	if _, err := s.audit.Record(ctx, e); err != nil {
		return err
	}
	return s.notify(ctx, tk)
}
