package matters

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// fingerprint is everything a refused request must leave as it was: the applications and
// their revisions, bundles, audit records (chained or waiting) and outbox events.
func (h *harness) fingerprint() string {
	h.t.Helper()
	var n, revs int64
	require.NoError(h.t, h.srv.svc.db.QueryRow(h.t.Context(), `SELECT COUNT(*), COALESCE(SUM(revision), 0) FROM applications`).Scan(&n, &revs))
	return fmt.Sprintf("apps=%d revs=%d bundles=%d audit=%d outbox=%d", n, revs, h.count(`SELECT COUNT(*) FROM bundle_applications`),
		h.count(`SELECT (SELECT COUNT(*) FROM audit_records) + (SELECT COUNT(*) FROM audit_pending)`), h.count(`SELECT COUNT(*) FROM outbox_events`))
}

// The bad-input list, over HTTP: each case gets its status and stable code, and
// changes nothing at all. Both engines.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		h.grant("u-other-enterprise", "enterprise", district, authn.Enterprise)
		short := h.submit(startUp("设立登记申请书", "住所使用证明", "法定代表人身份证明")) // no 公司章程
		inStep := h.submit(startUp(allStartUpMaterials...))
		inStep, err := h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: inStep.GetName(), Etag: inStep.GetEtag()})
		require.NoError(t, err)
		inStep, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: inStep.GetName(), Etag: inStep.GetEtag(), Step: 0, Result: "受理"})
		require.NoError(t, err)
		done := h.finish(h.submit(startUp(allStartUpMaterials...)))
		code, body := apptest.PostJSON(t, h.base+"/v1/tenants/ahz/applications", h.tokens[hallClerk], startUp(allStartUpMaterials...), "Idempotency-Key", "window-1-0001")
		require.Equal(t, http.StatusOK, code, string(body))
		var first mattersv1.Application
		require.NoError(t, protojson.Unmarshal(body, &first))

		resident := &mattersv1.Application{Matter: "matters/JZZ", Channel: mattersv1.Channel_CHANNEL_WINDOW, Applicant: &mattersv1.Applicant{Name: "李四"}}
		noSign := restaurant()
		delete(noSign.Form, "sign_text")
		greener := startUp(allStartUpMaterials...)
		greener.GreenChannel = true

		for _, c := range []struct {
			name, sub, path string
			key             string
			body            proto.Message
			status          int
			code            string
		}{
			{"required material missing, no 容缺", hallClerk, "/v1/" + short.GetName() + ":accept", "",
				&mattersv1.AcceptApplicationRequest{Etag: short.GetEtag()}, http.StatusUnprocessableEntity, "MISSING_MATERIAL"},
			{"容缺 on a material that does not allow it", hallClerk, "/v1/" + short.GetName() + ":acceptDeferred", "",
				&mattersv1.AcceptDeferredRequest{Etag: short.GetEtag(), MissingMaterials: []string{"公司章程"}, CommitmentDocument: doc(district, "P1"), DueWorkingDays: 3},
				http.StatusUnprocessableEntity, "MATERIAL_NOT_DEFERRABLE"},
			{"transition not allowed from the state", hallClerk, "/v1/" + done.GetName() + ":withdraw", "",
				&mattersv1.WithdrawApplicationRequest{Etag: done.GetEtag()}, http.StatusUnprocessableEntity, "ILLEGAL_TRANSITION"},
			{"transition not allowed to the role", districtAdmin, "/v1/" + inStep.GetName() + ":reject", "",
				&mattersv1.RejectApplicationRequest{Etag: inStep.GetEtag(), Reasons: []string{"x"}}, http.StatusForbidden, "PERMISSION_DENIED"},
			{"stale version", hallClerk, "/v1/" + inStep.GetName() + ":withdraw", "",
				&mattersv1.WithdrawApplicationRequest{Etag: "1"}, http.StatusConflict, "STALE_VERSION"},
			{"step closed twice", hallClerk, "/v1/" + inStep.GetName() + ":completeStep", "",
				&mattersv1.CompleteStepRequest{Etag: inStep.GetEtag(), Step: 0, Result: "受理"}, http.StatusUnprocessableEntity, "STEP_ALREADY_CLOSED"},
			{"matter not enabled in the tenant", communityClerk, "/v1/tenants/" + community + "/applications", "",
				resident, http.StatusUnprocessableEntity, "MATTER_NOT_ENABLED"},
			{"tenant outside the caller's subtree", otherClerk, "/v1/" + short.GetName() + ":reject", "",
				&mattersv1.RejectApplicationRequest{Etag: short.GetEtag(), Reasons: []string{"x"}}, http.StatusForbidden, "PERMISSION_DENIED"},
			{"filing outside the caller's subtree", communityClerk, "/v1/tenants/ahz/applications", "",
				startUp(allStartUpMaterials...), http.StatusForbidden, "PERMISSION_DENIED"},
			{"duplicate submission: same key, same body", hallClerk, "/v1/tenants/ahz/applications", "window-1-0001",
				startUp(allStartUpMaterials...), http.StatusOK, ""},
			{"duplicate submission: same key, other body", hallClerk, "/v1/tenants/ahz/applications", "window-1-0001",
				greener, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED"},
			{"bundle form missing a member's field", hallClerk, "/v1/tenants/ahz/bundleApplications", "",
				noSign, http.StatusBadRequest, "BUNDLE_FIELD_MISSING"},
			{"rating by a clerk", hallClerk, "/v1/" + done.GetName() + ":rate", "",
				&mattersv1.RateApplicationRequest{Etag: done.GetEtag(), Score: 1}, http.StatusForbidden, "PERMISSION_DENIED"},
			// Another applicant's application is not there for it (ownership).
			{"rating by someone who is not the applicant", "u-other-enterprise", "/v1/" + done.GetName() + ":rate", "",
				&mattersv1.RateApplicationRequest{Etag: done.GetEtag(), Score: 1}, http.StatusNotFound, "APPLICATION_NOT_FOUND"},
		} {
			before := h.fingerprint()
			var code int
			var body []byte
			if c.key != "" {
				code, body = apptest.PostJSON(t, h.base+c.path, h.tokens[c.sub], c.body, "Idempotency-Key", c.key)
			} else {
				code, body = h.post(c.sub, c.path, c.body)
			}
			require.Equal(t, c.status, code, "%s: %s", c.name, body)
			if c.code != "" {
				require.Equal(t, c.code, apptest.StableCode(body), "%s: %s", c.name, body)
			} else {
				var again mattersv1.Application
				require.NoError(t, protojson.Unmarshal(body, &again))
				require.Equal(t, first.GetName(), again.GetName(), c.name)
			}
			require.Equal(t, before, h.fingerprint(), c.name)
		}
	})
}
