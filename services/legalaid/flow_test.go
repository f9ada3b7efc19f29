package legalaid

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

// TestCaseFlow: a case from intake to judgment — assigned, filed, registered by the
// court under its number, docketed, two hearings, a suspension the trial clock does not
// count, an approved extension, a judgment that closes it — with every change told to the
// court once per revision, signed, and audited. Both engines.
func TestCaseFlow(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		c := h.create(district, newCase())
		require.Equal(t, legalaidv1.State_STATE_RECEIVED, c.GetState())
		require.Equal(t, "1250000.50", c.GetClaimAmount())
		// Wednesday 10:00 + 1 working day: Thursday 24:00.
		require.True(t, c.GetRegistrationDueTime().AsTime().Equal(cst(2026, time.November, 27, 0)), c.GetRegistrationDueTime().AsTime())

		c, err := h.client.AssessFeeSupport(h.as(coordinator), &legalaidv1.AssessFeeSupportRequest{Name: c.GetName(), Etag: c.GetEtag(), Approve: true})
		require.NoError(t, err)
		require.Equal(t, "8025.00", c.GetFeeSupport().GetAmount())
		c, err = h.client.AssignCase(h.as(coordinator), &legalaidv1.AssignCaseRequest{Name: c.GetName(), Etag: c.GetEtag(),
			Assignee: lawyer, Role: legalaidv1.AssigneeRole_ASSIGNEE_ROLE_LEGAL_ADVISER})
		require.NoError(t, err)
		c, err = h.client.FileCase(h.as(lawyer), &legalaidv1.FileCaseRequest{Name: c.GetName(), Etag: c.GetEtag(), Court: "gaoxin_court"})
		require.NoError(t, err)

		h.clock.Advance(3 * time.Hour)
		c, err = h.client.RecordDocketing(h.as(courtGX), &legalaidv1.RecordDocketingRequest{Name: c.GetName(), Etag: c.GetEtag(),
			CourtCaseNumber: "(2026)辽0391民初123号", Title: "立案登记"})
		require.NoError(t, err)
		require.Equal(t, legalaidv1.State_STATE_REGISTERED, c.GetState())
		require.Equal(t, "（2026）辽0391民初123号", c.GetCourtCaseNumber())
		require.EqualValues(t, 90, c.GetTrial().GetLimitDays())
		due := c.GetTrial().GetDueTime().AsTime()

		for i, day := range []int{1, 2} { // Tuesday 12-01 and Wednesday 12-02
			c, err = h.client.ReserveCourtDate(h.as(courtGX), &legalaidv1.ReserveCourtDateRequest{Name: c.GetName(), Etag: c.GetEtag(),
				StartTime: timestamppb.New(cst(2026, time.December, day, 9)), Courtroom: "第一法庭"})
			require.NoError(t, err)
			c, err = h.client.NotifyCourtDate(h.as(courtGX), &legalaidv1.NotifyCourtDateRequest{Name: c.GetName(), Etag: c.GetEtag(),
				Hearing: c.GetHearings()[i].GetId(), Outcome: legalaidv1.HearingOutcome_HEARING_OUTCOME_HELD})
			require.NoError(t, err)
		}
		// A 10-day appraisal, recorded after the fact, moves the deadline by 10 days.
		h.clock.Set(cst(2026, time.December, 20, 10))
		c, err = h.client.SuspendTrial(h.as(courtGX), &legalaidv1.SuspendTrialRequest{Name: c.GetName(), Etag: c.GetEtag(),
			Reason:    legalaidv1.SuspensionReason_SUSPENSION_REASON_APPRAISAL,
			StartTime: timestamppb.New(cst(2026, time.December, 3, 10)), EndTime: timestamppb.New(cst(2026, time.December, 13, 10))})
		require.NoError(t, err)
		require.True(t, c.GetTrial().GetDueTime().AsTime().Sub(due) >= 10*24*time.Hour, "%s vs %s", c.GetTrial().GetDueTime().AsTime(), due)
		c, err = h.client.ExtendTrial(h.as(courtGX), &legalaidv1.ExtendTrialRequest{Name: c.GetName(), Etag: c.GetEtag(),
			Days: 30, Reason: "案情复杂", Approval: "院长批准（2026）第12号"})
		require.NoError(t, err)
		require.EqualValues(t, 120, c.GetTrial().GetLimitDays())
		c, err = h.client.RecordJudgment(h.as(courtGX), &legalaidv1.RecordJudgmentRequest{Name: c.GetName(), Etag: c.GetEtag(), Outcome: "判决被告支付货款"})
		require.NoError(t, err)
		require.Equal(t, legalaidv1.State_STATE_CLOSED, c.GetState())

		// The court heard of every revision since filing, once each.
		// Revisions 4 (filed) to 12 (judged): nine events.
		require.Eventually(t, func() bool { return len(h.court.bodies(t)) >= 9 }, 10*time.Second, 20*time.Millisecond)
		var revs []float64
		for _, b := range h.court.bodies(t) {
			revs = append(revs, b["revision"].(float64))
		}
		slices.Sort(revs)
		require.Equal(t, []float64{4, 5, 6, 7, 8, 9, 10, 11, 12}, revs, "each revision once")
		for _, b := range h.court.bodies(t) {
			if b["revision"].(float64) == 12 {
				require.Equal(t, "STATE_CLOSED", b["state"])
			}
		}
		// Every change audited.
		require.Equal(t, 12, h.auditCount(c.GetName()))

		// A closed case takes nothing more.
		_, err = h.client.RecordDocketing(h.as(courtGX), &legalaidv1.RecordDocketingRequest{Name: c.GetName(), Title: "补充材料"})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "CASE_CLOSED")
	})
}

