package stewardship

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The 502-entry ledger: imported twice (the second changes nothing), every undisputed
// debt planned in three instalments and partly paid; payments, instalments, the debts'
// balances and the report per department all reconcile to the cent. Both engines.
func TestArrearsLedgerReconciles(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		ents, err := DemoEnterprises()
		require.NoError(t, err)
		h.register(ents.GetEnterprises()...)
		debts, err := DemoDebts()
		require.NoError(t, err)
		first, err := h.client.ImportDebts(h.as(steward), debts)
		require.NoError(t, err)
		require.Equal(t, int32(502), first.GetCreated())
		again, err := h.client.ImportDebts(h.as(steward), debts)
		require.NoError(t, err)
		require.Equal(t, []int32{0, 502}, []int32{again.GetCreated(), again.GetUnchanged()})

		var principal, paid int64
		perDept := map[string]int64{}
		for i, d := range debts.GetDebts() {
			fen, err := parseMoney("amount", d.GetAmount(), true)
			require.NoError(t, err)
			principal += fen
			name := "tenants/ahz/debts/" + d.GetLedgerNo()
			if d.GetDisputed() {
				_, err := h.client.RecordPayment(h.as(steward), &stewardshipv1.RecordPaymentRequest{Name: name,
					Payment: &stewardshipv1.Payment{Amount: "1.00", PayDate: "2026-11-01", Reference: "X"}})
				apptest.RequireCode(t, err, codes.FailedPrecondition, "DEBT_DISPUTED")
				continue
			}
			third := fen / 3
			plan := []*stewardshipv1.Instalment{
				{DueDate: "2026-12-31", Amount: formatMoney(third)}, {DueDate: "2027-06-30", Amount: formatMoney(third)},
				{DueDate: "2027-12-31", Amount: formatMoney(fen - 2*third)},
			}
			_, err = h.client.PlanInstalments(h.as(steward), &stewardshipv1.PlanInstalmentsRequest{Name: name, Instalments: plan})
			require.NoError(t, err, d.GetLedgerNo())
			// Every other debt gets its first instalment and one cent more.
			if i%2 == 0 {
				amount := third + 1
				got, err := h.client.RecordPayment(h.as(steward), &stewardshipv1.RecordPaymentRequest{Name: name,
					Payment: &stewardshipv1.Payment{Amount: formatMoney(amount), PayDate: "2026-11-20", Reference: fmt.Sprintf("BF-%d", i)}})
				require.NoError(t, err)
				require.Equal(t, formatMoney(fen-amount), got.GetBalance())
				paid += amount
				perDept[d.GetDebtorDepartment()] += amount
			}
		}
		rep, err := h.client.GetArrearsReport(h.as(overseer), &stewardshipv1.GetArrearsReportRequest{Parent: "tenants/ahz", AsOf: "2026-11-25"})
		require.NoError(t, err)
		require.Equal(t, int32(502), rep.GetTotal().GetDebts())
		require.Equal(t, formatMoney(principal), rep.GetTotal().GetPrincipal())
		require.Equal(t, formatMoney(paid), rep.GetTotal().GetPaid())
		require.Equal(t, formatMoney(principal-paid), rep.GetTotal().GetOutstanding())
		var sumDepts, sumAges int64
		for _, d := range rep.GetDepartments() {
			p, err := parseMoney("paid", d.GetPaid(), false)
			require.NoError(t, err)
			require.Equal(t, perDept[d.GetDebtorDepartment()], p, d.GetDebtorDepartment())
			o, _ := parseMoney("o", d.GetOutstanding(), false)
			sumDepts += o
			for _, a := range []string{d.GetAgeUnder_1Y(), d.GetAge_1_2Y(), d.GetAge_2_3Y(), d.GetAgeOver_3Y()} {
				v, _ := parseMoney("a", a, false)
				sumAges += v
			}
		}
		require.Equal(t, principal-paid, sumDepts)
		require.Equal(t, principal-paid, sumAges)
		// In SQL too: payments, instalments and debts agree.
		require.Equal(t, int(paid), h.count(`SELECT COALESCE(SUM(amount_fen), 0) FROM payments`))
		require.Equal(t, int(paid), h.count(`SELECT COALESCE(SUM(paid_fen), 0) FROM instalments`))
		require.Equal(t, int(paid), h.count(`SELECT COALESCE(SUM(paid_fen), 0) FROM debts`))
	})
}

