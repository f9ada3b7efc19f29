package legalaid

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
	"github.com/gaoxing-gov/gaoxing/services/documents"
)

// TestCaseFilesHeld: with the documents service beside it (which asks legalaid who reaches
// a case before it shows a confidential case file), a file added to an open case is
// under legal hold, set as the caller, and its hold is released when the case closes;
// the confidential file is read by the case's lawyer, its court and the coordinator, and
// by no community clerk or lawyer of another case.
func TestCaseFilesHeld(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		m := testenv.StartMinIO(t)
		var docsEnv *apptest.Env
		h := startHarness(t, dsn, func(env *apptest.Env) {
			docsEnv = env.StartPeer(t, documents.New(), func(e *app.Env) {
				e.MinIO = m.Config()
				e.Peers = map[string]string{"legalaid": env.GRPC.Addr().String()}
			})
		})
		docs := documentsv1.NewDocumentsServiceClient(docsEnv.Conn)
		c := h.registered("（2026）辽0391民初21号")

		// The case's lawyer uploads a confidential file owned by the case, and adds it.
		q := url.Values{"filename": {"证据.pdf"}, "owner": {c.GetName()}, "classification": {"confidential"}}
		req, err := http.NewRequest(http.MethodPost, docsEnv.URL+"/api/documents/v1/tenants/ahz/documents:upload?"+q.Encode(),
			bytes.NewReader([]byte("%PDF-1.7\n% evidence\n%%EOF\n")))
		require.NoError(t, err)
		st, body := apptest.Do(t, req, h.tokens[lawyer])
		require.Equal(t, http.StatusCreated, st, string(body))
		var doc documentsv1.Document
		require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &doc))

		c, err = h.client.AddCaseFile(h.as(lawyer), &legalaidv1.AddCaseFileRequest{Name: c.GetName(), Etag: c.GetEtag(),
			Document: doc.GetName(), Confidential: true})
		require.NoError(t, err)
		require.Len(t, c.GetFiles(), 1)
		require.True(t, c.GetFiles()[0].GetLegalHold(), "an open case's file is held")
		got, err := docs.GetDocument(h.as(admin), &documentsv1.GetDocumentRequest{Name: doc.GetName()})
		require.NoError(t, err)
		require.True(t, got.GetLegalHold(), "the documents service holds it")
		_, err = docs.DeleteDocument(h.as(admin), &documentsv1.DeleteDocumentRequest{Name: doc.GetName()})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "DOCUMENT_LEGAL_HOLD")

		// Who reads the confidential case file, over gRPC, in lists and by the download route.
		for _, r := range []struct {
			sub  string
			code codes.Code
		}{
			{lawyer, codes.OK}, {courtGX, codes.OK}, {coordinator, codes.OK},
			{lawyer2, codes.PermissionDenied},    // a lawyer of other cases at the same tenant
			{courtOther, codes.PermissionDenied}, // another court
			{clerk, codes.PermissionDenied},      // a community clerk: no reach at the district
			{steward, codes.PermissionDenied},    // no documents.confidential
			{company, codes.NotFound},            // an applicant: not its document
		} {
			_, err := docs.GetDocument(h.as(r.sub), &documentsv1.GetDocumentRequest{Name: doc.GetName()})
			code, _ := apptest.Code(err)
			require.Equal(t, r.code, code, "%s reads the case file: %v", r.sub, err)
			st, _ := apptest.Get(t, docsEnv.URL+"/api/documents/v1/"+doc.GetName()+":download", h.tokens[r.sub])
			require.Equal(t, r.code == codes.OK, st == http.StatusOK, "%s downloads the case file: %d", r.sub, st)
		}
		list, err := docs.ListDocuments(h.as(lawyer2), &documentsv1.ListDocumentsRequest{Parent: "tenants/ahz", Owner: c.GetName()})
		require.NoError(t, err)
		require.Empty(t, list.GetDocuments(), "another lawyer does not see the case file listed")
		list, err = docs.ListDocuments(h.as(lawyer), &documentsv1.ListDocumentsRequest{Parent: "tenants/ahz", Owner: c.GetName()})
		require.NoError(t, err)
		require.Len(t, list.GetDocuments(), 1)

		// The judgment closes the case: its hold is released first, so the file is deletable.
		c, err = h.client.RecordJudgment(h.as(courtGX), &legalaidv1.RecordJudgmentRequest{Name: c.GetName(), Etag: c.GetEtag(), Outcome: "判决驳回诉讼请求"})
		require.NoError(t, err)
		require.Equal(t, legalaidv1.State_STATE_CLOSED, c.GetState())
		require.False(t, c.GetFiles()[0].GetLegalHold(), "a closed case holds nothing")
		got, err = docs.GetDocument(h.as(admin), &documentsv1.GetDocumentRequest{Name: doc.GetName()})
		require.NoError(t, err)
		require.False(t, got.GetLegalHold(), "the documents service released it")

		// A file added to a closed case is recorded, not held.
		_, err = h.client.AddCaseFile(h.as(coordinator), &legalaidv1.AddCaseFileRequest{Name: c.GetName(), Document: doc.GetName()})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "CASE_CLOSED")
	})
}
