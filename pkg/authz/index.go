package authz

import (
	"slices"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// The index answers a decision in a few map lookups whatever the size of the policy: a
// subject's grants (a handful) lead straight to their roles' rule sets, and a rule set
// finds the rules for an (object, action) by key. It holds exactly the rules of the
// Casbin policy; Casbin itself would test the matcher against every p rule.

// tenantRule is where one rule applies and what it does.
type tenantRule struct {
	tenant string // Any or a tenant id
	deny   bool
}

// actionRules maps an action (or Any) to its rules.
type actionRules map[string][]tenantRule

// ruleSet is every p rule of one subject (a role, or a subject with denies).
type ruleSet struct {
	name      string
	applicant bool                   // an applicant role (Role.Applicant): its allows do not make staff
	exact     map[string]actionRules // by object, "matters.applications"
	service   map[string]actionRules // by service, for the object pattern "matters.*"
	any       actionRules            // object "*"
}

// grant is one g rule seen from its subject.
type grant struct {
	role   *ruleSet
	tenant tenancy.ID
}

// subject is what a decision needs about one subject, reached in one map lookup: its
// grants, the first one inline (most subjects hold one role), and the rules on the
// subject itself (denies), if any. At a million subjects the map is cold in the cache, and
// each further pointer followed would be another wait on memory.
type subject struct {
	first  grant
	more   []grant
	direct *ruleSet
}

func (s *subject) len() int {
	if s.first.role == nil {
		return 0
	}
	return 1 + len(s.more)
}

func (s *subject) at(i int) grant {
	if i == 0 {
		return s.first
	}
	return s.more[i-1]
}

type index struct {
	applicant map[string]bool     // the applicant roles' names
	rules     map[string]*ruleSet // by p rule subject: roles, and subjects with denies
	subjects  map[string]subject  // subjects holding at least one grant
	intern    map[string]string   // role names and tenant ids, shared by all rules
	size      int                 // rules held
}

func newIndex(applicant map[string]bool) *index {
	return &index{applicant: applicant, rules: map[string]*ruleSet{}, subjects: map[string]subject{}, intern: map[string]string{}}
}

func (ix *index) subject(sub string) subject { return ix.subjects[sub] }

// setSubject stores s, or forgets the subject when it holds no grant: a subject without
// grants is allowed nothing, whatever its denies say.
func (ix *index) setSubject(sub string, s subject) {
	if s.len() == 0 {
		delete(ix.subjects, sub)
	} else {
		ix.subjects[sub] = s
	}
}

func (ix *index) str(s string) string {
	if v, ok := ix.intern[s]; ok {
		return v
	}
	ix.intern[s] = s
	return s
}

func (ix *index) ruleSet(name string) *ruleSet {
	rs := ix.rules[name]
	if rs == nil {
		rs = &ruleSet{name: ix.str(name), applicant: ix.applicant[name]}
		ix.rules[rs.name] = rs
		if !IsRole(name) {
			if s := ix.subject(name); s.len() > 0 {
				s.direct = rs
				ix.setSubject(name, s)
			}
		}
	}
	return rs
}

// bucket returns the actionRules for an object pattern, creating it if create is set.
func (rs *ruleSet) bucket(object string, create bool) actionRules {
	var m *map[string]actionRules
	key := object
	switch {
	case object == Any:
		if rs.any == nil && create {
			rs.any = actionRules{}
		}
		return rs.any
	case strings.HasSuffix(object, ".*"):
		m, key = &rs.service, strings.TrimSuffix(object, ".*")
	default:
		m = &rs.exact
	}
	ar := (*m)[key]
	if ar == nil && create {
		if *m == nil {
			*m = map[string]actionRules{}
		}
		ar = actionRules{}
		(*m)[key] = ar
	}
	return ar
}

// apply adds or removes one rule. Invalid rules are refused with an error and change
// nothing.
func (ix *index) apply(r rule, add bool) error {
	p, g, err := r.parse()
	if err != nil {
		return err
	}
	switch {
	case r.ptype == "g" && add:
		ix.addGrant(g)
	case r.ptype == "g":
		ix.removeGrant(g)
	case add:
		ix.addPermission(p)
	default:
		ix.removePermission(p)
	}
	return nil
}

func (ix *index) addPermission(p Permission) bool {
	rs := ix.ruleSet(p.Subject)
	ar := rs.bucket(p.Object, true)
	tr := tenantRule{tenant: ix.str(p.Tenant), deny: p.Effect == Deny}
	act := ix.str(p.Action)
	if slices.Contains(ar[act], tr) {
		return false
	}
	ar[act] = append(ar[act], tr)
	ix.size++
	return true
}

func (ix *index) removePermission(p Permission) bool {
	rs := ix.rules[p.Subject]
	if rs == nil {
		return false
	}
	ar := rs.bucket(p.Object, false)
	tr := tenantRule{tenant: p.Tenant, deny: p.Effect == Deny}
	i := slices.Index(ar[p.Action], tr)
	if i < 0 {
		return false
	}
	ar[p.Action] = slices.Delete(ar[p.Action], i, i+1)
	if len(ar[p.Action]) == 0 {
		delete(ar, p.Action)
	}
	ix.size--
	// An empty rule set stays, as grants and subjects may point at it: one per role or
	// denied subject ever seen, until the next full reload.
	return true
}

func (ix *index) addGrant(g Grant) bool {
	s := ix.subject(g.Subject)
	for i := range s.len() {
		if x := s.at(i); x.role.name == g.Role && x.tenant == g.Tenant {
			return false
		}
	}
	n := grant{role: ix.ruleSet(g.Role), tenant: tenancy.ID(ix.str(string(g.Tenant)))}
	if s.first.role == nil {
		s.first, s.direct = n, ix.rules[g.Subject]
	} else {
		s.more = append(s.more, n)
	}
	ix.setSubject(g.Subject, s)
	ix.size++
	return true
}

func (ix *index) removeGrant(g Grant) bool {
	s := ix.subject(g.Subject)
	all := make([]grant, 0, s.len())
	for i := range s.len() {
		all = append(all, s.at(i))
	}
	i := slices.IndexFunc(all, func(x grant) bool { return x.role.name == g.Role && x.tenant == g.Tenant })
	if i < 0 {
		return false
	}
	all = slices.Delete(all, i, i+1)
	ix.size--
	s.first, s.more = grant{}, nil
	if len(all) > 0 {
		s.first, s.more = all[0], slices.Clip(all[1:])
	}
	ix.setSubject(g.Subject, s)
	return true
}

// match finds rs's rules for (obj, act) that apply at t. svc is obj's service part.
func (rs *ruleSet) match(t tenancy.ID, obj, svc, act string) (allow, deny bool) {
	for _, ar := range [3]actionRules{rs.exact[obj], rs.service[svc], rs.any} {
		if ar == nil {
			continue
		}
		for _, rules := range [2][]tenantRule{ar[act], ar[Any]} {
			for _, r := range rules {
				if r.tenant == Any || tenancy.ID(r.tenant).Contains(t) {
					if r.deny {
						return allow, true
					}
					allow = true
				}
			}
		}
	}
	return allow, false
}

// allowed is the decision: some rule allows (obj, act) at t through a role sub holds at
// an ancestor-or-self of t, and no rule denies it, whether through such a role or on sub
// itself.
func (ix *index) allowed(sub string, t tenancy.ID, obj, act string) bool {
	allowed, _ := ix.decide(sub, t, obj, act)
	return allowed
}

// decide is allowed, and whether a role that is not an applicant role allows it (staff):
// a caller allowed only through applicant roles is an applicant for this decision.
func (ix *index) decide(sub string, t tenancy.ID, obj, act string) (allowed, staff bool) {
	svc, _, _ := strings.Cut(obj, ".")
	s := ix.subject(sub)
	if s.direct != nil {
		// Rules on the subject itself (denies only; see Permission.validate).
		if _, deny := s.direct.match(t, obj, svc, act); deny {
			return false, false
		}
	}
	for i := range s.len() {
		g := s.at(i)
		if !g.tenant.Contains(t) {
			continue
		}
		allow, deny := g.role.match(t, obj, svc, act)
		if deny {
			return false, false
		}
		allowed = allowed || allow
		staff = staff || (allow && !g.role.applicant)
	}
	return allowed, staff
}

// scope collects, for Scope, the subtrees where a rule allows and where one denies.
// reach is where the rule set applies (a grant's tenant; "" for the subject itself).
func (rs *ruleSet) scope(reach tenancy.ID, obj, svc, act string, s *Scope, deniedEverywhere *bool) {
	for _, ar := range [3]actionRules{rs.exact[obj], rs.service[svc], rs.any} {
		if ar == nil {
			continue
		}
		for _, rules := range [2][]tenantRule{ar[act], ar[Any]} {
			for _, r := range rules {
				area, ok := intersect(reach, r.tenant)
				switch {
				case !ok:
				case r.deny && area == "":
					*deniedEverywhere = true
				case r.deny:
					s.Exclude = append(s.Exclude, area)
				case area != "":
					s.Include = append(s.Include, area)
				}
			}
		}
	}
}

// intersect is the overlap of two subtrees, "" (or Any) standing for everywhere. Two
// subtrees overlap only if one contains the other.
func intersect(reach tenancy.ID, tenant string) (tenancy.ID, bool) {
	t := tenancy.ID(tenant)
	if tenant == Any {
		t = ""
	}
	switch {
	case reach == "":
		return t, true
	case t == "" || t.Contains(reach):
		return reach, true
	case reach.Contains(t):
		return t, true
	}
	return "", false
}

func (ix *index) scope(sub, obj, act string, staffOnly bool) Scope {
	svc, _, _ := strings.Cut(obj, ".")
	var sc Scope
	denied := false
	s := ix.subject(sub)
	if s.direct != nil {
		s.direct.scope("", obj, svc, act, &sc, &denied)
	}
	for i := range s.len() {
		g := s.at(i)
		if staffOnly && g.role.applicant {
			continue
		}
		g.role.scope(g.tenant, obj, svc, act, &sc, &denied)
	}
	if denied {
		return Scope{}
	}
	return sc.normalize()
}

// has reports whether p is in the index.
func (ix *index) has(p Permission) bool {
	rs := ix.rules[p.Subject]
	if rs == nil {
		return false
	}
	return slices.Contains(rs.bucket(p.Object, false)[p.Action], tenantRule{tenant: p.Tenant, deny: p.Effect == Deny})
}
