package matters

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// 免申即享 (benefits without applying): a policy's eligibility rule is data — all of, any
// of, or one condition over an enterprise profile's attributes — so that a policy office
// publishes it without a release, and every grant can say which conditions it met.

const (
	maxRuleDepth    = 8
	dateLayout      = "2006-01-02"
	policyGrantsCap = 10000 // grants returned by one evaluation
)

var policyCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,39}$`)

var operatorLabel = map[mattersv1.Operator]string{
	mattersv1.Operator_OPERATOR_EQ: "等于", mattersv1.Operator_OPERATOR_NE: "不等于", mattersv1.Operator_OPERATOR_IN: "属于",
	mattersv1.Operator_OPERATOR_NOT_IN: "不属于", mattersv1.Operator_OPERATOR_HAS: "包含", mattersv1.Operator_OPERATOR_BEFORE: "早于",
	mattersv1.Operator_OPERATOR_AFTER: "晚于", mattersv1.Operator_OPERATOR_GTE: "≥", mattersv1.Operator_OPERATOR_LTE: "≤",
	mattersv1.Operator_OPERATOR_GT: ">", mattersv1.Operator_OPERATOR_LT: "<",
}

// validateRule checks a rule tree before it is stored: known operators, values that parse
// for the operator, non-empty lists, bounded depth.
func validateRule(field string, r *mattersv1.Rule, depth int) error {
	bad := func(f, desc string) error { return errs.Invalid(f, "INVALID_RULE", desc) }
	if r == nil {
		return bad(field, "规则不能为空")
	}
	if depth > maxRuleDepth {
		return bad(field, fmt.Sprintf("规则嵌套不能超过 %d 层", maxRuleDepth))
	}
	if err := text(field+".label", r.GetLabel(), false, 100); err != nil {
		return err
	}
	switch k := r.GetKind().(type) {
	case *mattersv1.Rule_All, *mattersv1.Rule_Any:
		rules := r.GetAll().GetRules()
		if _, ok := k.(*mattersv1.Rule_Any); ok {
			rules = r.GetAny().GetRules()
		}
		if len(rules) == 0 {
			return bad(field, "“全部满足”或“任一满足”至少含一条规则")
		}
		for i, sub := range rules {
			if err := validateRule(fmt.Sprintf("%s.rules[%d]", field, i), sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *mattersv1.Rule_Condition:
		return validateCondition(field+".condition", k.Condition)
	}
	return bad(field, "规则应为全部满足、任一满足或一个条件")
}

func validateCondition(field string, c *mattersv1.Condition) error {
	bad := func(f, desc string) error { return errs.Invalid(f, "INVALID_RULE", desc) }
	if !fieldKeyPattern.MatchString(c.GetAttribute()) {
		return bad(field+".attribute", "属性名应为小写字母、数字和下划线")
	}
	switch op := c.GetOperator(); op {
	case mattersv1.Operator_OPERATOR_IN, mattersv1.Operator_OPERATOR_NOT_IN:
		if len(c.GetValues()) == 0 {
			return bad(field+".values", "“属于”类条件需列出取值")
		}
	case mattersv1.Operator_OPERATOR_BEFORE, mattersv1.Operator_OPERATOR_AFTER:
		if _, err := time.Parse(dateLayout, c.GetValue()); err != nil {
			return bad(field+".value", "日期应为 YYYY-MM-DD")
		}
	case mattersv1.Operator_OPERATOR_GTE, mattersv1.Operator_OPERATOR_LTE, mattersv1.Operator_OPERATOR_GT, mattersv1.Operator_OPERATOR_LT:
		if _, err := strconv.ParseFloat(c.GetValue(), 64); err != nil {
			return bad(field+".value", "数值比较的取值应为数字")
		}
	case mattersv1.Operator_OPERATOR_EQ, mattersv1.Operator_OPERATOR_NE, mattersv1.Operator_OPERATOR_HAS:
		if c.GetValue() == "" {
			return bad(field+".value", "条件取值不能为空")
		}
	default:
		return bad(field+".operator", "不支持的比较方式")
	}
	return nil
}

// attribute is what a profile holds under name: a list for scale_tags, one value otherwise.
func attribute(p *mattersv1.EnterpriseProfile, name string) []string {
	switch name {
	case "industry":
		return nonEmpty(p.GetIndustry())
	case "scale_tags":
		return p.GetScaleTags()
	case "registration_date":
		return nonEmpty(p.GetRegistrationDate())
	case "tax_status":
		return nonEmpty(p.GetTaxStatus())
	}
	return nonEmpty(p.GetAttributes()[name])
}

func nonEmpty(v string) []string {
	if v == "" {
		return nil
	}
	return []string{v}
}

// evalCondition tests one condition; a missing attribute never matches (NE and NOT_IN too:
// a grant needs positive knowledge).
func evalCondition(c *mattersv1.Condition, p *mattersv1.EnterpriseProfile) bool {
	vals := attribute(p, c.GetAttribute())
	if len(vals) == 0 {
		return false
	}
	switch c.GetOperator() {
	case mattersv1.Operator_OPERATOR_EQ, mattersv1.Operator_OPERATOR_HAS:
		return slices.Contains(vals, c.GetValue())
	case mattersv1.Operator_OPERATOR_NE:
		return !slices.Contains(vals, c.GetValue())
	case mattersv1.Operator_OPERATOR_IN:
		return slices.ContainsFunc(vals, func(v string) bool { return slices.Contains(c.GetValues(), v) })
	case mattersv1.Operator_OPERATOR_NOT_IN:
		return !slices.ContainsFunc(vals, func(v string) bool { return slices.Contains(c.GetValues(), v) })
	case mattersv1.Operator_OPERATOR_BEFORE, mattersv1.Operator_OPERATOR_AFTER:
		got, err1 := time.Parse(dateLayout, vals[0])
		want, err2 := time.Parse(dateLayout, c.GetValue())
		if err1 != nil || err2 != nil {
			return false
		}
		if c.GetOperator() == mattersv1.Operator_OPERATOR_BEFORE {
			return got.Before(want)
		}
		return got.After(want)
	}
	got, err1 := strconv.ParseFloat(vals[0], 64)
	want, err2 := strconv.ParseFloat(c.GetValue(), 64)
	if err1 != nil || err2 != nil {
		return false
	}
	switch c.GetOperator() {
	case mattersv1.Operator_OPERATOR_GTE:
		return got >= want
	case mattersv1.Operator_OPERATOR_LTE:
		return got <= want
	case mattersv1.Operator_OPERATOR_GT:
		return got > want
	case mattersv1.Operator_OPERATOR_LT:
		return got < want
	}
	return false
}

// evalRule tests r against p and, when it matches, says why: the matching conditions,
// each with the profile's actual value, under the labels of the rules that hold them.
func evalRule(r *mattersv1.Rule, p *mattersv1.EnterpriseProfile) (bool, []string) {
	var ok bool
	var why []string
	switch k := r.GetKind().(type) {
	case *mattersv1.Rule_Condition:
		c := k.Condition
		if ok = evalCondition(c, p); ok {
			want := c.GetValue()
			if len(c.GetValues()) > 0 {
				want = "[" + strings.Join(c.GetValues(), "、") + "]"
			}
			why = []string{fmt.Sprintf("%s %s %s（实际：%s）", c.GetAttribute(), operatorLabel[c.GetOperator()], want,
				strings.Join(attribute(p, c.GetAttribute()), "、"))}
		}
	case *mattersv1.Rule_All:
		ok = true
		for _, sub := range k.All.GetRules() {
			m, w := evalRule(sub, p)
			if !m {
				return false, nil
			}
			why = append(why, w...)
		}
	case *mattersv1.Rule_Any:
		for _, sub := range k.Any.GetRules() {
			if m, w := evalRule(sub, p); m {
				ok = true
				why = append(why, w...)
			}
		}
	}
	if ok && r.GetLabel() != "" {
		for i := range why {
			why[i] = r.GetLabel() + "：" + why[i]
		}
	}
	return ok, why
}

func policyName(t tenancy.ID, code string) string {
	return "tenants/" + string(t) + "/policies/" + code
}

// UpdatePolicy defines or replaces a policy at a tenant; each change is version n+1.
func (s *service) UpdatePolicy(ctx context.Context, r *mattersv1.UpdatePolicyRequest) (*mattersv1.Policy, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	in := r.GetPolicy()
	switch {
	case in == nil:
		return nil, errs.Invalid("policy", "REQUIRED", "policy 不能为空")
	case !policyCodePattern.MatchString(in.GetCode()):
		return nil, errs.Invalid("policy.code", "INVALID_CODE", "政策编码应为大写字母、数字和连字符")
	}
	if err := text("policy.title", in.GetTitle(), true, 200); err != nil {
		return nil, err
	}
	if err := text("policy.benefit", in.GetBenefit(), true, 2000); err != nil {
		return nil, err
	}
	if err := validateRule("policy.rule", in.GetRule(), 1); err != nil {
		return nil, err
	}
	p := proto.Clone(in).(*mattersv1.Policy)
	now := s.now()
	p.Name, p.UpdateTime = policyName(t, p.GetCode()), ts(now)
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		prev, err := s.st.policy(ctx, t, p.GetCode())
		var before any
		switch {
		case errors.Is(err, ErrPolicyNotFound):
			p.Version = 1
		case err != nil:
			return err
		default:
			p.Version, before = prev.GetVersion()+1, prev
		}
		data, err := marshal.Marshal(p)
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO policies (tenant, code, version, update_us, data) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant, code) DO UPDATE SET version = excluded.version, update_us = excluded.update_us, data = excluded.data`,
			string(t), p.GetCode(), int64(p.GetVersion()), now.UnixMicro(), string(data)); err != nil {
			return err
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "matters.UpdatePolicy", Resource: p.GetName(), Before: before, After: p, Time: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *service) ListPolicies(ctx context.Context, r *mattersv1.ListPoliciesRequest) (*mattersv1.ListPoliciesResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	policies, err := sqlstore.QueryAll(ctx, s.db, scanJSON[*mattersv1.Policy], `SELECT data FROM policies WHERE tenant = $1 ORDER BY code`, string(t))
	if err != nil {
		return nil, err
	}
	return &mattersv1.ListPoliciesResponse{Policies: policies}, nil
}

