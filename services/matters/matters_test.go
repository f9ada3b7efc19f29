package matters

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// The catalogue is seeded with the seed's targets and is public to read.
func TestCatalogueSeeded(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	code, body := h.get("", "/v1/matters")
	require.Equal(t, http.StatusOK, code, string(body))
	var list mattersv1.ListMattersResponse
	require.NoError(t, protojson.Unmarshal(body, &list))
	byCode := map[string]*mattersv1.Matter{}
	citizen := 0
	for _, m := range list.GetMatters() {
		byCode[m.GetCode()] = m
		if m.GetAudience() == mattersv1.Audience_AUDIENCE_CITIZEN {
			citizen++
			require.True(t, m.GetIllustrative(), m.GetCode())
		}
	}
	require.GreaterOrEqual(t, citizen, 8)
	wd, nd := mattersv1.Unit_UNIT_WORKING_DAYS, mattersv1.Unit_UNIT_NATURAL_DAYS
	for _, c := range []struct {
		code  string
		steps int
		days  int32
		unit  mattersv1.Unit
	}{
		{"QYKB", 2, 1, wd}, {"JYZX", 2, 1, wd}, {"SHTZ-FWJS", 4, 40, wd}, {"DYBD", 2, 12, nd},
		{"GYBD", 5, 48, nd}, {"YSBZ", 3, 5, nd}, {"YQBZ", 3, 2, nd},
	} {
		m := byCode[c.code]
		require.NotNil(t, m, c.code)
		require.Equal(t, mattersv1.Audience_AUDIENCE_ENTERPRISE, m.GetAudience(), c.code)
		require.Len(t, m.GetSteps(), c.steps, c.code)
		require.Equal(t, c.days, m.GetPromisedLimit().GetN(), c.code)
		require.Equal(t, c.unit, m.GetPromisedLimit().GetUnit(), c.code)
		require.Equal(t, int32(1), m.GetVersion(), c.code)
	}
	require.Equal(t, []mattersv1.Channel{mattersv1.Channel_CHANNEL_ONLINE, mattersv1.Channel_CHANNEL_MOBILE}, byCode["JYZX"].GetChannels())
}

// A change makes version n+1; an application keeps the version it was filed under; a
// stale version and a non-district definer are refused.
func TestMatterVersions(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	filed := h.submit(startUp(allStartUpMaterials...))
	require.Equal(t, int32(1), filed.GetMatterVersion())

	m, err := h.client.GetMatter(h.as(hallClerk), &mattersv1.GetMatterRequest{Name: "matters/QYKB"})
	require.NoError(t, err)
	changed := proto.Clone(m).(*mattersv1.Matter)
	changed.Conditions = append(changed.Conditions, "新增条件")
	v2, err := h.client.UpdateMatter(h.as(districtAdmin), &mattersv1.UpdateMatterRequest{Parent: "tenants/ahz", Matter: changed, Version: 1})
	require.NoError(t, err)
	require.Equal(t, int32(2), v2.GetVersion())

	_, err = h.client.UpdateMatter(h.as(districtAdmin), &mattersv1.UpdateMatterRequest{Parent: "tenants/ahz", Matter: changed, Version: 1})
	apptest.RequireCode(t, err, codes.Aborted, "STALE_VERSION")
	_, err = h.client.UpdateMatter(h.as(communityAdmin), &mattersv1.UpdateMatterRequest{Parent: "tenants/" + community, Matter: changed, Version: 2})
	apptest.RequireCode(t, err, codes.PermissionDenied, "DEFINED_AT_DISTRICT")
	bad := proto.Clone(changed).(*mattersv1.Matter)
	bad.Steps = nil
	_, err = h.client.UpdateMatter(h.as(districtAdmin), &mattersv1.UpdateMatterRequest{Parent: "tenants/ahz", Matter: bad, Version: 2})
	apptest.RequireField(t, err, "matter.steps", "REQUIRED")

	v1, err := h.client.GetMatter(h.as(hallClerk), &mattersv1.GetMatterRequest{Name: "matters/QYKB", Version: 1})
	require.NoError(t, err)
	require.Len(t, v1.GetConditions(), 3)
	got, err := h.client.GetApplication(h.as(hallClerk), &mattersv1.GetApplicationRequest{Name: filed.GetName()})
	require.NoError(t, err)
	require.Equal(t, int32(1), got.GetMatterVersion())
	// The new filing is under version 2.
	require.Equal(t, int32(2), h.submit(startUp(allStartUpMaterials...)).GetMatterVersion())
}

