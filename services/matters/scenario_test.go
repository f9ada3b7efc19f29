package matters

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// postApp posts over HTTP and decodes the application it returns.
func (h *harness) postApp(sub, path string, body *mattersv1.Application) *mattersv1.Application {
	h.t.Helper()
	code, out := h.post(sub, path, body)
	require.Equal(h.t, http.StatusOK, code, string(out))
	var a mattersv1.Application
	require.NoError(h.t, protojson.Unmarshal(out, &a))
	return &a
}

// call posts a request over HTTP and decodes the application it returns.
func (h *harness) call(sub, path string, body proto.Message) *mattersv1.Application {
	h.t.Helper()
	code, out := h.post(sub, path, body)
	require.Equal(h.t, http.StatusOK, code, string(out))
	var a mattersv1.Application
	require.NoError(h.t, protojson.Unmarshal(out, &a))
	return &a
}

// A 容缺 filing end to end over HTTP with real documents (MinIO): the materials and the
// signed commitment are uploaded to the documents service and referenced by name; a
// reference to a document that does not exist is refused and changes nothing; the
// commitment lapses at the end of its third working day and the sweep terminates the
// application, once, telling the notifier. Both engines.
func TestScenarioDeferredCommitmentExpires(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withDocuments())
		in := startUp()
		for _, m := range []string{"设立登记申请书", "公司章程", "法定代表人身份证明"} {
			in.Materials = append(in.Materials, &mattersv1.SubmittedMaterial{Name: m, Document: h.uploadDoc(hallClerk, district, m+".pdf")})
		}
		missing := startUp("设立登记申请书")
		before := h.fingerprint()
		code, body := h.post(hallClerk, "/v1/tenants/ahz/applications", missing)
		require.Equal(t, http.StatusBadRequest, code, string(body))
		require.Equal(t, "DOCUMENT_NOT_FOUND", apptest.StableCode(body))
		require.Equal(t, before, h.fingerprint())

		a := h.postApp(hallClerk, "/v1/tenants/ahz/applications", in)
		pledge := h.uploadDoc(hallClerk, district, "容缺承诺书.pdf")
		a = h.call(hallClerk, "/v1/"+a.GetName()+":acceptDeferred", &mattersv1.AcceptDeferredRequest{Etag: a.GetEtag(),
			MissingMaterials: []string{"住所使用证明"}, CommitmentDocument: pledge, DueWorkingDays: 3})
		require.Equal(t, mattersv1.State_STATE_ACCEPTED_DEFERRED, a.GetState())
		require.Equal(t, pledge, a.GetCommitmentDocument())
		// Fri 26 + 3 working days: Sun 28 (调休), Mon 29, Tue 30.
		require.True(t, a.GetCommitmentDueTime().AsTime().Equal(cst(2025, time.October, 1, 0)), a.GetCommitmentDueTime().AsTime())

		h.clock.Set(cst(2025, time.October, 1, 9))
		n, err := h.srv.svc.sweep(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = h.srv.svc.sweep(t.Context())
		require.NoError(t, err)
		require.Zero(t, n)
		code, body = h.get(hallClerk, "/v1/"+a.GetName())
		require.Equal(t, http.StatusOK, code, string(body))
		var got mattersv1.Application
		require.NoError(t, protojson.Unmarshal(body, &got))
		require.Equal(t, mattersv1.State_STATE_TERMINATED, got.GetState())
		// Submitted, accepted on commitment, terminated: one status event each, the last keyed by its revision.
		require.Equal(t, 3, h.count(`SELECT COUNT(*) FROM outbox_events WHERE topic = $1 AND event_key LIKE $2`, TopicStatusChanged, "k:"+a.GetName()+"#%"))
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM outbox_events WHERE event_key = $1`, "k:"+a.GetName()+"#"+got.GetEtag()))
		code, body = h.post(hallClerk, "/v1/"+a.GetName()+":supplyDeferred", &mattersv1.SupplyDeferredRequest{Etag: got.GetEtag(),
			Materials: []*mattersv1.SubmittedMaterial{{Name: "住所使用证明", Document: h.uploadDoc(hallClerk, district, "lease.pdf")}}})
		require.Equal(t, http.StatusUnprocessableEntity, code, string(body))
		require.Equal(t, "ILLEGAL_TRANSITION", apptest.StableCode(body))
	})
}
