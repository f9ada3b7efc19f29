package stewardship

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The government arrears ledger (政府拖欠台账): debts a department owes an enterprise,
// imported from the 排查 (idempotent on the ledger number; a re-import that would change a
// recorded debt is refused), sorted into the disputed or the 扫尾 ledger, paid in
// instalments. Amounts are fen; the rules are decide's (lifecycle.go).

var ledgerPattern = regexp.MustCompile(`^[A-Z]{2,4}-[0-9]{4}-[0-9]{3,6}$`)

// debtFacts are what an import records of a debt and a re-import may not change.
type debtFacts struct {
	CreditorName string   `json:"creditor_name"`
	Subject      string   `json:"subject"`
	Evidence     []string `json:"evidence,omitempty"`
}

type debtRow struct {
	tenant     tenancy.ID
	no         string
	creditor   string
	department string
	since      string
	facts      debtFacts
	ledger     ledger
	updated    time.Time
	payments   []*stewardshipv1.Payment
}

func debtNotFound(name string) error {
	return ErrDebtNotFound.WithMessage("欠款记录不存在: %s", name)
}

func (d *debtRow) proto() *stewardshipv1.Debt {
	out := &stewardshipv1.Debt{
		Name: resname.Name(d.tenant, "debts", d.no), LedgerNo: d.no, CreditorCreditCode: d.creditor, CreditorName: d.facts.CreditorName,
		DebtorDepartment: d.department, Amount: formatMoney(d.ledger.amount), Since: d.since, Disputed: d.ledger.disputed,
		Subject: d.facts.Subject, Evidence: d.facts.Evidence, Class: d.ledger.class, Payments: d.payments,
		Paid: formatMoney(d.ledger.paid), Balance: formatMoney(d.ledger.balance()), UpdateTime: ts(d.updated),
	}
	for i, in := range d.ledger.instalments {
		out.Instalments = append(out.Instalments, &stewardshipv1.Instalment{Number: int32(i + 1), DueDate: in.due,
			Amount: formatMoney(in.amount), Paid: formatMoney(in.paid)})
	}
	return out
}

// checkDebt validates one imported debt.
func checkDebt(field string, t tenancy.ID, in *stewardshipv1.Debt, today string) (*debtRow, error) {
	if in == nil {
		return nil, errs.Invalid(field, "REQUIRED", "欠款信息不能为空")
	}
	if !ledgerPattern.MatchString(in.GetLedgerNo()) {
		return nil, errs.Invalid(field+".ledger_no", "INVALID_LEDGER_NO", "台账编号应如 QK-2018-0001")
	}
	cc, err := creditCode(field+".creditor_credit_code", in.GetCreditorCreditCode())
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{".creditor_name", in.GetCreditorName(), 200}, {".debtor_department", in.GetDebtorDepartment(), 100}, {".subject", in.GetSubject(), 100}} {
		if err := text(field+f.field, f.v, true, f.max); err != nil {
			return nil, err
		}
	}
	amount, err := parseMoney(field+".amount", in.GetAmount(), true)
	if err != nil {
		return nil, err
	}
	if err := date(field+".since", in.GetSince(), true); err != nil {
		return nil, err
	}
	if in.GetSince() > today {
		return nil, errs.Invalid(field+".since", "IN_FUTURE", "欠款起始日期不能晚于今天")
	}
	if len(in.GetEvidence()) > 20 {
		return nil, errs.Invalid(field+".evidence", "TOO_MANY", "证据最多 20 项")
	}
	for i, ev := range in.GetEvidence() {
		if err := text(fmt.Sprintf("%s.evidence[%d]", field, i), ev, true, 200); err != nil {
			return nil, err
		}
	}
	class := stewardshipv1.DebtClass_DEBT_CLASS_UNSORTED
	switch in.GetClass() {
	case stewardshipv1.DebtClass_DEBT_CLASS_UNSPECIFIED, stewardshipv1.DebtClass_DEBT_CLASS_UNSORTED:
	case stewardshipv1.DebtClass_DEBT_CLASS_SWEEP, stewardshipv1.DebtClass_DEBT_CLASS_DISPUTED:
		if _, err := decide(ledger{class: class}, classify{class: in.GetClass(), disputed: in.GetDisputed()}); err != nil {
			return nil, errs.Invalid(field+".class", "INVALID_CLASS", "台账分类与是否有争议不符")
		}
		class = in.GetClass()
	default:
		return nil, errs.Invalid(field+".class", "INVALID_CLASS", "导入的台账分类应为待排查、扫尾或争议")
	}
	return &debtRow{tenant: t, no: in.GetLedgerNo(), creditor: cc, department: in.GetDebtorDepartment(), since: in.GetSince(),
		facts:  debtFacts{CreditorName: in.GetCreditorName(), Subject: in.GetSubject(), Evidence: in.GetEvidence()},
		ledger: ledger{class: class, disputed: in.GetDisputed(), amount: amount}}, nil
}