// Citizen matters are offered where enabled; enterprise matters only at the district hall.
func TestRouting(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	resident := func(code string) *mattersv1.Application {
		return &mattersv1.Application{Matter: "matters/" + code, Channel: mattersv1.Channel_CHANNEL_WINDOW,
			Applicant: &mattersv1.Applicant{Name: "李四"},
			Materials: []*mattersv1.SubmittedMaterial{{Name: "居民身份证", Document: doc(community, "ID1")}}}
	}
	submitAt := func(sub, tenant string, a *mattersv1.Application) error {
		_, err := h.client.SubmitApplication(h.as(sub), &mattersv1.SubmitApplicationRequest{Parent: "tenants/" + tenant, Application: a})
		return err
	}
	apptest.RequireCode(t, submitAt(communityClerk, community, resident("JZZ")), codes.FailedPrecondition, "MATTER_NOT_ENABLED")

	e, err := h.client.EnableMatter(h.as(communityAdmin), &mattersv1.EnableMatterRequest{Parent: "tenants/" + community, Matter: "matters/JZZ", LocalNote: "周一至周五 8:30—17:00"})
	require.NoError(t, err)
	require.Equal(t, community, e.GetTenant())
	require.NoError(t, submitAt(communityClerk, community, resident("JZZ")))

	_, err = h.client.EnableMatter(h.as(communityAdmin), &mattersv1.EnableMatterRequest{Parent: "tenants/" + community, Matter: "matters/QYKB"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ENTERPRISE_MATTER_AT_DISTRICT")
	apptest.RequireCode(t, submitAt(communityClerk, community, startUp(allStartUpMaterials...)), codes.FailedPrecondition, "ENTERPRISE_MATTER_AT_DISTRICT")
	// A clerk cannot file in a tenant outside their subtree.
	apptest.RequireCode(t, submitAt(otherClerk, community, resident("JZZ")), codes.PermissionDenied, "PERMISSION_DENIED")

	// 简易注销 is online only; a 帮代办 filing needs the signed authorisation.
	online := &mattersv1.Application{Matter: "matters/JYZX", Channel: mattersv1.Channel_CHANNEL_WINDOW, Applicant: &mattersv1.Applicant{Name: "示例商贸有限公司"}}
	apptest.RequireCode(t, submitAt(hallClerk, district, online), codes.FailedPrecondition, "CHANNEL_NOT_OFFERED")
	agent := startUp(allStartUpMaterials...)
	agent.Channel, agent.Agent = mattersv1.Channel_CHANNEL_AGENT, &mattersv1.Agent{Name: "王帮办"}
	apptest.RequireField(t, submitAt(hallClerk, district, agent), "application.agent.authorization_document", "INVALID_DOCUMENT")
	agent.Agent.AuthorizationDocument = doc(district, "AUTH1")
	agent.GreenChannel = true
	a := h.submit(agent)
	require.Equal(t, "王帮办", a.GetAgent().GetName())
	require.True(t, a.GetGreenChannel())
	unknown := startUp("营业执照副本")
	apptest.RequireCode(t, submitAt(hallClerk, district, unknown), codes.InvalidArgument, "UNKNOWN_MATERIAL")
	require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM applications`))
}

// 企业开办 accepted on Friday 2025-09-26 is due at the end of Sunday 2025-09-28, a 调休
// working day; finished on that Sunday it took 1 working day. Both SQL engines.
func TestStartUpOnTime(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		a := h.postApp(hallClerk, "/v1/tenants/ahz/applications", startUp(allStartUpMaterials...))
		require.Equal(t, "tenants/ahz/applications/M-20250926-000001", a.GetName())
		require.Equal(t, mattersv1.State_STATE_SUBMITTED, a.GetState())
		a = h.call(hallClerk, "/v1/"+a.GetName()+":accept", &mattersv1.AcceptApplicationRequest{Etag: a.GetEtag()})
		require.Equal(t, mattersv1.State_STATE_ACCEPTED, a.GetState())
		require.True(t, a.GetPromisedDueTime().AsTime().Equal(cst(2025, time.September, 29, 0)), a.GetPromisedDueTime().AsTime())
		// Statutory 3 working days: Sun 28, Mon 29, Tue 30 → end of Tue 30.
		require.True(t, a.GetStatutoryDueTime().AsTime().Equal(cst(2025, time.October, 1, 0)), a.GetStatutoryDueTime().AsTime())

		a = h.call(hallClerk, "/v1/"+a.GetName()+":completeStep", &mattersv1.CompleteStepRequest{Etag: a.GetEtag(), Step: 0, Result: "材料齐全，予以受理"})
		require.Equal(t, int32(1), a.GetCurrentStep())
		h.clock.Set(cst(2025, time.September, 28, 15))
		a = h.call(hallClerk, "/v1/"+a.GetName()+":completeStep", &mattersv1.CompleteStepRequest{Etag: a.GetEtag(), Step: 1,
			Result: "准予设立登记", ResultDocuments: []string{doc(district, "LICENSE1")}})
		require.Equal(t, mattersv1.State_STATE_COMPLETED, a.GetState())
		require.Equal(t, int32(1), a.GetWorkingDaysUsed())
		require.Equal(t, int32(1), a.GetSteps()[1].GetWorkingDaysUsed())
		require.Equal(t, int32(0), a.GetSteps()[0].GetWorkingDaysUsed())
		require.False(t, a.GetCompleteTime().AsTime().After(a.GetPromisedDueTime().AsTime()))
		require.Equal(t, []string{doc(district, "LICENSE1")}, a.GetResultDocuments())
		// Every transition is audited: submit, accept, two steps.
		require.Equal(t, 4, h.auditCount(a.GetName()))

		// Read over HTTP too.
		code, body := h.get(hallClerk, "/v1/"+a.GetName())
		require.Equal(t, http.StatusOK, code, string(body))
		var got map[string]any
		require.NoError(t, json.Unmarshal(body, &got))
		require.Equal(t, "STATE_COMPLETED", got["state"])

		// The next filing of the day takes the next number.
		require.Equal(t, "tenants/ahz/applications/M-20250928-000001", h.submit(startUp(allStartUpMaterials...)).GetName())
	})
}

// A 补正 pause of 2 working days moves both deadlines by exactly 2 working days; the notice
// is one complete list, so a second one is refused.
func TestCorrectionPausesClock(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		h.clock.Set(cst(2025, time.September, 10, 10)) // Wednesday
		a := h.postApp(hallClerk, "/v1/tenants/ahz/applications", startUp("设立登记申请书", "住所使用证明", "法定代表人身份证明"))
		require.True(t, a.GetPromisedDueTime().AsTime().Equal(cst(2025, time.September, 12, 0)))
		_, err := h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "MISSING_MATERIAL")

		a = h.call(hallClerk, "/v1/"+a.GetName()+":requestCorrection", &mattersv1.RequestCorrectionRequest{Etag: a.GetEtag(),
			MissingMaterials: []string{"公司章程"}, Note: "请补交全体股东签署的公司章程"})
		require.Equal(t, mattersv1.State_STATE_CORRECTION_REQUESTED, a.GetState())
		require.True(t, a.GetPaused())

		h.clock.Set(cst(2025, time.September, 12, 10)) // Friday: Thursday and Friday were paused
		a = h.call(hallClerk, "/v1/"+a.GetName()+":resubmit", &mattersv1.ResubmitApplicationRequest{Etag: a.GetEtag(),
			Materials: []*mattersv1.SubmittedMaterial{{Name: "公司章程", Document: doc(district, "CHARTER2")}}})
		require.False(t, a.GetPaused())
		require.True(t, a.GetPromisedDueTime().AsTime().Equal(cst(2025, time.September, 16, 0)), a.GetPromisedDueTime().AsTime())
		require.True(t, a.GetStatutoryDueTime().AsTime().Equal(cst(2025, time.September, 18, 0)), a.GetStatutoryDueTime().AsTime())

		_, err = h.client.RequestCorrection(h.as(hallClerk), &mattersv1.RequestCorrectionRequest{Name: a.GetName(), Etag: a.GetEtag(), MissingMaterials: []string{"公司章程"}})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "CORRECTION_ALREADY_REQUESTED")
		a, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
		require.NoError(t, err)
		require.Equal(t, mattersv1.State_STATE_ACCEPTED, a.GetState())
	})
}

// 容缺受理: only deferrable materials, a signed commitment and a due date in working days;
// the last step waits for the materials; a lapsed commitment is terminated by the sweep.
func TestDeferredAcceptance(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		commit := func(a *mattersv1.Application, materials ...string) (*mattersv1.Application, error) {
			return h.client.AcceptDeferred(h.as(hallClerk), &mattersv1.AcceptDeferredRequest{Name: a.GetName(), Etag: a.GetEtag(),
				MissingMaterials: materials, CommitmentDocument: doc(district, "PLEDGE1"), DueWorkingDays: 3})
		}
		a := h.submit(startUp("设立登记申请书", "公司章程", "法定代表人身份证明"))
		_, err := commit(a, "公司章程")
		apptest.RequireCode(t, err, codes.FailedPrecondition, "MATERIAL_NOT_DEFERRABLE")
		a, err = commit(a, "住所使用证明")
		require.NoError(t, err)
		require.Equal(t, mattersv1.State_STATE_ACCEPTED_DEFERRED, a.GetState())
		require.Equal(t, []string{"住所使用证明"}, a.GetMissingMaterials())
		// Fri 26 + 3 working days: Sun 28 (调休), Mon 29, Tue 30.
		require.True(t, a.GetCommitmentDueTime().AsTime().Equal(cst(2025, time.October, 1, 0)), a.GetCommitmentDueTime().AsTime())

		a, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 0, Result: "容缺受理"})
		require.NoError(t, err)
		_, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 1, Result: "准予登记"})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "DEFERRED_MATERIALS_PENDING")

		// A second application supplies in time and is accepted in full.
		b, err := commit(h.submit(startUp("设立登记申请书", "公司章程", "法定代表人身份证明")), "住所使用证明")
		require.NoError(t, err)
		b, err = h.client.SupplyDeferred(h.as(hallClerk), &mattersv1.SupplyDeferredRequest{Name: b.GetName(), Etag: b.GetEtag(),
			Materials: []*mattersv1.SubmittedMaterial{{Name: "住所使用证明", Document: doc(district, "LEASE1")}}})
		require.NoError(t, err)
		require.Equal(t, mattersv1.State_STATE_ACCEPTED, b.GetState())

		// The commitment lapses at the end of Tue 30; the sweep terminates the first only, once.
		h.clock.Set(cst(2025, time.September, 30, 23))
		n, err := h.srv.svc.sweep(t.Context())
		require.NoError(t, err)
		require.Zero(t, n)
		h.clock.Set(cst(2025, time.October, 1, 9))
		n, err = h.srv.svc.sweep(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = h.srv.svc.sweep(t.Context())
		require.NoError(t, err)
		require.Zero(t, n)
		got, err := h.client.GetApplication(h.as(hallClerk), &mattersv1.GetApplicationRequest{Name: a.GetName()})
		require.NoError(t, err)
		require.Equal(t, mattersv1.State_STATE_TERMINATED, got.GetState())
		_, err = h.client.SupplyDeferred(h.as(hallClerk), &mattersv1.SupplyDeferredRequest{Name: got.GetName(), Etag: got.GetEtag()})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
	})
}

// An illegal transition, a stale etag and a step closed twice change nothing.
func TestRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	a := h.submit(startUp(allStartUpMaterials...))
	snapshot := func() *mattersv1.Application {
		got, err := h.client.GetApplication(h.as(hallClerk), &mattersv1.GetApplicationRequest{Name: a.GetName()})
		require.NoError(t, err)
		return got
	}
	before := snapshot()
	_, err := h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 0, Result: "x"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
	_, err = h.client.RateApplication(h.as(enterpriseUser), &mattersv1.RateApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Score: 5})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
	_, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: "99"})
	apptest.RequireCode(t, err, codes.Aborted, "STALE_VERSION")
	// Application transitions require the etag (gaoxing.common.v1 etag.proto): none is refused alike.
	_, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName()})
	apptest.RequireCode(t, err, codes.Aborted, "STALE_VERSION")
	require.True(t, proto.Equal(before, snapshot()))

	a, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
	require.NoError(t, err)
	a, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 0, Result: "受理"})
	require.NoError(t, err)
	before = snapshot()
	_, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 0, Result: "受理"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "STEP_ALREADY_CLOSED")
	_, err = h.client.RejectApplication(h.as(hallClerk), &mattersv1.RejectApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Reasons: []string{"不符合条件"}})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
	require.True(t, proto.Equal(before, snapshot()))
	require.Equal(t, 3, h.auditCount(a.GetName()))

	w, err := h.client.WithdrawApplication(h.as(hallClerk), &mattersv1.WithdrawApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Reason: "申请人撤回"})
	require.NoError(t, err)
	require.Equal(t, mattersv1.State_STATE_WITHDRAWN, w.GetState())
	_, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: w.GetName(), Etag: w.GetEtag()})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
}

// Clerks see only their own subtree: a community clerk cannot read the district hall's
// enterprise application, act on it, list it or find it in a queue, over gRPC and HTTP;
// nor can a clerk of another street. Both engines.
func TestCrossTenantDenied(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		a := h.submit(startUp(allStartUpMaterials...))
		for _, sub := range []string{communityClerk, otherClerk} {
			_, err := h.client.GetApplication(h.as(sub), &mattersv1.GetApplicationRequest{Name: a.GetName()})
			apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
			_, err = h.client.AcceptApplication(h.as(sub), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
			apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
			for _, path := range []string{"/v1/" + a.GetName(), "/v1/tenants/ahz/applications", "/v1/tenants/ahz/queue?scope=QUEUE_SCOPE_TENANT",
				"/v1/tenants/ahz/matterReports"} {
				code, body := h.get(sub, path)
				require.Equal(t, http.StatusForbidden, code, path)
				require.Equal(t, "PERMISSION_DENIED", apptest.StableCode(body), path)
			}
		}
		// From its own tenant the community sees nothing of the district's.
		code, body := h.get(communityClerk, "/v1/tenants/"+community+"/applications")
		require.Equal(t, http.StatusOK, code, string(body))
		require.NotContains(t, string(body), a.GetName())
		require.Empty(t, h.queue(communityClerk, community, url.Values{"scope": {"QUEUE_SCOPE_TENANT"}}))
	})
}

// The report reproduces hand-computed figures: four 企业开办 filed Friday 2025-09-26 and
// finished after 0, 1 (Sun 28, 调休), 2 (Mon 29) and 4 (Thu Oct 9) working days: median
// 1.5, p90 (nearest rank) 4, half within the 1-working-day promise.
func TestReportAgainstTarget(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		var apps []*mattersv1.Application
		for range 4 {
			a := h.submit(startUp(allStartUpMaterials...))
			a, err := h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
			require.NoError(t, err)
			a, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 0, Result: "受理"})
			require.NoError(t, err)
			apps = append(apps, a)
		}
		// One left open: not in the report.
		h.submit(startUp(allStartUpMaterials...))
		finish := []time.Time{cst(2025, time.September, 26, 16), cst(2025, time.September, 28, 11), cst(2025, time.September, 29, 11), cst(2025, time.October, 9, 11)}
		for i, a := range apps {
			h.clock.Set(finish[i])
			_, err := h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 1, Result: "准予登记"})
			require.NoError(t, err)
		}
		rep, err := h.client.ReportMatters(h.as(hallClerk), &mattersv1.ReportMattersRequest{Parent: "tenants/ahz"})
		require.NoError(t, err)
		require.Len(t, rep.GetMatters(), 1)
		r := rep.GetMatters()[0]
		require.Equal(t, "matters/QYKB", r.GetMatter())
		require.Equal(t, int32(4), r.GetCompleted())
		require.InDelta(t, 1.5, r.GetMedianWorkingDays(), 1e-9)
		require.Equal(t, int32(4), r.GetP90WorkingDays())
		require.InDelta(t, 0.5, r.GetWithinTargetShare(), 1e-9)
		require.Equal(t, int32(1), r.GetTarget().GetN())
		require.Equal(t, mattersv1.Unit_UNIT_WORKING_DAYS, r.GetTarget().GetUnit())

		// The same figures per department, tenant and handler, over HTTP.
		for _, g := range []struct{ group, key string }{
			{"REPORT_GROUP_DEPARTMENT", "市场监管分局"}, {"REPORT_GROUP_TENANT", "ahz"}, {"REPORT_GROUP_HANDLER", hallClerk},
		} {
			code, body := h.get(hallClerk, "/v1/tenants/ahz/matterReports?groupBy="+g.group)
			require.Equal(t, http.StatusOK, code, string(body))
			var rep mattersv1.ReportMattersResponse
			require.NoError(t, protojson.Unmarshal(body, &rep))
			require.Len(t, rep.GetMatters(), 1, g.group)
			r := rep.GetMatters()[0]
			require.Equal(t, g.key, r.GetKey(), g.group)
			require.Equal(t, int32(4), r.GetCompleted(), g.group)
			require.InDelta(t, 1.5, r.GetMedianWorkingDays(), 1e-9, g.group)
			require.Equal(t, int32(4), r.GetP90WorkingDays(), g.group)
			require.InDelta(t, 0.5, r.GetWithinTargetShare(), 1e-9, g.group)
		}

		// The window is bounded: completions before it are not counted, and a window longer
		// than a year and a day, or ending before it starts, is refused.
		last := finish[len(finish)-1]
		before, err := h.client.ReportMatters(h.as(hallClerk), &mattersv1.ReportMattersRequest{Parent: "tenants/ahz",
			EndTime: timestamppb.New(finish[0])})
		require.NoError(t, err)
		require.Empty(t, before.GetMatters())
		for _, w := range []*mattersv1.ReportMattersRequest{
			{Parent: "tenants/ahz", StartTime: timestamppb.New(time.Unix(0, 0)), EndTime: timestamppb.New(last)},
			{Parent: "tenants/ahz", StartTime: timestamppb.New(last), EndTime: timestamppb.New(finish[0])},
		} {
			_, err = h.client.ReportMatters(h.as(hallClerk), w)
			apptest.RequireField(t, err, "end_time", "INVALID_WINDOW")
		}
		_, err = h.client.ReportMatters(h.as(hallClerk), &mattersv1.ReportMattersRequest{Parent: "tenants/ahz",
			StartTime: &timestamppb.Timestamp{Seconds: 1 << 62}})
		apptest.RequireField(t, err, "start_time", "INVALID_WINDOW")
		code, body := h.get(hallClerk, "/v1/tenants/ahz/matterReports?startTime=1970-01-01T00:00:00Z")
		require.Equal(t, http.StatusOK, code, "a start alone covers a year from it: nothing then", string(body))

		// A community sees its own subtree only: none of the district hall's applications.
		_, err = h.client.ReportMatters(h.as(communityClerk), &mattersv1.ReportMattersRequest{Parent: "tenants/ahz"})
		apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		own, err := h.client.ReportMatters(h.as(communityClerk), &mattersv1.ReportMattersRequest{Parent: "tenants/" + community})
		require.NoError(t, err)
		require.Empty(t, own.GetMatters())
	})
}

// A resubmitted filing with the same idempotency key returns the first 办件 and makes no
// second; the key with another body is refused.
func TestDuplicateSubmission(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	ctx := metadata.AppendToOutgoingContext(h.as(hallClerk), "idempotency-key", "window-1-20250926-0001")
	req := &mattersv1.SubmitApplicationRequest{Parent: "tenants/ahz", Application: startUp(allStartUpMaterials...)}
	first, err := h.client.SubmitApplication(ctx, req)
	require.NoError(t, err)
	again, err := h.client.SubmitApplication(ctx, req)
	require.NoError(t, err)
	require.Equal(t, first.GetName(), again.GetName())
	require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM applications`))
	other := proto.Clone(req).(*mattersv1.SubmitApplicationRequest)
	other.Application.GreenChannel = true
	_, err = h.client.SubmitApplication(ctx, other)
	apptest.RequireCode(t, err, codes.FailedPrecondition, "IDEMPOTENCY_KEY_REUSED")
	require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM applications`))
}

// The queue view lists a tenant's subtree page by page; a community sees only its own.
func TestListApplications(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	_, err := h.client.EnableMatter(h.as(communityAdmin), &mattersv1.EnableMatterRequest{Parent: "tenants/" + community, Matter: "matters/SYDJ"})
	require.NoError(t, err)
	birth := &mattersv1.Application{Matter: "matters/SYDJ", Channel: mattersv1.Channel_CHANNEL_MOBILE, Applicant: &mattersv1.Applicant{Name: "赵六"},
		Materials: []*mattersv1.SubmittedMaterial{{Name: "夫妻双方居民身份证", Document: doc(community, "ID2")}}}
	c, err := h.client.SubmitApplication(h.as(communityClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/" + community, Application: birth})
	require.NoError(t, err)
	d1 := h.submit(startUp(allStartUpMaterials...))
	d2 := h.submit(startUp(allStartUpMaterials...))
	_, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: d2.GetName(), Etag: d2.GetEtag()})
	require.NoError(t, err)

	var names []string
	token := ""
	for {
		resp, err := h.client.ListApplications(h.as(hallClerk), &mattersv1.ListApplicationsRequest{Parent: "tenants/ahz", PageSize: 1, PageToken: token})
		require.NoError(t, err)
		for _, a := range resp.GetApplications() {
			names = append(names, a.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	require.Equal(t, []string{d1.GetName(), d2.GetName(), c.GetName()}, names)

	accepted, err := h.client.ListApplications(h.as(hallClerk), &mattersv1.ListApplicationsRequest{Parent: "tenants/ahz", State: mattersv1.State_STATE_ACCEPTED})
	require.NoError(t, err)
	require.Len(t, accepted.GetApplications(), 1)
	mine, err := h.client.ListApplications(h.as(communityClerk), &mattersv1.ListApplicationsRequest{Parent: "tenants/" + community})
	require.NoError(t, err)
	require.Len(t, mine.GetApplications(), 1)
	require.Equal(t, c.GetName(), mine.GetApplications()[0].GetName())
	_, err = h.client.ListApplications(h.as(communityClerk), &mattersv1.ListApplicationsRequest{Parent: "tenants/ahz"})
	apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
}
