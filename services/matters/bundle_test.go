package matters

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// restaurant is a 开办餐饮店一件事 filing with every field and material.
func restaurant() *mattersv1.SubmitBundleRequest {
	var materials []*mattersv1.SubmittedMaterial
	for i, n := range append(allStartUpMaterials, "食品经营许可申请书", "经营场所使用证明", "食品安全管理制度", "招牌设置申请表", "招牌设计效果图") {
		materials = append(materials, &mattersv1.SubmittedMaterial{Name: n, Document: doc(district, "R"+string(rune('A'+i)))})
	}
	return &mattersv1.SubmitBundleRequest{
		Parent: "tenants/ahz", Bundle: "bundles/KBCYD", Channel: mattersv1.Channel_CHANNEL_WINDOW,
		Applicant: &mattersv1.Applicant{Name: "示例餐饮管理有限公司（筹）", Subject: enterpriseUser},
		Form: map[string]string{"company_name": "示例餐饮管理有限公司", "address": "高新区示例路 1 号", "business_scope": "餐饮服务",
			"food_categories": "热食类食品制售", "sign_text": "示例小馆"},
		Materials: materials,
	}
}

// finish accepts and closes every step of an application.
func (h *harness) finish(a *mattersv1.Application) *mattersv1.Application {
	h.t.Helper()
	a, err := h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
	require.NoError(h.t, err)
	for step := int32(0); a.GetState() != mattersv1.State_STATE_COMPLETED; step++ {
		a, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: step, Result: "办结"})
		require.NoError(h.t, err)
	}
	return a
}

