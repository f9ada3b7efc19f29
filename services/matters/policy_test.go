package matters

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// creditCode is a valid unified social credit code numbered i.
func creditCode(i int) string {
	first := fmt.Sprintf("912103007%08d", i)
	c, ok := govid.CreditCodeCheck(first)
	if !ok {
		panic(first)
	}
	return first + string(c)
}

func cond(attr string, op mattersv1.Operator, value string, values ...string) *mattersv1.Rule {
	return &mattersv1.Rule{Kind: &mattersv1.Rule_Condition{Condition: &mattersv1.Condition{Attribute: attr, Operator: op, Value: value, Values: values}}}
}

func all(label string, rules ...*mattersv1.Rule) *mattersv1.Rule {
	return &mattersv1.Rule{Label: label, Kind: &mattersv1.Rule_All{All: &mattersv1.RuleSet{Rules: rules}}}
}

func anyOf(label string, rules ...*mattersv1.Rule) *mattersv1.Rule {
	return &mattersv1.Rule{Label: label, Kind: &mattersv1.Rule_Any{Any: &mattersv1.RuleSet{Rules: rules}}}
}

// 免申即享: a policy's declarative rule (manufacturing or software, 规上 or 瞪羚, registered
// before 2024, tax status normal, at least 50 staff) is evaluated against the enterprise
// register, which the stewardship service keeps (a real one runs beside matters); the
// qualifying enterprises get grants, each saying which conditions it met; a second
// evaluation adds nothing, an enterprise that the register now shows qualifying adds one.
// Both engines.
func TestPolicyGrantsWithoutApplication(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withRegister())
		steward := h.env.Grant(t, "u-steward", "steward", district, authn.Staff)
		profile := func(i int, industry, tag, registered, tax, staff string) *stewardshipv1.Enterprise {
			return &stewardshipv1.Enterprise{CreditCode: creditCode(i), EnterpriseName: fmt.Sprintf("示例企业%d", i), Industry: industry,
				ScaleTags: []string{tag}, RegistrationDate: registered, TaxStatus: tax, Attributes: map[string]string{"employees": staff}}
		}
		profiles := []*stewardshipv1.Enterprise{
			profile(1, "制造业", "规上", "2020-03-01", "正常", "120"),       // qualifies
			profile(2, "软件和信息技术服务业", "瞪羚", "2023-06-30", "正常", "55"), // qualifies
			profile(3, "制造业", "规上", "2024-02-01", "正常", "300"),       // registered too late
			profile(4, "批发和零售业", "规上", "2019-01-01", "正常", "80"),     // wrong industry
			profile(5, "制造业", "雏鹰", "2018-01-01", "正常", "60"),        // neither 规上 nor 瞪羚
			profile(6, "制造业", "规上", "2018-01-01", "非正常", "90"),       // tax status
		}
		_, err := h.register.ImportEnterprises(apptest.As(steward), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/ahz", Enterprises: profiles})
		require.NoError(t, err)

		policy := &mattersv1.Policy{Code: "GSQY-WJ", Title: "规上及瞪羚企业稳岗奖励", Benefit: "按在岗职工人数每人 500 元",
			Rule: all("稳岗奖励条件",
				anyOf("行业", cond("industry", mattersv1.Operator_OPERATOR_IN, "", "制造业", "软件和信息技术服务业")),
				anyOf("规模", cond("scale_tags", mattersv1.Operator_OPERATOR_HAS, "规上"), cond("scale_tags", mattersv1.Operator_OPERATOR_HAS, "瞪羚")),
				cond("registration_date", mattersv1.Operator_OPERATOR_BEFORE, "2024-01-01"),
				cond("tax_status", mattersv1.Operator_OPERATOR_EQ, "正常"),
				cond("employees", mattersv1.Operator_OPERATOR_GTE, "50"),
			)}
		p, err := h.client.UpdatePolicy(h.as(districtAdmin), &mattersv1.UpdatePolicyRequest{Parent: "tenants/ahz", Policy: policy})
		require.NoError(t, err)
		require.Equal(t, "tenants/ahz/policies/GSQY-WJ", p.GetName())

		code, body := h.post(districtAdmin, "/v1/tenants/ahz/policies/GSQY-WJ:evaluate", &mattersv1.EvaluatePolicyRequest{Name: p.GetName()})
		require.Equal(t, http.StatusOK, code, string(body))
		var res mattersv1.EvaluatePolicyResponse
		require.NoError(t, protojson.Unmarshal(body, &res))
		require.Equal(t, int32(6), res.GetEvaluated())
		require.Equal(t, int32(2), res.GetGranted())
		require.Equal(t, "tenants/ahz/enterprises/"+creditCode(1), res.GetGrants()[0].GetEnterprise())
		require.Equal(t, []string{
			"稳岗奖励条件：行业：industry 属于 [制造业、软件和信息技术服务业]（实际：制造业）",
			"稳岗奖励条件：规模：scale_tags 包含 规上（实际：规上）",
			"稳岗奖励条件：registration_date 早于 2024-01-01（实际：2020-03-01）",
			"稳岗奖励条件：tax_status 等于 正常（实际：正常）",
			"稳岗奖励条件：employees ≥ 50（实际：120）",
		}, res.GetGrants()[0].GetExplanation())
		require.Contains(t, res.GetGrants()[1].GetExplanation(), "稳岗奖励条件：规模：scale_tags 包含 瞪羚（实际：瞪羚）")

		// Idempotent: nothing new; a profile that now qualifies adds exactly one.
		again, err := h.client.EvaluatePolicy(h.as(districtAdmin), &mattersv1.EvaluatePolicyRequest{Name: p.GetName()})
		require.NoError(t, err)
		require.Zero(t, again.GetGranted())
		_, err = h.register.ImportEnterprises(apptest.As(steward), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/ahz",
			Enterprises: []*stewardshipv1.Enterprise{profile(6, "制造业", "规上", "2018-01-01", "正常", "90")}})
		require.NoError(t, err)
		again, err = h.client.EvaluatePolicy(h.as(districtAdmin), &mattersv1.EvaluatePolicyRequest{Name: p.GetName()})
		require.NoError(t, err)
		require.Equal(t, int32(1), again.GetGranted())
		grants, err := h.client.ListGrants(h.as(hallClerk), &mattersv1.ListGrantsRequest{Parent: "tenants/ahz", Policy: "GSQY-WJ", PageSize: 2})
		require.NoError(t, err)
		require.Len(t, grants.GetGrants(), 2)
		rest, err := h.client.ListGrants(h.as(hallClerk), &mattersv1.ListGrantsRequest{Parent: "tenants/ahz", Policy: "GSQY-WJ", PageSize: 2, PageToken: grants.GetNextPageToken()})
		require.NoError(t, err)
		require.Len(t, rest.GetGrants(), 1)
		require.Empty(t, rest.GetNextPageToken())
		require.Equal(t, 3, h.count(`SELECT COUNT(*) FROM grants`))
	})
}