// sameDebt reports whether a re-imported debt says what the recorded one says.
func sameDebt(a, b *debtRow) bool {
	return a.creditor == b.creditor && a.department == b.department && a.since == b.since && a.ledger.amount == b.ledger.amount &&
		a.facts.CreditorName == b.facts.CreditorName && a.facts.Subject == b.facts.Subject && slices.Equal(a.facts.Evidence, b.facts.Evidence)
}

// ImportDebts imports ledger entries (see the contract).
func (s *service) ImportDebts(ctx context.Context, r *stewardshipv1.ImportDebtsRequest) (*stewardshipv1.ImportDebtsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if n := len(r.GetDebts()); n == 0 || n > maxImport {
		return nil, errs.Invalid("debts", "INVALID_COUNT", fmt.Sprintf("一次导入 1—%d 条欠款", maxImport))
	}
	now := s.now()
	today := now.In(cst).Format(dateLayout)
	rows := make([]*debtRow, 0, len(r.GetDebts()))
	seen := map[string]bool{}
	for i, in := range r.GetDebts() {
		d, err := checkDebt(fmt.Sprintf("debts[%d]", i), t, in, today)
		if err != nil {
			return nil, err
		}
		if seen[d.no] {
			return nil, errs.Invalid(fmt.Sprintf("debts[%d].ledger_no", i), "DUPLICATE", "同一文件中台账编号重复")
		}
		seen[d.no] = true
		rows = append(rows, d)
	}
	resp := &stewardshipv1.ImportDebtsResponse{}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		resp.Created, resp.Unchanged = 0, 0
		for i, d := range rows {
			prev, err := s.debt(ctx, t, d.no, false)
			switch {
			case errors.Is(err, ErrDebtNotFound):
			case err != nil:
				return err
			case sameDebt(prev, d):
				resp.Unchanged++
				continue
			default:
				return ErrDebtChanged.WithMessage("台账 %s 已登记，重新导入的内容与登记不符", d.no).
					WithField(fmt.Sprintf("debts[%d]", i), ErrDebtChanged.Code, "已登记的欠款不能由导入改写")
			}
			facts, err := json.Marshal(d.facts)
			if err != nil {
				return err
			}
			if _, err := s.db.Exec(ctx, `INSERT INTO debts (tenant, ledger_no, creditor_credit_code, debtor_department, amount_fen,
				paid_fen, since, disputed, class, update_us, data) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10)`,
				string(t), d.no, d.creditor, d.department, d.ledger.amount, d.since, b2i(d.ledger.disputed), int64(d.ledger.class),
				now.UnixMicro(), string(facts)); err != nil {
				return err
			}
			d.updated = now
			if _, err := s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "stewardship.ImportDebt", Resource: resname.Name(t, "debts", d.no),
				After: d.proto(), Time: now}); err != nil {
				return err
			}
			resp.Created++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

const debtColumns = `tenant, ledger_no, creditor_credit_code, debtor_department, amount_fen, paid_fen, since, disputed, class, update_us, data`