// EvaluatePolicy grants a policy to every enterprise in the policy tenant's subtree whose
// profile in the enterprise register (stewardship, register.go) meets its rule. A grant's key is (tenant, policy, enterprise): evaluating again
// adds only the enterprises that newly qualify.
func (s *service) EvaluatePolicy(ctx context.Context, r *mattersv1.EvaluatePolicyRequest) (*mattersv1.EvaluatePolicyResponse, error) {
	parent, code, ok := strings.Cut(r.GetName(), "/policies/")
	t, err := parseParent(parent)
	if !ok || err != nil || !policyCodePattern.MatchString(code) {
		return nil, errs.Invalid("name", "INVALID_NAME", "name 应为 tenants/{tenant}/policies/{code}")
	}
	pol, err := s.st.policy(ctx, t, code)
	if err != nil {
		return nil, err
	}
	profiles, err := s.register.profiles(ctx, t)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		tenant  tenancy.ID
		profile *mattersv1.EnterpriseProfile
		why     []string
	}
	var matched []candidate
	evaluated := len(profiles)
	for _, p := range profiles {
		if ok, why := evalRule(pol.GetRule(), p.profile); ok {
			matched = append(matched, candidate{p.tenant, p.profile, why})
		}
	}
	now := s.now()
	resp := &mattersv1.EvaluatePolicyResponse{Evaluated: int32(evaluated)}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		resp.Grants, resp.Granted = nil, 0
		for _, c := range matched {
			g := &mattersv1.Grant{
				Name: "tenants/" + string(c.tenant) + "/grants/" + code + "." + c.profile.GetCreditCode(), Policy: pol.GetName(),
				PolicyVersion: pol.GetVersion(), Enterprise: c.profile.GetName(), EnterpriseName: c.profile.GetEnterpriseName(),
				Explanation: c.why, CreateTime: ts(now),
			}
			data, err := marshal.Marshal(g)
			if err != nil {
				return err
			}
			res, err := s.db.Exec(ctx, `INSERT INTO grants (tenant, policy_code, credit_code, create_us, data) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (tenant, policy_code, credit_code) DO NOTHING`, string(c.tenant), code, c.profile.GetCreditCode(), now.UnixMicro(), string(data))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue // granted before
			}
			if _, err := s.audit.Record(ctx, audit.Entry{Tenant: c.tenant, Action: "matters.GrantPolicy", Resource: g.GetName(), After: g, Time: now}); err != nil {
				return err
			}
			resp.Granted++
			if len(resp.Grants) < policyGrantsCap {
				resp.Grants = append(resp.Grants, g)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListGrants lists the grants of a tenant's subtree by tenant, policy and enterprise.
func (s *service) ListGrants(ctx context.Context, r *mattersv1.ListGrantsRequest) (*mattersv1.ListGrantsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if r.GetPolicy() != "" && !policyCodePattern.MatchString(r.GetPolicy()) {
		return nil, errs.Invalid("policy", "INVALID_CODE", "政策编码应为大写字母、数字和连字符")
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	hash := page.Hash("grants", string(t), r.GetPolicy())
	after, err := page.Decode(r.GetPageToken(), hash)
	if err != nil {
		return nil, err
	}
	parts := append(strings.SplitN(after, "/", 3), "", "", "")
	where, args := t.SubtreeSQL("tenant", 1)
	args = append(args, r.GetPolicy(), parts[0], parts[1], parts[2], size+1)
	rows, err := s.db.Query(ctx, `SELECT tenant, policy_code, credit_code, data FROM grants WHERE `+where+`
		AND ($3 = '' OR policy_code = $3) AND (tenant, policy_code, credit_code) > ($4, $5, $6)
		ORDER BY tenant, policy_code, credit_code LIMIT $7`, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	resp := &mattersv1.ListGrantsResponse{}
	last := ""
	for rows.Next() {
		var tenant, pc, cc, data string
		if err := rows.Scan(&tenant, &pc, &cc, &data); err != nil {
			return nil, err
		}
		if len(resp.Grants) == size {
			resp.NextPageToken = page.Encode(last, hash)
			break
		}
		g := &mattersv1.Grant{}
		if err := unmarshal.Unmarshal([]byte(data), g); err != nil {
			return nil, err
		}
		resp.Grants, last = append(resp.Grants, g), tenant+"/"+pc+"/"+cc
	}
	return resp, rows.Err()
}

func (s *store) policy(ctx context.Context, t tenancy.ID, code string) (*mattersv1.Policy, error) {
	var data string
	err := s.db.QueryRow(ctx, `SELECT data FROM policies WHERE tenant = $1 AND code = $2`, string(t), code).Scan(&data)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrPolicyNotFound.WithMessage("政策不存在: %s", policyName(t, code))
	}
	if err != nil {
		return nil, err
	}
	p := &mattersv1.Policy{}
	return p, unmarshal.Unmarshal([]byte(data), p)
}