// A bad rule is refused with its field and stores nothing; so is an evaluation while
// the register cannot be asked.
func TestPolicyBadInput(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	for _, c := range []struct {
		rule  *mattersv1.Rule
		field string
	}{
		{cond("registration_date", mattersv1.Operator_OPERATOR_BEFORE, "2024/01/01"), "policy.rule.condition.value"},
		{cond("employees", mattersv1.Operator_OPERATOR_GTE, "many"), "policy.rule.condition.value"},
		{cond("industry", mattersv1.Operator_OPERATOR_IN, ""), "policy.rule.condition.values"},
		{cond("Industry", mattersv1.Operator_OPERATOR_EQ, "制造业"), "policy.rule.condition.attribute"},
		{cond("industry", mattersv1.Operator_OPERATOR_UNSPECIFIED, "制造业"), "policy.rule.condition.operator"},
		{all("空"), "policy.rule"},
		{anyOf("", cond("industry", mattersv1.Operator_OPERATOR_EQ, "")), "policy.rule.rules[0].condition.value"},
	} {
		_, err := h.client.UpdatePolicy(h.as(districtAdmin), &mattersv1.UpdatePolicyRequest{Parent: "tenants/ahz",
			Policy: &mattersv1.Policy{Code: "BAD", Title: "坏规则", Benefit: "无", Rule: c.rule}})
		apptest.RequireField(t, err, c.field, "INVALID_RULE")
	}
	_, err := h.client.EvaluatePolicy(h.as(districtAdmin), &mattersv1.EvaluatePolicyRequest{Name: "tenants/ahz/policies/NONE"})
	apptest.RequireCode(t, err, codes.NotFound, "POLICY_NOT_FOUND")
	// A clerk administers no policies.
	_, err = h.client.UpdatePolicy(h.as(hallClerk), &mattersv1.UpdatePolicyRequest{Parent: "tenants/ahz",
		Policy: &mattersv1.Policy{Code: "X", Title: "x", Benefit: "x", Rule: cond("industry", mattersv1.Operator_OPERATOR_EQ, "制造业")}})
	apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	for _, table := range []string{"policies", "grants", "audit_records", "audit_pending"} {
		require.Zero(t, h.count(`SELECT COUNT(*) FROM `+table), table)
	}
}
