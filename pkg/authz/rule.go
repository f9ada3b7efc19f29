package authz

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// ModelText is the Casbin model of Gaoxing's authorization: RBAC with domains where the
// domain is a tenant. A grant g(user, role, tenant) reaches the tenant's whole subtree
// (the domain-matching function "subtree" on g); a permission p(role, tenant, object,
// action, effect) applies where its tenant is "*" or contains the target; any deny beats
// every allow. The Enforcer decides exactly as a casbin.Enforcer on this model does (see
// Casbin), from an index instead of evaluating the matcher once per rule.
const ModelText = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act, eft

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = keyMatch(r.obj, p.obj) && (p.act == "*" || r.act == p.act) && (p.dom == "*" || subtree(r.dom, p.dom)) && g(r.sub, p.sub, r.dom)
`

// Effect is what a matching permission does: allow, or deny (which beats any allow).
type Effect string

// The effects.
const (
	Allow Effect = "allow"
	Deny  Effect = "deny"
)

// Any is the wildcard for a permission's tenant, object or action.
const Any = "*"

// Actions is the closed vocabulary of actions. Services map their verbs onto it (a
// ticket's 签收/办理/回复 are update, 派单 is assign, 办结/审批 is approve), so a
// read-only role can deny every other action and stay read-only as services grow.
var Actions = []string{"read", "create", "update", "delete", "approve", "assign", "admin", "urge"}

// Permission is one p rule: what a role (or, for a deny, a subject) may or may not do.
type Permission struct {
	Subject string // a role; a subject only in a deny (to suspend a user)
	Tenant  string // "*" (wherever the role is held) or a tenant id (only within its subtree)
	Object  string // "<service>.<resource>", "<service>.*" or "*"
	Action  string // one of Actions, or "*"
	Effect  Effect
}

// Grant is one g rule: subject holds role at tenant and so throughout its subtree.
type Grant struct {
	Subject string
	Role    string
	Tenant  tenancy.ID
}

// ErrInvalidRule is returned for a permission or grant that is not well formed.
var ErrInvalidRule = errs.New(errs.InvalidArgument, "INVALID_POLICY_RULE", "权限规则格式不正确")

// IsRole reports whether name has the shape of a role: lowercase snake case starting with
// a letter ("window_clerk"). Subjects never have this shape (they carry a ':' or '-',
// e.g. "u:7f3c", "svc:court-01"), so a subject can never be mistaken for a role.
func IsRole(name string) bool {
	if len(name) == 0 || len(name) > 64 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validSubject reports whether s can be a subject: printable ASCII without spaces, at most
// 256 bytes, and not shaped like a role.
func validSubject(s string) bool {
	if len(s) == 0 || len(s) > 256 || IsRole(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validTenant reports whether s is a well-formed tenant id, without the regexp that
// tenancy.Parse uses: it runs on every decision.
func validTenant(s string) bool {
	if len(s) == 0 || len(s) > tenancy.MaxLen {
		return false
	}
	prevDot := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			prevDot = false
		case c == '.' && !prevDot:
			prevDot = true
		default:
			return false
		}
	}
	return !prevDot
}

// validObject reports whether s names a resource: "<service>.<resource>", both lowercase
// snake case.
func validObject(s string) bool {
	svc, res, ok := strings.Cut(s, ".")
	return ok && IsRole(svc) && IsRole(res)
}

func validObjectPattern(s string) bool {
	if s == Any {
		return true
	}
	if svc, ok := strings.CutSuffix(s, ".*"); ok {
		return IsRole(svc)
	}
	return validObject(s)
}

func validAction(s string) bool {
	for _, a := range Actions {
		if s == a {
			return true
		}
	}
	return false
}

func invalid(field, code, description string) error {
	return ErrInvalidRule.WithMessage("权限规则格式不正确: %s", description).WithField(field, code, description)
}

func (p Permission) validate() error {
	switch {
	case p.Effect != Allow && p.Effect != Deny:
		return invalid("effect", "INVALID_EFFECT", "效果应为 allow 或 deny")
	case p.Effect == Allow && !IsRole(p.Subject):
		return invalid("subject", "INVALID_ROLE", "允许规则只能授予角色（小写字母、数字、下划线）")
	case p.Effect == Deny && !IsRole(p.Subject) && !validSubject(p.Subject):
		return invalid("subject", "INVALID_SUBJECT", "主体格式不正确")
	case p.Tenant != Any && !validTenant(p.Tenant):
		return invalid("tenant", "INVALID_TENANT", "租户应为 * 或有效的租户标识")
	case !validObjectPattern(p.Object):
		return invalid("object", "INVALID_OBJECT", "对象应为 服务.资源、服务.* 或 *")
	case p.Action != Any && !validAction(p.Action):
		return invalid("action", "INVALID_ACTION", "操作应为 "+strings.Join(Actions, "、")+" 或 *")
	}
	return nil
}

func (g Grant) validate() error {
	switch {
	case !validSubject(g.Subject):
		return invalid("subject", "INVALID_SUBJECT", "主体格式不正确（不能与角色名同形）")
	case !IsRole(g.Role):
		return invalid("role", "INVALID_ROLE", "角色名应为小写字母、数字、下划线")
	case !validTenant(string(g.Tenant)):
		return invalid("tenant", "INVALID_TENANT", "租户标识格式不正确")
	}
	return nil
}

// rule is a policy line as Casbin sees it: ptype ("p" or "g") and its fields.
type rule struct {
	ptype  string
	fields []string
}

func (p Permission) rule() rule {
	return rule{"p", []string{p.Subject, p.Tenant, p.Object, p.Action, string(p.Effect)}}
}

func (g Grant) rule() rule { return rule{"g", []string{g.Subject, g.Role, string(g.Tenant)}} }

// parse validates r and returns it as a Permission or a Grant.
func (r rule) parse() (Permission, Grant, error) {
	switch {
	case r.ptype == "p" && len(r.fields) == 5:
		p := Permission{r.fields[0], r.fields[1], r.fields[2], r.fields[3], Effect(r.fields[4])}
		return p, Grant{}, p.validate()
	case r.ptype == "g" && len(r.fields) == 3:
		g := Grant{r.fields[0], r.fields[1], tenancy.ID(r.fields[2])}
		return Permission{}, g, g.validate()
	}
	return Permission{}, Grant{}, ErrInvalidRule.WithMessage("未知的规则类型或字段数: %s/%d", r.ptype, len(r.fields))
}

// The etcd layout: one key per rule, <prefix>/<ptype>/<field>/<field>..., each field
// escaped so it holds no '/'. The key alone identifies the rule (a delete event carries
// only the key); the value repeats it as a JSON array for people reading etcd.
func (r rule) key(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString(r.ptype)
	for _, f := range r.fields {
		b.WriteByte('/')
		b.WriteString(escape(f))
	}
	return b.String()
}

func (r rule) value() string {
	v, _ := json.Marshal(append([]string{r.ptype}, r.fields...))
	return string(v)
}

func ruleFromKey(prefix, key string) (rule, error) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return rule{}, fmt.Errorf("key %q outside %q", key, prefix)
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts[1:] {
		f, err := url.PathUnescape(p)
		if err != nil {
			return rule{}, fmt.Errorf("key %q: %w", key, err)
		}
		parts[i+1] = f
	}
	return rule{ptype: parts[0], fields: parts[1:]}, nil
}

// escape percent-encodes '%', '/' and bytes outside printable ASCII; everything that
// validation lets through stays readable ("ahz.s01", "*", "u:42").
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == '/' || c <= ' ' || c >= 0x7f {
			if b == nil {
				b = append(make([]byte, 0, len(s)+8), s[:i]...)
			}
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else if b != nil {
			b = append(b, c)
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}
