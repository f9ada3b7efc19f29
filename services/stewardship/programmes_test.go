package stewardship

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// 倍增计划: enrolment with milestones, the review, awards only after recognition, each
// paid once; the enterprise reads its own enrolment and no other's; the 360° view lists
// the awards. The start-up package totals what the enterprise did not pay.
func TestProgrammesAndAwards(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	h.register(ent(1, "ahz.s01.c01"), ent(2, "ahz.s01.c01"))
	name := enterpriseName("ahz.s01.c01", cc(1))
	en, err := h.client.EnrolProgramme(h.as(steward), &stewardshipv1.EnrolProgrammeRequest{Parent: name, Enrolment: &stewardshipv1.Enrolment{
		Programme: "倍增计划", Baseline: "20000000", Target: "40000000.00",
		Milestones: []*stewardshipv1.Milestone{{Title: "二期投产", DueDate: "2027-06-30"}, {Title: "营收翻番", DueDate: "2028-12-31"}}}})
	require.NoError(t, err)
	require.Equal(t, "20000000.00", en.GetBaseline())
	_, err = h.client.GrantAward(h.as(steward), &stewardshipv1.GrantAwardRequest{Name: en.GetName(), Award: &stewardshipv1.Award{
		Kind: stewardshipv1.AwardKind_AWARD_KIND_INCOME_TAX, Amount: "500000.00", Basis: "企业发展陪伴计划实施方案第五条"}})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "NOT_RECOGNISED")
	_, err = h.client.ReachMilestone(h.as(steward), &stewardshipv1.ReachMilestoneRequest{Name: en.GetName(), Milestone: 1, ReachedDate: "2026-11-01"})
	require.NoError(t, err)
	_, err = h.client.ReviewEnrolment(h.as(steward), &stewardshipv1.ReviewEnrolmentRequest{Name: en.GetName(), Recognised: true, Note: "经审核认定"})
	require.NoError(t, err)
	for _, a := range []*stewardshipv1.Award{
		{Kind: stewardshipv1.AwardKind_AWARD_KIND_INCOME_TAX, Amount: "500000.00", Basis: "第五条"},
		{Kind: stewardshipv1.AwardKind_AWARD_KIND_FIXED_ASSET, Amount: "1234567.89", Basis: "第七条"},
	} {
		_, err = h.client.GrantAward(h.as(steward), &stewardshipv1.GrantAwardRequest{Name: en.GetName(), Award: a})
		require.NoError(t, err)
	}
	_, err = h.client.GrantAward(h.as(steward), &stewardshipv1.GrantAwardRequest{Name: en.GetName(), Award: &stewardshipv1.Award{
		Kind: stewardshipv1.AwardKind_AWARD_KIND_PERSONAL_TAX, Amount: "1.001", Basis: "x"}})
	apptest.RequireField(t, err, "award.amount", "MONEY_TOO_PRECISE")
	paid, err := h.client.PayAward(h.as(steward), &stewardshipv1.PayAwardRequest{Name: en.GetName(), Award: 2, PayDate: "2026-11-20", Reference: "BF-2026-001"})
	require.NoError(t, err)
	require.Equal(t, "1734567.89", paid.GetAwarded())
	require.Equal(t, "1234567.89", paid.GetPaid())
	require.Equal(t, "2026-11-01", paid.GetMilestones()[0].GetReachedDate())
	_, err = h.client.PayAward(h.as(steward), &stewardshipv1.PayAwardRequest{Name: en.GetName(), Award: 2, PayDate: "2026-11-21", Reference: "BF-2026-002"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ALREADY_PAID")

	own, err := h.client.GetEnrolment(h.as(entOwn), &stewardshipv1.GetEnrolmentRequest{Name: en.GetName()})
	require.NoError(t, err)
	require.Len(t, own.GetAwards(), 2)
	_, err = h.client.GetEnrolment(h.as(entOther), &stewardshipv1.GetEnrolmentRequest{Name: en.GetName()})
	apptest.RequireCode(t, err, codes.NotFound, "ENROLMENT_NOT_FOUND")

	view, err := h.client.GetEnterprise360(h.as(steward), &stewardshipv1.GetEnterprise360Request{Name: name})
	require.NoError(t, err)
	for _, p := range view.GetParts() {
		if p.GetPart() == "awards" {
			require.Equal(t, int32(2), p.GetTotal())
		}
	}

	pkg, err := h.client.RecordStartupPackage(h.as(steward), &stewardshipv1.RecordStartupPackageRequest{Name: name, Package: &stewardshipv1.StartupPackage{
		Application: "tenants/ahz/applications/M-20261120-000001", BankAccountOpened: true, Items: []*stewardshipv1.StartupItem{
			{Benefit: stewardshipv1.StartupBenefit_STARTUP_BENEFIT_SEALS, Value: "380", ReceivedDate: "2026-11-20"},
			{Benefit: stewardshipv1.StartupBenefit_STARTUP_BENEFIT_TAX_DEVICE, Value: "220.00", ReceivedDate: "2026-11-20"},
			{Benefit: stewardshipv1.StartupBenefit_STARTUP_BENEFIT_FIRST_YEAR_FEE, Value: "280.50", ReceivedDate: "2026-11-20"},
		}}})
	require.NoError(t, err)
	require.Equal(t, "880.50", pkg.GetTotal())
	got, err := h.client.GetStartupPackage(h.as(overseer), &stewardshipv1.GetStartupPackageRequest{Name: name})
	require.NoError(t, err)
	require.Equal(t, pkg.GetTotal(), got.GetTotal())
	_, err = h.client.RecordStartupPackage(h.as(steward), &stewardshipv1.RecordStartupPackageRequest{Name: name, Package: &stewardshipv1.StartupPackage{
		Application: "M-1", Items: []*stewardshipv1.StartupItem{{Benefit: stewardshipv1.StartupBenefit_STARTUP_BENEFIT_SEALS, Value: "1", ReceivedDate: "2026-11-20"}}}})
	apptest.RequireField(t, err, "package.application", "INVALID_NAME")
}

// 营商会客厅 and 建言献策: a meeting with the enterprises that came, a problem raised at
// it, a suggestion from it adopted and then enacted as a policy.
func TestMeetingsAndSuggestions(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	h.register(ent(1, "ahz.s01.c01"))
	name := enterpriseName("ahz.s01.c01", cc(1))
	m, err := h.client.CreateMeeting(h.as(steward), &stewardshipv1.CreateMeetingRequest{Parent: "tenants/ahz", Meeting: &stewardshipv1.Meeting{
		MeetingDate: "2026-11-18", Title: "第十二期营商会客厅", Enterprises: []string{name}, Officials: []string{"服务专班 李"}, Minutes: "企业反映用工难、融资难"}})
	require.NoError(t, err)
	p, err := h.client.RaiseProblem(h.as(steward), &stewardshipv1.RaiseProblemRequest{Parent: name, Problem: &stewardshipv1.Problem{
		Category: "enterprise", Title: "招工难", Description: "技术工人缺口 30 人", OwnerDepartment: "人社办", Meeting: m.GetName()}})
	require.NoError(t, err)
	require.Equal(t, m.GetName(), p.GetMeeting())
	s, err := h.client.CreateSuggestion(h.as(steward), &stewardshipv1.CreateSuggestionRequest{Parent: "tenants/ahz", Suggestion: &stewardshipv1.Suggestion{
		Enterprise: name, Title: "设立园区用工共享平台", Content: "淡旺季企业之间共享技术工人", Meeting: m.GetName()}})
	require.NoError(t, err)
	s, err = h.client.DecideSuggestion(h.as(steward), &stewardshipv1.DecideSuggestionRequest{Name: s.GetName(), Adopted: true, Note: "有价值"})
	require.NoError(t, err)
	require.Equal(t, stewardshipv1.SuggestionState_SUGGESTION_STATE_ADOPTED, s.GetState())
	s, err = h.client.DecideSuggestion(h.as(steward), &stewardshipv1.DecideSuggestionRequest{Name: s.GetName(), Adopted: true, Policy: "《高新区用工共享试点办法》高新办发〔2026〕18号"})
	require.NoError(t, err)
	require.Equal(t, stewardshipv1.SuggestionState_SUGGESTION_STATE_ENACTED, s.GetState())
	_, err = h.client.DecideSuggestion(h.as(steward), &stewardshipv1.DecideSuggestionRequest{Name: s.GetName(), Adopted: false})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
	list, err := h.client.ListSuggestions(h.as(overseer), &stewardshipv1.ListSuggestionsRequest{Parent: "tenants/ahz", State: stewardshipv1.SuggestionState_SUGGESTION_STATE_ENACTED})
	require.NoError(t, err)
	require.Len(t, list.GetSuggestions(), 1)
	ms, err := h.client.ListMeetings(h.as(overseer), &stewardshipv1.ListMeetingsRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.Len(t, ms.GetMeetings(), 1)
	_, err = h.client.RaiseProblem(h.as(steward), &stewardshipv1.RaiseProblemRequest{Parent: name, Problem: &stewardshipv1.Problem{
		Category: "enterprise", Title: "x", Description: "x", OwnerDepartment: "x", Meeting: "tenants/ahz/meetings/M00009999"}})
	apptest.RequireField(t, err, "problem.meeting", "MEETING_NOT_FOUND")
}