// 开办餐饮店一件事: one form over HTTP fans out to three member applications in one
// transaction, each with the fields its matter maps; the bundle is complete only when all
// three are, and says so once. Both engines.
func TestBundleOfThreeCompletesWhenAllDo(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		code, body := h.get("", "/v1/bundles/KBCYD")
		require.Equal(t, http.StatusOK, code, string(body))

		code, body = h.post(hallClerk, "/v1/tenants/ahz/bundleApplications", restaurant())
		require.Equal(t, http.StatusOK, code, string(body))
		var ba mattersv1.BundleApplication
		require.NoError(t, protojson.Unmarshal(body, &ba))
		require.Equal(t, "tenants/ahz/bundleApplications/B-20250926-000001", ba.GetName())
		require.Len(t, ba.GetMembers(), 3)
		require.Equal(t, mattersv1.BundleState_BUNDLE_STATE_IN_PROGRESS, ba.GetState())
		byMatter := map[string]*mattersv1.Application{}
		for _, m := range ba.GetMembers() {
			byMatter[m.GetMatter()] = m
			require.Equal(t, ba.GetName(), m.GetBundle())
		}
		require.Equal(t, map[string]string{"operator_name": "示例餐饮管理有限公司", "address": "高新区示例路 1 号", "food_categories": "热食类食品制售"},
			byMatter["matters/SPJYXK"].GetForm())
		require.Equal(t, map[string]string{"company_name": "示例餐饮管理有限公司", "business_scope": "餐饮服务"}, byMatter["matters/QYKB"].GetForm())
		require.Len(t, byMatter["matters/HWZP"].GetMaterials(), 2)

		get := func() *mattersv1.BundleApplication {
			code, body := h.get(hallClerk, "/v1/"+ba.GetName())
			require.Equal(t, http.StatusOK, code, string(body))
			var got mattersv1.BundleApplication
			require.NoError(t, protojson.Unmarshal(body, &got))
			return &got
		}
		h.clock.Set(cst(2025, time.September, 28, 10))
		h.finish(byMatter["matters/QYKB"])
		h.finish(byMatter["matters/SPJYXK"])
		require.Equal(t, mattersv1.BundleState_BUNDLE_STATE_IN_PROGRESS, get().GetState())
		require.Zero(t, h.count(`SELECT COUNT(*) FROM outbox_events WHERE topic = $1`, TopicBundleDone))
		h.clock.Set(cst(2025, time.September, 29, 10))
		h.finish(byMatter["matters/HWZP"])
		got := get()
		require.Equal(t, mattersv1.BundleState_BUNDLE_STATE_COMPLETED, got.GetState())
		require.True(t, got.GetCompleteTime().AsTime().Equal(cst(2025, time.September, 29, 10)))
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM outbox_events WHERE topic = $1`, TopicBundleDone))
	})
}

// A combined form missing a field some member matter requires is refused with the field
// and the member named, and nothing is created: no bundle, no member, no audit, no event.
func TestBundleMissingFieldCreatesNothing(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	for _, c := range []struct {
		drop, field string
	}{{"food_categories", "form.food_categories"}, {"sign_text", "form.sign_text"}, {"company_name", "form.company_name"}} {
		req := proto.Clone(restaurant()).(*mattersv1.SubmitBundleRequest)
		delete(req.Form, c.drop)
		_, err := h.client.SubmitBundle(h.as(hallClerk), req)
		apptest.RequireField(t, err, c.field, "BUNDLE_FIELD_MISSING")
		code, body := h.post(hallClerk, "/v1/tenants/ahz/bundleApplications", req)
		require.Equal(t, http.StatusBadRequest, code, string(body))
		require.Equal(t, "BUNDLE_FIELD_MISSING", apptest.StableCode(body))
	}
	req := restaurant()
	req.Form["unknown"] = "x"
	_, err := h.client.SubmitBundle(h.as(hallClerk), req)
	apptest.RequireField(t, err, "form.unknown", "UNKNOWN_FORM_FIELD")
	for _, table := range []string{"applications", "bundle_applications", "audit_records", "audit_pending", "outbox_events"} {
		require.Zero(t, h.count(`SELECT COUNT(*) FROM `+table), table)
	}
}

// The bundles are public catalogue data; a citizen bundle files at a community only when
// the community enabled every member matter, and otherwise creates nothing.
func TestCitizenBundleNeedsEveryMemberEnabled(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	code, body := h.get("", "/v1/bundles")
	require.Equal(t, http.StatusOK, code, string(body))
	var list mattersv1.ListBundlesResponse
	require.NoError(t, protojson.Unmarshal(body, &list))
	require.Len(t, list.GetBundles(), 2)

	birth := &mattersv1.SubmitBundleRequest{Parent: "tenants/" + community, Bundle: "bundles/XSECS", Channel: mattersv1.Channel_CHANNEL_MOBILE,
		Applicant: &mattersv1.Applicant{Name: "周九"},
		Form:      map[string]string{"baby_name": "周小九", "birth_date": "2025-09-20", "mother_name": "吴十", "hukou_address": "高新区示例社区 3 栋"}}
	for _, m := range []string{"CSYXZM", "XSEHK"} {
		_, err := h.client.EnableMatter(h.as(communityAdmin), &mattersv1.EnableMatterRequest{Parent: "tenants/" + community, Matter: "matters/" + m})
		require.NoError(t, err)
	}
	_, err := h.client.SubmitBundle(h.as(citizenUser), birth)
	apptest.RequireCode(t, err, codes.FailedPrecondition, "MATTER_NOT_ENABLED")
	require.Zero(t, h.count(`SELECT COUNT(*) FROM applications`))
	_, err = h.client.EnableMatter(h.as(communityAdmin), &mattersv1.EnableMatterRequest{Parent: "tenants/" + community, Matter: "matters/CXJMYB"})
	require.NoError(t, err)
	ba, err := h.client.SubmitBundle(h.as(citizenUser), birth)
	require.NoError(t, err)
	require.Len(t, ba.GetMembers(), 3)
	for _, m := range ba.GetMembers() {
		require.Equal(t, citizenUser, m.GetApplicant().GetSubject()) // the citizen filed for themselves
	}
	require.Equal(t, map[string]string{"insured_name": "周小九"}, ba.GetMembers()[2].GetForm())
}