func scanDebt(row sqlstore.Scanner) (*debtRow, error) {
	var d debtRow
	var tenant, data string
	var disputed, class, upd int64
	if err := row.Scan(&tenant, &d.no, &d.creditor, &d.department, &d.ledger.amount, &d.ledger.paid, &d.since, &disputed, &class, &upd, &data); err != nil {
		return nil, err
	}
	d.tenant, d.ledger.disputed, d.ledger.class, d.updated = tenancy.ID(tenant), disputed == 1, stewardshipv1.DebtClass(class), fromMicros(upd)
	return &d, json.Unmarshal([]byte(data), &d.facts)
}

// debt loads one debt; full adds its instalments and payments.
func (s *service) debt(ctx context.Context, t tenancy.ID, no string, full bool) (*debtRow, error) {
	d, err := scanDebt(s.db.QueryRow(ctx, `SELECT `+debtColumns+` FROM debts WHERE tenant = $1 AND ledger_no = $2`, string(t), no))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, debtNotFound(resname.Name(t, "debts", no))
	}
	if err != nil || !full {
		return d, err
	}
	rows, err := s.db.Query(ctx, `SELECT due_date, amount_fen, paid_fen FROM instalments WHERE tenant = $1 AND ledger_no = $2 ORDER BY number`, string(t), no)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var in instalment
		if err := rows.Scan(&in.due, &in.amount, &in.paid); err != nil {
			_ = rows.Close()
			return nil, err
		}
		d.ledger.instalments = append(d.ledger.instalments, in)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	d.payments, err = sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (*stewardshipv1.Payment, error) {
		var fen, number int64
		p := &stewardshipv1.Payment{}
		if err := row.Scan(&fen, &p.PayDate, &p.Reference, &number, &p.RecordedBy); err != nil {
			return nil, err
		}
		p.Amount, p.Instalment = formatMoney(fen), int32(number)
		return p, nil
	}, `SELECT amount_fen, pay_date, reference, instalment, recorded_by FROM payments WHERE tenant = $1 AND ledger_no = $2 ORDER BY seq`, string(t), no)
	return d, err
}

func parseDebt(name string) (tenancy.ID, string, error) {
	return resname.Parse("name", name, "debts", ledgerPattern)
}

// GetDebt returns a debt with its plan and payments.
func (s *service) GetDebt(ctx context.Context, r *stewardshipv1.GetDebtRequest) (*stewardshipv1.Debt, error) {
	t, no, err := parseDebt(r.GetName())
	if err != nil {
		return nil, err
	}
	d, err := s.debt(ctx, t, no, true)
	if err != nil {
		return nil, err
	}
	return d.proto(), nil
}