// Bad input on the ledger gets a clear error and changes nothing.
func TestArrearsBadInput(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	ents, err := DemoEnterprises()
	require.NoError(t, err)
	h.register(ents.GetEnterprises()[0])
	debt := &stewardshipv1.Debt{LedgerNo: "QK-2019-0001", CreditorCreditCode: ents.GetEnterprises()[0].GetCreditCode(), CreditorName: "某企业",
		DebtorDepartment: "财政金融办", Amount: "10000.00", Since: "2019-05-01", Subject: "工程款", Class: stewardshipv1.DebtClass_DEBT_CLASS_SWEEP}
	_, err = h.client.ImportDebts(h.as(steward), &stewardshipv1.ImportDebtsRequest{Parent: "tenants/ahz", Debts: []*stewardshipv1.Debt{debt}})
	require.NoError(t, err)
	name := "tenants/ahz/debts/QK-2019-0001"
	before := h.count(`SELECT COUNT(*) FROM audit_pending`) + h.count(`SELECT COUNT(*) FROM audit_records`)

	// A re-import that changes the amount.
	changed := clone(debt)
	changed.Amount = "10000.01"
	_, err = h.client.ImportDebts(h.as(steward), &stewardshipv1.ImportDebtsRequest{Parent: "tenants/ahz", Debts: []*stewardshipv1.Debt{changed}})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "DEBT_RECORD_CHANGED")
	// More than two decimals; a plan that does not add up; a payment over the balance.
	_, err = h.client.RecordPayment(h.as(steward), &stewardshipv1.RecordPaymentRequest{Name: name,
		Payment: &stewardshipv1.Payment{Amount: "100.001", PayDate: "2026-11-01", Reference: "X"}})
	apptest.RequireField(t, err, "payment.amount", "MONEY_TOO_PRECISE")
	_, err = h.client.PlanInstalments(h.as(steward), &stewardshipv1.PlanInstalmentsRequest{Name: name, Instalments: []*stewardshipv1.Instalment{
		{DueDate: "2026-12-31", Amount: "5000.00"}, {DueDate: "2027-12-31", Amount: "4999.99"}}})
	apptest.RequireField(t, err, "instalments", "PLAN_MISMATCH")
	_, err = h.client.RecordPayment(h.as(steward), &stewardshipv1.RecordPaymentRequest{Name: name,
		Payment: &stewardshipv1.Payment{Amount: "10000.02", PayDate: "2026-11-01", Reference: "X"}})
	apptest.RequireField(t, err, "payment.amount", "PAYMENT_OVER_BALANCE")
	// Money as a JSON number is refused by the contract before the method runs.
	code, body := apptest.Do(t, mustRequest(t, http.MethodPost, h.base+"/v1/"+name+":recordPayment",
		`{"payment":{"amount":100.5,"payDate":"2026-11-01","reference":"X"}}`), h.tokens[steward])
	require.Equal(t, http.StatusBadRequest, code, string(body))
	require.Equal(t, before, h.count(`SELECT COUNT(*) FROM audit_pending`)+h.count(`SELECT COUNT(*) FROM audit_records`))
	got, err := h.client.GetDebt(h.as(steward), &stewardshipv1.GetDebtRequest{Name: name})
	require.NoError(t, err)
	require.Equal(t, "10000.00", got.GetBalance())
	require.Empty(t, got.GetPayments())
	require.Empty(t, got.GetInstalments())
}

func mustRequest(t *testing.T, method, url, body string) *http.Request {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	return req
}
