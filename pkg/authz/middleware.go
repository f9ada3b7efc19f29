package authz

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-kit/kit/endpoint"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
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

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*middleware)

type middleware struct {
	owners *Owners
}

// WithOwners gives the middleware the service's owner lookup (Owners.Set), which the
// owner check of APPLICANTS_OWN methods addressing one record reads.
func WithOwners(o *Owners) MiddlewareOption { return func(m *middleware) { m.owners = o } }

// Middleware checks every call against its method's rule (kit.Method.Rule), on both axes
// of access. subject returns the caller's subject from the context (the authentication
// middleware, which runs before this one, puts it there). It fails closed: a method
// without a rule, or with a malformed one, is always refused.
//
// The tenant axis: the caller must hold the permission at the tenant the request names.
// The owner axis: a caller whose permission comes only from applicant roles, or whose
// account is a citizen's or an enterprise's, is an applicant. An applicant is refused
// staff-only methods (ErrStaffOnly); in APPLICANTS_OWN methods a record addressed by
// name must be its own (else the service's not-found error, so that existence does not
// leak), lists are filtered by the service with AccessFrom(ctx).OwnerFilter, and every
// Owner in the response is checked again: a foreign one is a defect, answered as
// ErrForeignOwner and logged, never returned.
func Middleware(e *Enforcer, subject func(context.Context) (string, bool), opts ...MiddlewareOption) kit.Middleware {
	var cfg middleware
	for _, o := range opts {
		o(&cfg)
	}
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
			var staff bool
			target := kit.TenantOf(req)
			if target == "" {
				if !rule.PlatformWide {
					return nil, ErrTenantRequired
				}
				if e.Scope(sub, rule.Object, rule.Action).Empty() {
					return nil, ErrDenied.WithMessage("您无权执行此操作（%s: %s）", rule.Object, rule.Action)
				}
				staff = !e.StaffScope(sub, rule.Object, rule.Action).Empty()
			} else {
				id, err := tenancy.Parse(target)
				if err != nil {
					return nil, err
				}
				d := e.Decide(sub, id, rule.Object, rule.Action)
				if !d.Allowed {
					return nil, ErrDenied.WithMessage("您无权在租户 %s 执行此操作（%s: %s）", id, rule.Object, rule.Action)
				}
				staff = d.Staff
			}
			p, _ := authn.FromContext(ctx)
			acc := accessOf(p, staff)
			acc.Subject = sub
			if !acc.Applicant {
				return next(WithAccess(ctx, acc), req)
			}
			if rule.Applicants == kit.StaffOnly {
				return nil, ErrStaffOnly
			}
			ctx = WithAccess(ctx, acc)
			if name := kit.RecordOf(req); name != "" && rule.Applicants == kit.ApplicantsOwn {
				if err := cfg.checkOwner(ctx, acc, name); err != nil {
					return nil, err
				}
			}
			resp, err := next(ctx, req)
			if err != nil {
				return nil, err
			}
			if msg, ok := resp.(proto.Message); ok && msg != nil {
				if o := foreignOwner(msg.ProtoReflect(), acc, 0); o != nil {
					e.log.Error("response holds a record of another owner: the service's owner filter is missing",
						"method", m.FullName(), "subject", sub, "owner", o.GetSubject(), "org", o.GetOrg())
					return nil, ErrForeignOwner
				}
			}
			return resp, nil
		}
	}
}

// checkOwner refuses an applicant a record it does not own, as if it did not exist.
func (m middleware) checkOwner(ctx context.Context, acc Access, name string) error {
	l := m.owners.get()
	if l == nil {
		return ErrDenied.WithMessage("服务未登记记录归属，已拒绝")
	}
	o, err := l.Owner(ctx, name)
	if err != nil {
		return err
	}
	if !acc.Owns(o) {
		return l.NotFound(name)
	}
	return nil
}

var ownerType = (&commonv1.Owner{}).ProtoReflect().Descriptor().FullName()

// foreignOwner finds an Owner in m (or in its messages, two levels down: a list's items,
// a bundle's member applications) that acc does not own.
func foreignOwner(m protoreflect.Message, acc Access, depth int) *commonv1.Owner {
	var found *commonv1.Owner
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind || fd.IsMap() {
			return true
		}
		check := func(v protoreflect.Value) {
			msg := v.Message()
			if msg.Descriptor().FullName() == ownerType {
				if o, ok := msg.Interface().(*commonv1.Owner); ok && !acc.Owns(o) {
					found = o
				}
				return
			}
			if depth < 2 {
				if o := foreignOwner(msg, acc, depth+1); o != nil {
					found = o
				}
			}
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len() && found == nil; i++ {
				check(l.Get(i))
			}
		} else {
			check(v)
		}
		return found == nil
	})
	return found
}

func refuse(err error) endpoint.Endpoint {
	return func(context.Context, any) (any, error) { return nil, err }
}
