package matrix

import (
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// outcome is the class of an answer: authorization let the call through (the method ran
// and answered, with success or a business error of its own), or it did not.
type outcome string

const (
	allowed outcome = "ALLOWED"
	denied  outcome = "DENIED"
	broken  outcome = "ERROR"  // a server error or an answer no class fits: always a surprise
	leaked  outcome = "LEAKED" // allowed, but a list held another person's record
)

// relation is where the addressed record lies, seen from the caller.
type relation string

const (
	own     relation = "own"     // the caller's own record in its tenant
	other   relation = "other"   // another person's record in the caller's tenant
	sibling relation = "sibling" // a record in a sibling tenant
	parent  relation = "parent"  // a record in the parent tenant
	child   relation = "child"   // the caller granted at the street, the record in one of its communities
	unknown relation = "unknown" // a tenant not in the tree
)

var relations = []relation{own, other, sibling, parent, child, unknown}

// applicantRoles are the roles whose holders apply for themselves (or for those who
// mandated them): they reach their own records only, and never a staff-only method.
var applicantRoles = map[string]bool{"citizen": true, "enterprise": true, "agent": true}

// caseScoped are the staff roles legalaid narrows further than the subtree: a court's
// client reaches the cases filed with its court, a lawyer the cases assigned to them. The
// fixtures' cases are neither (and the matrix's court clients are mapped to no court).
var caseScoped = map[string]bool{"court_clerk": true, "legal_aid_lawyer": true}

// applicants is a method's owner scope for applicant callers, as the contract declares
// it (gaoxing.common.v1.Rule.applicants).
type applicants int

const (
	staffOnly applicants = iota // APPLICANTS_UNSPECIFIED
	ownOnly                     // APPLICANTS_OWN: their own records
	filing                      // APPLICANTS_FILE: filing a new record of their own
)

// applicantsOf reads the method's owner scope from its rule (staff only when it has none).
func applicantsOf(m *method) applicants {
	opts := m.desc.Options()
	if opts != nil && proto.HasExtension(opts, commonv1.E_Rule) {
		r := proto.GetExtension(opts, commonv1.E_Rule).(*commonv1.Rule).ProtoReflect()
		if fd := r.Descriptor().Fields().ByName("applicants"); fd != nil {
			return applicants(r.Get(fd).Enum())
		}
	}
	return staffOnly
}

// permits reports whether role may do action on object by the default role set:
// allowed by one of its allow entries and by none of its deny entries (deny wins).
func permits(role authz.Role, object, action string) bool {
	match := func(p authz.Permission) bool {
		objOK := p.Object == "*" || p.Object == object ||
			(strings.HasSuffix(p.Object, ".*") && strings.HasPrefix(object, strings.TrimSuffix(p.Object, "*")))
		return objOK && (p.Action == "*" || p.Action == action)
	}
	ok := false
	for _, p := range role.Permissions {
		if !match(p) {
			continue
		}
		if p.Effect == authz.Deny {
			return false
		}
		ok = true
	}
	return ok
}

// expect is the one table of rules every cell's expected outcome comes from, with the
// reason it gives. Read it top to bottom: the first rule that decides, decides.
func expect(m *method, role authz.Role, rel relation) (outcome, string) {
	if x, ok := exceptions[cellKey{m.key(), role.Name, rel}]; ok {
		return x.want, "exception: " + x.reason
	}
	if x, ok := exceptions[cellKey{m.key(), "*", rel}]; ok {
		return x.want, "exception: " + x.reason
	}
	if x, ok := exceptions[cellKey{m.key(), role.Name, "*"}]; ok {
		return x.want, "exception: " + x.reason
	}
	if x, ok := exceptions[cellKey{m.key(), "*", "*"}]; ok {
		return x.want, "exception: " + x.reason
	}
	rule := m.rule
	if r, ok := checkedByMethod[m.key()]; ok {
		rule = r
	}
	switch {
	case rule.GetPublic() && m.scope != scopeNone && rel == unknown:
		return denied, "public, but the tenant check runs for every caller: unknown tenant"
	case rule.GetPublic():
		return allowed, "public method"
	case !permits(role, rule.GetObject(), rule.GetAction()):
		return denied, "role has no " + rule.GetObject() + ":" + rule.GetAction()
	case m.scope == scopeNone:
		// Addresses nothing in a tenant (the catalogue): the permission decides.
		return allowed, "permitted; addresses no tenant"
	case rel == unknown:
		return denied, "unknown tenant"
	case rel == sibling || rel == parent:
		return denied, "outside the caller's subtree"
	case m.service == "legalaid" && m.scope == scopeRecord && caseScoped[role.Name]:
		return denied, "a court reaches only the cases filed with it, a lawyer only those assigned to them (CASE_NOT_FOUND)"
	}
	if applicantRoles[role.Name] {
		switch scope := applicantsOf(m); {
		case scope == staffOnly:
			return denied, "staff-only method"
		case m.scope == scopeRecord && rel != own:
			return denied, "another person's record"
		case scope == ownOnly && m.scope == scopeRecord:
			return allowed, "applicant's own record"
		default:
			return allowed, "applicant, filtered to or filing their own"
		}
	}
	return allowed, "permitted within the subtree"
}

// cellKey names a cell, or a set of them with "*" for the role or the relation.
type cellKey struct {
	method string // "tickets.GetTicket"
	role   string
	rel    relation
}

// exception is a cell whose outcome the rules above do not give, and why.
type exception struct {
	want   outcome
	reason string
}

// checkedByMethod are the methods the contract marks public (so the chain lets every
// caller in) that check a permission themselves: the rules read this one instead.
var checkedByMethod = map[string]*commonv1.Rule{
	// Anyone may list their own grants; another subject's only who may read roles at
	// that subject's home tenant.
	"identity.ListRoles": {Object: "identity.roles", Action: "read"},
}

// exceptions are the few cells the rules do not decide, each with its reason.
var exceptions = map[cellKey]exception{
	// Callers here hold tokens of the test issuer, not accounts of identity: changing
	// one's own password finds no account. It addresses only the caller's own account, so
	// it has no other person's record to reach.
	{"identity.ChangePassword", "*", "*"}: {denied, "the callers have no identity account (USER_NOT_FOUND)"},
	// The catalogue is defined at the district only; a community's or a street's admin
	// enables matters there instead.
	{"matters.UpdateMatter", "*", own}:   {denied, "matters are defined at the district (DEFINED_AT_DISTRICT)"},
	{"matters.UpdateMatter", "*", other}: {denied, "matters are defined at the district (DEFINED_AT_DISTRICT)"},
	{"matters.UpdateMatter", "*", child}: {denied, "matters are defined at the district (DEFINED_AT_DISTRICT)"},
	// An extension is decided by the tier above the ticket's tenant: the street decides
	// for its communities (the child relation), never the community for itself.
	{"tickets.DecideExtension", "*", own}:   {denied, "only the tier above decides an extension"},
	{"tickets.DecideExtension", "*", other}: {denied, "only the tier above decides an extension"},
	// A part of a joint ticket is claimed by its co-handler tenant; the fixtures have no
	// joint parts, so nobody is a co-handler (CO_HANDLER_NOT_FOUND).
	{"tickets.ClaimPart", "*", own}:    {denied, "no joint part for the caller (CO_HANDLER_NOT_FOUND)"},
	{"tickets.ClaimPart", "*", other}:  {denied, "no joint part for the caller (CO_HANDLER_NOT_FOUND)"},
	{"tickets.ClaimPart", "*", child}:  {denied, "no joint part for the caller (CO_HANDLER_NOT_FOUND)"},
	{"tickets.FinishPart", "*", own}:   {denied, "no joint part for the caller (CO_HANDLER_NOT_FOUND)"},
	{"tickets.FinishPart", "*", other}: {denied, "no joint part for the caller (CO_HANDLER_NOT_FOUND)"},
	{"tickets.FinishPart", "*", child}: {denied, "no joint part for the caller (CO_HANDLER_NOT_FOUND)"},
	// ListRoles lists the grants of a subject (an account of the caller's tenant here);
	// the tenant is only a filter on them, and an unknown one matches none.
	{"identity.ListRoles", "supervisor", unknown}:     {allowed, "the tenant only filters the subject's grants"},
	{"identity.ListRoles", "tenant_admin", unknown}:   {allowed, "the tenant only filters the subject's grants"},
	{"identity.ListRoles", "platform_admin", unknown}: {allowed, "the tenant only filters the subject's grants"},
	// An enterprise's record in the register is the enterprise's own by its credit code;
	// the matrix's enterprise and agent callers carry none (and no mandates), so no
	// register entry is theirs.
	{"stewardship.GetEnterprise", "enterprise", own}: {denied, "the caller's token names no enterprise (ENTERPRISE_NOT_FOUND)"},
	{"stewardship.GetEnterprise", "agent", own}:      {denied, "the agent holds no mandate (ENTERPRISE_NOT_FOUND)"},
	{"stewardship.GetEnrolment", "enterprise", own}:  {denied, "the caller's token names no enterprise (ENROLMENT_NOT_FOUND)"},
}

// knownGaps are methods whose cells may differ from the expectation for a stated reason,
// logged but not failed; the matrix fails on an entry no longer needed. It is empty: the
// ownership axis is enforced everywhere the expectations say.
var knownGaps = map[string]string{}
