package authz

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// Errors of the owner axis, shared by every service.
var (
	// ErrStaffOnly refuses an applicant (citizen, enterprise, agent) a method that only
	// staff perform: handling, statistics, queues, administration.
	ErrStaffOnly = errs.New(errs.PermissionDenied, "STAFF_ONLY", "此操作仅限工作人员办理")
	// ErrForeignOwner is what the response check turns a record of someone else into: a
	// defect in a service's filter, never shown to the caller as data.
	ErrForeignOwner = errs.New(errs.Internal, "OWNER_CHECK_FAILED", "服务内部错误")
	// ErrNotMandated refuses a 帮代办 agent filing for an applicant that has not
	// mandated it (委托).
	ErrNotMandated = errs.New(errs.PermissionDenied, "NOT_MANDATED", "您未受该申请人委托，不能代其办理")
)

// Access is who the caller is on the owner axis, for this call: staff (every record the
// tenant check lets through), or an applicant who reaches only the records it owns. The
// authorization middleware puts it in the context of every call it lets through.
type Access struct {
	// Applicant: the caller's permission for the call comes only from applicant roles,
	// or its account is a citizen's or an enterprise's.
	Applicant bool
	Subject   string // the caller's account
	Org       string // an enterprise's credit code; "" for anyone else
	// ActsFor: the parties that mandated a 帮代办 agent (委托): their records are the
	// agent's too. Empty for anyone else.
	ActsFor authn.Mandates
}

// Owner is the owner a record the caller files gets: the caller's account, and for an
// enterprise its credit code.
func (a Access) Owner() *commonv1.Owner {
	return &commonv1.Owner{Subject: a.Subject, Org: a.Org}
}

// Owns reports whether the caller may see and change a record owned by o: staff always;
// an applicant when o is its account, or its enterprise's, or a party that mandated it.
func (a Access) Owns(o *commonv1.Owner) bool {
	if !a.Applicant {
		return true
	}
	switch {
	case a.Subject != "" && o.GetSubject() == a.Subject:
		return true
	case a.Org != "" && o.GetOrg() == a.Org:
		return true
	case o.GetSubject() != "" && slices.Contains(a.ActsFor.Subjects, o.GetSubject()):
		return true
	case o.GetOrg() != "" && slices.Contains(a.ActsFor.Orgs, o.GetOrg()):
		return true
	}
	return false
}

// MandatedBy reports whether every party o names (its account, its enterprise; at least
// one) has mandated the caller: an agent may then file a record owned by o.
func (a Access) MandatedBy(o *commonv1.Owner) bool {
	sub, org := o.GetSubject(), o.GetOrg()
	if sub == "" && org == "" {
		return false
	}
	return (sub == "" || slices.Contains(a.ActsFor.Subjects, sub)) && (org == "" || slices.Contains(a.ActsFor.Orgs, org))
}

// OwnerFilter is the SQL condition that keeps an applicant to its own rows (and those of
// the parties that mandated it), given the owner columns (e.g. "owner_subject",
// "owner_org") and the first free placeholder number: "" and no arguments for staff,
// else " AND (...)" to append to a WHERE clause, with its arguments. Every value is a
// placeholder; the mandates' IN lists are bounded by authn.MaxMandates.
func (a Access) OwnerFilter(subjectCol, orgCol string, next int) (string, []any) {
	if !a.Applicant {
		return "", nil
	}
	var conds []string
	var args []any
	match := func(col string, values ...string) {
		if len(values) == 0 {
			return
		}
		marks := make([]string, len(values))
		for i, v := range values {
			marks[i] = fmt.Sprintf("$%d", next)
			args = append(args, v)
			next++
		}
		if len(values) == 1 {
			conds = append(conds, col+" = "+marks[0])
			return
		}
		conds = append(conds, col+" IN ("+strings.Join(marks, ", ")+")")
	}
	match(subjectCol, a.Subject)
	if a.Org != "" {
		match(orgCol, a.Org)
	}
	match(subjectCol, a.ActsFor.Subjects...)
	match(orgCol, a.ActsFor.Orgs...)
	if len(conds) == 1 {
		return " AND " + conds[0], args
	}
	return " AND (" + strings.Join(conds, " OR ") + ")", args
}

type accessKey struct{}

// WithAccess returns ctx carrying a.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// AccessFrom is the caller's Access, as the middleware decided it. A context without one
// (a sweep, a call inside the service) is staff's.
func AccessFrom(ctx context.Context) Access {
	a, _ := ctx.Value(accessKey{}).(Access)
	return a
}

// applicantKind reports whether principals of kind k are applicants whatever their
// roles: an account of a citizen or an enterprise never acts as staff.
func applicantKind(k authn.Kind) bool { return k == authn.Citizen || k == authn.Enterprise }

// accessOf is the Access of the caller p whose permission came through staff roles or
// not.
func accessOf(p authn.Principal, staff bool) Access {
	a := Access{Applicant: !staff || applicantKind(p.Kind), Subject: p.Subject}
	if a.Applicant && p.Kind == authn.Enterprise {
		a.Org = p.Org
	}
	if a.Applicant && len(p.ActsFor.Subjects)+len(p.ActsFor.Orgs) <= authn.MaxMandates {
		a.ActsFor = p.ActsFor // the verifier bounds them; a principal made elsewhere gets none past it
	}
	return a
}

// OwnerLookup finds who owns the record a request addresses by name, for the owner check
// of APPLICANTS_OWN methods: one indexed read, registered once per service (Owners.Set).
type OwnerLookup struct {
	// Owner returns the record's owner, or the service's own not-found error when there
	// is no such record (or the name is not one of the service's records).
	Owner func(ctx context.Context, name string) (*commonv1.Owner, error)
	// NotFound is the service's not-found error for name, returned for a record of
	// someone else, so that an applicant cannot tell it from one that does not exist.
	NotFound func(name string) error
}

// Owners holds a service's OwnerLookup. The middleware is built before the service
// registers its methods, so it reads the lookup at call time; a method that needs one
// while none is set refuses the call.
type Owners struct{ p atomic.Pointer[OwnerLookup] }

// Set installs the service's lookup.
func (o *Owners) Set(l OwnerLookup) { o.p.Store(&l) }

func (o *Owners) get() *OwnerLookup {
	if o == nil {
		return nil
	}
	return o.p.Load()
}