// ListDebts lists the ledger of a subtree by tenant and ledger number.
func (s *service) ListDebts(ctx context.Context, r *stewardshipv1.ListDebtsRequest) (*stewardshipv1.ListDebtsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if stewardshipv1.DebtClass_name[int32(r.GetClass())] == "" {
		return nil, errs.Invalid("class", "INVALID_CLASS", "台账分类不正确")
	}
	cc := ""
	if r.GetCreditorCreditCode() != "" {
		if cc, err = creditCode("creditor_credit_code", r.GetCreditorCreditCode()); err != nil {
			return nil, err
		}
	}
	if err := text("debtor_department", r.GetDebtorDepartment(), false, 100); err != nil {
		return nil, err
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("debts", string(t), r.GetClass().String(), r.GetDebtorDepartment(), cc)
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	list, err := s.debts(ctx, t, debtFilter{class: r.GetClass(), department: r.GetDebtorDepartment(), creditor: cc}, after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &stewardshipv1.ListDebtsResponse{}
	if len(list) > size {
		list = list[:size]
		resp.NextPageToken = page.Encode(string(list[size-1].tenant)+"/"+list[size-1].no, query)
	}
	for _, d := range list {
		resp.Debts = append(resp.Debts, d.proto())
	}
	return resp, nil
}

type debtFilter struct {
	class      stewardshipv1.DebtClass
	department string
	creditor   string
}

func (s *service) debts(ctx context.Context, t tenancy.ID, f debtFilter, after string, limit int) ([]*debtRow, error) {
	where, args := t.SubtreeSQL("tenant", 1)
	afterTenant, afterNo := splitKey(after)
	args = append(args, afterTenant, afterNo, int64(f.class), f.department, f.creditor, limit)
	return sqlstore.QueryAll(ctx, s.db, scanDebt, `SELECT `+debtColumns+` FROM debts WHERE `+where+`
		AND (tenant > $3 OR (tenant = $3 AND ledger_no > $4)) AND ($5 = 0 OR class = $5) AND ($6 = '' OR debtor_department = $6)
		AND ($7 = '' OR creditor_credit_code = $7) ORDER BY tenant, ledger_no LIMIT $8`, args...)
}

func splitKey(after string) (string, string) {
	for i := len(after) - 1; i >= 0; i-- {
		if after[i] == '/' {
			return after[:i], after[i+1:]
		}
	}
	return after, ""
}

// changeDebt loads a debt, decides c and writes the result with its audit record, in one
// transaction; paid is the payment to add to the payments, if any.
func (s *service) changeDebt(ctx context.Context, name, action string, c command, payment *stewardshipv1.Payment) (*stewardshipv1.Debt, error) {
	t, no, err := parseDebt(name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *stewardshipv1.Debt
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		d, err := s.debt(ctx, t, no, true)
		if err != nil {
			return err
		}
		before := d.proto()
		next, err := decide(d.ledger, c)
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `UPDATE debts SET paid_fen = $3, disputed = $4, class = $5, update_us = $6 WHERE tenant = $1 AND ledger_no = $2`,
			string(t), no, next.paid, b2i(next.disputed), int64(next.class), now.UnixMicro()); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `DELETE FROM instalments WHERE tenant = $1 AND ledger_no = $2`, string(t), no); err != nil {
			return err
		}
		for i, in := range next.instalments {
			if _, err := s.db.Exec(ctx, `INSERT INTO instalments (tenant, ledger_no, number, due_date, amount_fen, paid_fen)
				VALUES ($1, $2, $3, $4, $5, $6)`, string(t), no, int64(i+1), in.due, in.amount, in.paid); err != nil {
				return err
			}
		}
		if payment != nil {
			payment.RecordedBy = caller(ctx)
			fen, _ := parseMoney("payment.amount", payment.GetAmount(), true)
			if _, err := s.db.Exec(ctx, `INSERT INTO payments (tenant, ledger_no, seq, amount_fen, pay_date, reference, instalment, recorded_by, create_us)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, string(t), no, int64(len(d.payments)+1), fen, payment.GetPayDate(),
				payment.GetReference(), int64(payment.GetInstalment()), payment.GetRecordedBy(), now.UnixMicro()); err != nil {
				return err
			}
			d.payments = append(d.payments, payment)
		}
		d.ledger, d.updated = next, now
		out = d.proto()
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: t, Action: action, Resource: out.GetName(), Before: before, After: out, Time: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClassifyDebt sorts a debt into a ledger (see the contract).
func (s *service) ClassifyDebt(ctx context.Context, r *stewardshipv1.ClassifyDebtRequest) (*stewardshipv1.Debt, error) {
	return s.changeDebt(ctx, r.GetName(), "stewardship.ClassifyDebt", classify{class: r.GetClass(), disputed: r.GetDisputed()}, nil)
}

// PlanInstalments sets a debt's instalment plan (see the contract).
func (s *service) PlanInstalments(ctx context.Context, r *stewardshipv1.PlanInstalmentsRequest) (*stewardshipv1.Debt, error) {
	var p plan
	for i, in := range r.GetInstalments() {
		f := fmt.Sprintf("instalments[%d]", i)
		if err := date(f+".due_date", in.GetDueDate(), true); err != nil {
			return nil, err
		}
		fen, err := parseMoney(f+".amount", in.GetAmount(), true)
		if err != nil {
			return nil, err
		}
		p.instalments = append(p.instalments, instalment{due: in.GetDueDate(), amount: fen})
	}
	return s.changeDebt(ctx, r.GetName(), "stewardship.PlanInstalments", p, nil)
}

// RecordPayment records a payment (see the contract).
func (s *service) RecordPayment(ctx context.Context, r *stewardshipv1.RecordPaymentRequest) (*stewardshipv1.Debt, error) {
	in := r.GetPayment()
	if in == nil {
		return nil, errs.Invalid("payment", "REQUIRED", "payment 不能为空")
	}
	fen, err := parseMoney("payment.amount", in.GetAmount(), true)
	if err != nil {
		return nil, err
	}
	if err := date("payment.pay_date", in.GetPayDate(), true); err != nil {
		return nil, err
	}
	if in.GetPayDate() > s.now().In(cst).Format(dateLayout) {
		return nil, errs.Invalid("payment.pay_date", "IN_FUTURE", "付款日期不能晚于今天")
	}
	if err := text("payment.reference", in.GetReference(), true, 100); err != nil {
		return nil, err
	}
	p := &stewardshipv1.Payment{Amount: formatMoney(fen), PayDate: in.GetPayDate(), Reference: in.GetReference(), Instalment: in.GetInstalment()}
	return s.changeDebt(ctx, r.GetName(), "stewardship.RecordPayment", pay{amount: fen, number: int(in.GetInstalment())}, p)
}

// ageBucket is the report column a debt owed since since falls in at asOf.
func ageBucket(since, asOf string) int {
	s, _ := time.Parse(dateLayout, since)
	a, _ := time.Parse(dateLayout, asOf)
	years := a.Year() - s.Year()
	if a.Month() < s.Month() || (a.Month() == s.Month() && a.Day() < s.Day()) {
		years-- // the anniversary has not come yet this year
	}
	return min(max(years, 0), 3)
}

type deptSums struct {
	debts, disputed              int32
	principal, paid, outstanding int64
	ages                         [4]int64
}

func (d *deptSums) add(r *debtRow, asOf string) {
	d.debts++
	if r.ledger.disputed {
		d.disputed++
	}
	d.principal += r.ledger.amount
	d.paid += r.ledger.paid
	d.outstanding += r.ledger.balance()
	d.ages[ageBucket(r.since, asOf)] += r.ledger.balance()
}

func (d *deptSums) proto(name string) *stewardshipv1.DepartmentArrears {
	return &stewardshipv1.DepartmentArrears{DebtorDepartment: name, Debts: d.debts, Disputed: d.disputed,
		Principal: formatMoney(d.principal), Paid: formatMoney(d.paid), Outstanding: formatMoney(d.outstanding),
		AgeUnder_1Y: formatMoney(d.ages[0]), Age_1_2Y: formatMoney(d.ages[1]), Age_2_3Y: formatMoney(d.ages[2]), AgeOver_3Y: formatMoney(d.ages[3])}
}

// GetArrearsReport totals the ledger per debtor department (see the contract).
func (s *service) GetArrearsReport(ctx context.Context, r *stewardshipv1.GetArrearsReportRequest) (*stewardshipv1.ArrearsReport, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	asOf := r.GetAsOf()
	if asOf == "" {
		asOf = s.now().In(cst).Format(dateLayout)
	} else if err := date("as_of", asOf, true); err != nil {
		return nil, err
	}
	depts := map[string]*deptSums{}
	var total deptSums
	after := ""
	for {
		list, err := s.debts(ctx, t, debtFilter{}, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, d := range list {
			sum, ok := depts[d.department]
			if !ok {
				sum = &deptSums{}
				depts[d.department] = sum
			}
			sum.add(d, asOf)
			total.add(d, asOf)
		}
		if len(list) < 1000 {
			break
		}
		after = string(list[len(list)-1].tenant) + "/" + list[len(list)-1].no
	}
	names := make([]string, 0, len(depts))
	for n := range depts {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &stewardshipv1.ArrearsReport{AsOf: asOf, Total: total.proto("合计")}
	for _, n := range names {
		out.Departments = append(out.Departments, depts[n].proto(n))
	}
	return out, nil
}
