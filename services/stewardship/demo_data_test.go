package stewardship

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

var update = flag.Bool("update", false, "rewrite data/*.json from the generator")

// demoCreditCode is a valid unified social credit code numbered i (prefix 91 510100, an
// enterprise registered in the zone's city).
func demoCreditCode(i int) string {
	first := fmt.Sprintf("91510100MA%07dX", i)[:17]
	c, ok := govid.CreditCodeCheck(first)
	if !ok {
		panic(first)
	}
	return first + string(c)
}

var (
	demoDepartments = []string{"科技经济发展办", "自然资源和住建办", "高企服务部", "招商事务部", "财政金融办", "社会治理办",
		"农业农村办", "文化旅游体育办", "人社办", "营商环境建设办"}
	demoSubjects   = []string{"工程款", "货物采购款", "服务采购款", "奖补资金", "房屋租金", "履约保证金", "设计咨询费"}
	demoIndustries = []string{"制造业", "软件和信息技术服务业", "建筑业", "批发和零售业", "科学研究和技术服务业", "租赁和商务服务业"}
	demoWords      = []string{"锦程", "天府", "蓉创", "新航", "云帆", "瑞泽", "恒通", "博远", "智汇", "华晟", "金沙", "青城", "岷江", "鼎新", "星河"}
	demoKinds      = []string{"科技", "建设工程", "信息技术", "商贸", "环保科技", "生物医药", "智能装备", "物业服务"}
	demoTags       = []string{"规上", "雏鹰", "瞪羚"}
)

// generateDemo builds the data set from a fixed seed: 300 enterprises across the
// district's tenants, and 502 debts owed to them since 2018 by the zone's departments.
func generateDemo() (*stewardshipv1.ImportEnterprisesRequest, *stewardshipv1.ImportDebtsRequest) {
	rng := rand.New(rand.NewPCG(2018, 502))
	var tenants []tenancy.ID
	for _, t := range tenancy.DefaultTree() {
		tenants = append(tenants, t.ID)
	}
	ents := &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/" + DemoTenant}
	for i := 1; i <= 300; i++ {
		t := tenants[rng.IntN(len(tenants))]
		cc := demoCreditCode(i)
		name := fmt.Sprintf("成都高新%s%s有限公司", demoWords[rng.IntN(len(demoWords))]+demoWords[rng.IntN(len(demoWords))], demoKinds[rng.IntN(len(demoKinds))])
		var tags []string
		if rng.IntN(3) == 0 {
			tags = []string{demoTags[rng.IntN(len(demoTags))]}
		}
		reg := fmt.Sprintf("%04d-%02d-%02d", 2008+rng.IntN(16), 1+rng.IntN(12), 1+rng.IntN(28))
		ents.Enterprises = append(ents.Enterprises, &stewardshipv1.Enterprise{
			Name: enterpriseName(t, cc), CreditCode: cc, EnterpriseName: name, Industry: demoIndustries[rng.IntN(len(demoIndustries))],
			ScaleTags: tags, Address: fmt.Sprintf("高新区%s路%d号", demoWords[rng.IntN(len(demoWords))], 1+rng.IntN(999)),
			RegistrationDate: reg, TaxStatus: "正常", Stage: stewardshipv1.Stage(1 + rng.IntN(4)),
			Attributes: map[string]string{"employees": fmt.Sprint(5 + rng.IntN(800))},
			Contacts:   []*stewardshipv1.Contact{{Name: "联系人" + fmt.Sprint(i), Phone: fmt.Sprintf("139%08d", rng.IntN(100000000)), Position: "财务负责人"}},
		})
	}
	debts := &stewardshipv1.ImportDebtsRequest{Parent: "tenants/" + DemoTenant}
	perYear := map[int]int{}
	for i := 0; i < 502; i++ {
		year := 2018 + rng.IntN(8)
		perYear[year]++
		e := ents.Enterprises[rng.IntN(len(ents.Enterprises))]
		// Amounts from two thousand to three million yuan, skewed small, to the cent.
		yuan := 2000 + int64(rng.ExpFloat64()*180000)
		if yuan > 3000000 {
			yuan = 3000000 - int64(rng.IntN(100000))
		}
		disputed := rng.IntN(100) < 12
		class := stewardshipv1.DebtClass_DEBT_CLASS_SWEEP
		if disputed {
			class = stewardshipv1.DebtClass_DEBT_CLASS_DISPUTED
		}
		debts.Debts = append(debts.Debts, &stewardshipv1.Debt{
			LedgerNo: fmt.Sprintf("QK-%d-%04d", year, perYear[year]), CreditorCreditCode: e.GetCreditCode(), CreditorName: e.GetEnterpriseName(),
			DebtorDepartment: demoDepartments[rng.IntN(len(demoDepartments))], Amount: formatMoney(yuan*100 + int64(rng.IntN(100))),
			Since: fmt.Sprintf("%d-%02d-%02d", year, 1+rng.IntN(12), 1+rng.IntN(28)), Disputed: disputed,
			Subject: demoSubjects[rng.IntN(len(demoSubjects))], Evidence: []string{fmt.Sprintf("高新财〔%d〕%d号", year, 1+rng.IntN(300))},
			Class: class,
		})
	}
	return ents, debts
}

func demoJSON(t *testing.T, m proto.Message) []byte {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, b, "", " "))
	return append(out.Bytes(), '\n')
}

// The committed data set is what the generator makes (go test -run TestDemoData -update).
func TestDemoData(t *testing.T) {
	ents, debts := generateDemo()
	require.Len(t, debts.GetDebts(), 502)
	for path, m := range map[string]proto.Message{"data/enterprises.json": ents, "data/arrears.json": debts} {
		want := demoJSON(t, m)
		if *update {
			require.NoError(t, os.WriteFile(path, want, 0o644))
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%s is stale: go test -run TestDemoData -update", path)
	}
	loaded, err := DemoDebts()
	require.NoError(t, err)
	require.True(t, proto.Equal(debts, loaded))
}