// TestWhoSeesWhat: a court sees only the cases linked to it, a lawyer only those
// assigned to them, an enterprise only its own, a community clerk none; coordinators,
// stewards and supervisors their subtree. Out of reach is CASE_NOT_FOUND.
func TestWhoSeesWhat(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	atCourt := h.filed() // the lawyer's, filed with the 高新 court
	other := h.create(district, &legalaidv1.Case{CaseType: legalaidv1.CaseType_CASE_TYPE_CIVIL,
		Applicant: &legalaidv1.Party{Name: "第三公司", CreditCode: thirdCode}, Claims: "劳务费"})
	own, err := h.client.CreateCase(h.as(company), &legalaidv1.CreateCaseRequest{Parent: "tenants/ahz", Case: newCase()})
	require.NoError(t, err)
	require.Equal(t, legalaidv1.Arrival_ARRIVAL_ONLINE, own.GetArrival())
	require.Equal(t, enterpriseCode, own.GetOwner().GetOrg())

	list := func(sub string) []string {
		resp, err := h.client.ListCases(h.as(sub), &legalaidv1.ListCasesRequest{Parent: "tenants/" + district})
		require.NoError(t, err)
		var out []string
		for _, c := range resp.GetCases() {
			out = append(out, c.GetName())
		}
		return out
	}
	all := []string{atCourt.GetName(), other.GetName(), own.GetName()}
	require.ElementsMatch(t, all, list(coordinator))
	require.ElementsMatch(t, all, list(steward))
	require.ElementsMatch(t, all, list(overseer))
	require.ElementsMatch(t, []string{atCourt.GetName()}, list(courtGX))
	require.Empty(t, list(courtOther))
	require.ElementsMatch(t, []string{atCourt.GetName()}, list(lawyer))
	require.Empty(t, list(lawyer2))
	resp, err := h.client.ListCases(h.as(company), &legalaidv1.ListCasesRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.Len(t, resp.GetCases(), 1)
	require.Equal(t, own.GetName(), resp.GetCases()[0].GetName())
	// The community clerk holds no legalaid permission at all.
	_, err = h.client.ListCases(h.as(clerk), &legalaidv1.ListCasesRequest{Parent: "tenants/ahz"})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)

	for _, c := range []struct {
		sub  string
		name string
	}{{courtOther, atCourt.GetName()}, {courtGX, other.GetName()}, {lawyer2, atCourt.GetName()}, {company, atCourt.GetName()}} {
		_, err := h.client.GetCase(h.as(c.sub), &legalaidv1.GetCaseRequest{Name: c.name})
		apptest.RequireCode(t, err, codes.NotFound, "CASE_NOT_FOUND")
	}
	// A court client touching another court's case changes nothing.
	_, err = h.client.RecordDocketing(h.as(courtOther), &legalaidv1.RecordDocketingRequest{Name: atCourt.GetName(),
		CourtCaseNumber: "（2026）辽03民初1号", Title: "立案"})
	apptest.RequireCode(t, err, codes.NotFound, "CASE_NOT_FOUND")

	// Search: by credit code (the stewardship 360° view), by party, by number.
	search := func(r *legalaidv1.ListCasesRequest) int {
		r.Parent = "tenants/" + district
		resp, err := h.client.ListCases(h.as(steward), r)
		require.NoError(t, err)
		return len(resp.GetCases())
	}
	require.Equal(t, 2, search(&legalaidv1.ListCasesRequest{CreditCode: enterpriseCode}))
	require.Equal(t, 2, search(&legalaidv1.ListCasesRequest{CreditCode: otherCode})) // as counterparty
	require.Equal(t, 1, search(&legalaidv1.ListCasesRequest{Party: "第三公司"}))
	require.Equal(t, 1, search(&legalaidv1.ListCasesRequest{State: legalaidv1.State_STATE_FILED}))
	_, err = h.client.ListCases(h.as(steward), &legalaidv1.ListCasesRequest{Parent: "tenants/ahz", CreditCode: "91210300MA0XY1009"})
	apptest.RequireField(t, err, "credit_code", "INVALID_CREDIT_CODE")

	// Paging covers every case once.
	var paged []string
	token := ""
	for {
		resp, err := h.client.ListCases(h.as(coordinator), &legalaidv1.ListCasesRequest{Parent: "tenants/ahz", PageSize: 1, PageToken: token})
		require.NoError(t, err)
		for _, c := range resp.GetCases() {
			paged = append(paged, c.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	require.ElementsMatch(t, all, paged)

	// The conflict check: a case for the counterparty against our enterprise finds it.
	conflicted := h.create(district, &legalaidv1.Case{CaseType: legalaidv1.CaseType_CASE_TYPE_COMMERCIAL,
		Applicant: &legalaidv1.Party{Name: "示例贸易有限公司", CreditCode: otherCode}, Claims: "反诉",
		Counterparties: []*legalaidv1.Party{{Name: "辽宁示例精密制造有限公司", CreditCode: enterpriseCode}}})
	require.Len(t, conflicted.GetConflicts(), 4) // otherCode is a counterparty of 2 cases, enterpriseCode an applicant of 2
}

// TestBadInput: each bad request gets its stable error and changes nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	reg := h.registered("（2026）辽0391民初7号")
	filed := h.filed()
	before := h.auditCount("")
	revs := h.count(`SELECT SUM(revision) FROM cases`)

	bad := newCase()
	bad.Applicant.CreditCode = "91210300MA0XY1009"
	_, err := h.client.CreateCase(h.as(coordinator), &legalaidv1.CreateCaseRequest{Parent: "tenants/ahz", Case: bad})
	apptest.RequireField(t, err, "case.applicant.credit_code", "INVALID_CREDIT_CODE")
	for _, amount := range []string{"12.345", "-5", "1e6"} {
		bad := newCase()
		bad.ClaimAmount = amount
		_, err = h.client.CreateCase(h.as(coordinator), &legalaidv1.CreateCaseRequest{Parent: "tenants/ahz", Case: bad})
		apptest.RequireField(t, err, "case.claim_amount", "INVALID_AMOUNT")
	}
	// A JSON number where the API takes a decimal string is refused before the method.
	req, err := http.NewRequest(http.MethodPost, h.base+"/v1/tenants/ahz/cases", strings.NewReader(
		`{"caseType":"CASE_TYPE_CIVIL","applicant":{"name":"甲","creditCode":"`+enterpriseCode+`"},"claims":"货款","claimAmount":12.5}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	st, body := apptest.Do(t, req, h.tokens[coordinator])
	require.Equal(t, http.StatusBadRequest, st, string(body))

	_, err = h.client.RecordDocketing(h.as(courtGX), &legalaidv1.RecordDocketingRequest{Name: filed.GetName(), CourtCaseNumber: "2026辽0391民初8号", Title: "立案"})
	apptest.RequireField(t, err, "court_case_number", "INVALID_CASE_NUMBER")
	_, err = h.client.RecordDocketing(h.as(courtGX), &legalaidv1.RecordDocketingRequest{Name: filed.GetName(), CourtCaseNumber: "（2026）辽0391民初7号", Title: "立案"})
	apptest.RequireCode(t, err, codes.AlreadyExists, "DUPLICATE_CASE_NUMBER")
	_, err = h.client.RecordDocketing(h.as(courtGX), &legalaidv1.RecordDocketingRequest{Name: filed.GetName(), CourtCaseNumber: "（2026）辽03民初8号", Title: "立案"})
	apptest.RequireField(t, err, "court_case_number", "CASE_NUMBER_OTHER_COURT")
	// No role but the platform administrator's may even ask; nobody may delete.
	_, err = h.client.DeleteDocketEntry(h.as(courtGX), &legalaidv1.DeleteDocketEntryRequest{Name: reg.GetName(), Entry: "D1"})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
	_, err = h.client.DeleteDocketEntry(h.as(admin), &legalaidv1.DeleteDocketEntryRequest{Name: reg.GetName(), Entry: "D1"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "DOCKET_ENTRY_PERMANENT")
	_, err = h.client.AddPreservation(h.as(lawyer), &legalaidv1.AddPreservationRequest{Name: reg.GetName(), Preservation: &legalaidv1.Preservation{
		Kind: legalaidv1.MeasureKind_MEASURE_KIND_SEAL, Asset: "生产线", Amount: "800000", LegalBasis: "民事诉讼法第一百零三条", ProductionAsset: true}})
	apptest.RequireCode(t, err, codes.InvalidArgument, "RESERVE_REQUIRED")
	_, err = h.client.ReserveCourtDate(h.as(courtGX), &legalaidv1.ReserveCourtDateRequest{Name: reg.GetName(),
		StartTime: timestamppb.New(cst(2026, time.November, 28, 9)), Courtroom: "第一法庭"}) // a Saturday
	apptest.RequireField(t, err, "override_reason", "NON_COURT_DAY")
	_, err = h.client.SuspendTrial(h.as(courtGX), &legalaidv1.SuspendTrialRequest{Name: reg.GetName(),
		Reason: legalaidv1.SuspensionReason_SUSPENSION_REASON_PUBLIC_NOTICE, StartTime: timestamppb.New(cst(2026, time.June, 1, 9)),
		EndTime: timestamppb.New(cst(2026, time.November, 1, 9))})
	apptest.RequireCode(t, err, codes.InvalidArgument, "SUSPENSION_TOO_LONG")

	require.Equal(t, before, h.auditCount(""), "nothing audited")
	require.Equal(t, revs, h.count(`SELECT SUM(revision) FROM cases`), "nothing changed")
}

// TestRegistrationReminders: a case not registered in time is reminded at 50 and 75 %
// of its 1-working-day clock and escalated one tier up at 100 %, each once.
func TestRegistrationReminders(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	c := h.create(district, newCase())
	svc := h.srv.svc
	for _, at := range []time.Time{cst(2026, time.November, 26, 4), cst(2026, time.November, 26, 12), cst(2026, time.November, 27, 1)} {
		_, err := svc.sweep(context.Background(), at, false)
		require.NoError(t, err)
		n, err := svc.sweep(context.Background(), at, false)
		require.NoError(t, err)
		require.Zero(t, n)
	}
	got, err := h.client.GetCase(h.as(coordinator), &legalaidv1.GetCaseRequest{Name: c.GetName()})
	require.NoError(t, err)
	var seen []int32
	for _, a := range got.GetAlerts() {
		require.Equal(t, "registration", a.GetClock())
		seen = append(seen, a.GetThreshold())
	}
	require.Equal(t, []int32{50, 75, 100}, seen)
	require.Equal(t, "ahz", got.GetEscalatedTo()) // the district has none above it
	require.Eventually(t, func() bool { return len(h.notify.bodies(t)) == 3 }, 10*time.Second, 20*time.Millisecond)
}

// TestPreservationReport: a 活封 of production equipment with working capital reserved,
// and a 换封, reported over the subtree; a released measure no longer counts.
func TestPreservationReport(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	c := h.registered("（2026）辽0391民初21号")
	c, err := h.client.AddPreservation(h.as(courtGX), &legalaidv1.AddPreservationRequest{Name: c.GetName(), Etag: c.GetEtag(),
		Preservation: &legalaidv1.Preservation{Kind: legalaidv1.MeasureKind_MEASURE_KIND_SEAL, Asset: "五轴数控加工中心 2 台",
			Amount: "1800000.00", LegalBasis: "民事诉讼法第一百零三条", ProductionAsset: true, Flexibility: legalaidv1.Flexibility_FLEXIBILITY_LIVE_SEAL,
			ReservedWorkingCapital: "300000.00", ReservedAccounts: []string{"基本户 尾号 0391"}, ReservedEquipment: []string{"数控系统及工艺资料"}}})
	require.NoError(t, err)
	c, err = h.client.AddPreservation(h.as(courtGX), &legalaidv1.AddPreservationRequest{Name: c.GetName(), Etag: c.GetEtag(),
		Preservation: &legalaidv1.Preservation{Kind: legalaidv1.MeasureKind_MEASURE_KIND_FREEZE, Asset: "一般户存款", Amount: "200000",
			LegalBasis: "民事诉讼法第一百零三条", Flexibility: legalaidv1.Flexibility_FLEXIBILITY_SUBSTITUTE, Substitute: "等值银行保函"}})
	require.NoError(t, err)
	rep, err := h.client.GetPreservationReport(h.as(coordinator), &legalaidv1.GetPreservationReportRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.EqualValues(t, 2, rep.GetMeasures())
	require.EqualValues(t, 1, rep.GetKeptInProduction())
	require.EqualValues(t, 1, rep.GetLiveSeals())
	require.EqualValues(t, 1, rep.GetSubstitutions())
	require.Equal(t, "300000.00", rep.GetReservedWorkingCapital())
	require.Equal(t, "2000000.00", rep.GetAmountHeld())
	_, err = h.client.ReleasePreservation(h.as(courtGX), &legalaidv1.ReleasePreservationRequest{Name: c.GetName(), Etag: c.GetEtag(), Preservation: "P2"})
	require.NoError(t, err)
	rep, err = h.client.GetPreservationReport(h.as(coordinator), &legalaidv1.GetPreservationReportRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.EqualValues(t, 1, rep.GetMeasures())
	// The other court sees none of it.
	rep, err = h.client.GetPreservationReport(h.as(courtOther), &legalaidv1.GetPreservationReportRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.Zero(t, rep.GetMeasures())
}

// TestBankruptcySteps: a bankruptcy case carries the 府院联动 steps, visible to the steward.
func TestBankruptcySteps(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	in := newCase()
	in.CaseType = legalaidv1.CaseType_CASE_TYPE_BANKRUPTCY
	c := h.create(district, in)
	c, err := h.client.AddBankruptcyStep(h.as(coordinator), &legalaidv1.AddBankruptcyStepRequest{Name: c.GetName(), Etag: c.GetEtag(),
		Step: &legalaidv1.BankruptcyStep{Kind: legalaidv1.StepKind_STEP_KIND_LAND_PROPERTY, Title: "厂房及土地使用权处置", Department: "自然资源和住建办"}})
	require.NoError(t, err)
	c, err = h.client.CompleteBankruptcyStep(h.as(coordinator), &legalaidv1.CompleteBankruptcyStepRequest{Name: c.GetName(), Etag: c.GetEtag(),
		Step: "S1", Result: "已完成评估并挂牌"})
	require.NoError(t, err)
	got, err := h.client.GetCase(h.as(steward), &legalaidv1.GetCaseRequest{Name: c.GetName()})
	require.NoError(t, err)
	require.True(t, got.GetBankruptcySteps()[0].GetDone())
}
