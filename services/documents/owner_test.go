package documents

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// TestScenarioDocumentOwnership: a citizen cannot list, read, download, presign or add a
// version to another citizen's document (an ID-card scan); each attempt is answered as
// if the document did not exist and changes nothing. Both engines.
func TestScenarioDocumentOwnership(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, harnessOptions{dsn: dsn})
		const alice, bob = "u-alice", "u-bob"
		h.tokens[alice] = h.grant(alice, "citizen", authn.Citizen)
		h.tokens[bob] = h.grant(bob, "citizen", authn.Citizen)

		put := func(sub, filename string, content []byte, q url.Values) *documentsv1.Document {
			q.Set("filename", filename)
			resp, out := h.upload(sub, tenant, q, bytes.NewReader(content), int64(len(content)))
			require.Equal(t, http.StatusCreated, resp.StatusCode, string(out))
			var d documentsv1.Document
			require.NoError(t, protojson.Unmarshal(out, &d))
			return &d
		}
		scan := put(bob, "身份证.pdf", []byte("%PDF-1.7\n% bob's id card\n%%EOF\n"), url.Values{"owner": {owner}})
		require.Equal(t, bob, scan.GetHolder().GetSubject())
		mine := put(alice, "照片.pdf", []byte("%PDF-1.7\n% alice\n%%EOF\n"), url.Values{"owner": {owner}})

		// Lists: each citizen sees its own; the clerk sees both.
		names := func(sub string) []string {
			resp, err := h.client.ListDocuments(h.as(sub), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant})
			require.NoError(t, err)
			var out []string
			for _, d := range resp.GetDocuments() {
				out = append(out, d.GetName())
			}
			return out
		}
		require.Equal(t, []string{mine.GetName()}, names(alice))
		require.ElementsMatch(t, []string{mine.GetName(), scan.GetName()}, names(clerk))

		before, err := h.client.GetDocument(h.as(clerk), &documentsv1.GetDocumentRequest{Name: scan.GetName()})
		require.NoError(t, err)

		// Get, versions, presigned link: not found for another's document.
		_, err = h.client.GetDocument(h.as(alice), &documentsv1.GetDocumentRequest{Name: scan.GetName()})
		apptest.RequireCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		_, err = h.client.ListVersions(h.as(alice), &documentsv1.ListVersionsRequest{Parent: scan.GetName()})
		apptest.RequireCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		_, err = h.client.GetDownloadURL(h.as(alice), &documentsv1.GetDownloadURLRequest{Name: scan.GetName()})
		apptest.RequireCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")
		_, err = h.client.GetDownloadURL(h.as(alice), &documentsv1.GetDownloadURLRequest{Name: mine.GetName()})
		require.NoError(t, err)

		// Download of the bytes: 404, no bytes.
		resp := h.download(alice, scan.GetName(), nil)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))
		require.Equal(t, "DOCUMENT_NOT_FOUND", apptest.StableCode(body))
		require.NotContains(t, string(body), "id card")

		// A new version of another's document, streamed or presigned: refused.
		evil := []byte("%PDF-1.7\n% swapped\n%%EOF\n")
		r, out := h.upload(alice, tenant, url.Values{"filename": {"x.pdf"}, "document": {scan.GetName()}}, bytes.NewReader(evil), int64(len(evil)))
		require.Equal(t, http.StatusNotFound, r.StatusCode, string(out))
		require.Equal(t, "DOCUMENT_NOT_FOUND", apptest.StableCode(out))
		_, err = h.client.CreateUpload(h.as(alice), &documentsv1.CreateUploadRequest{Parent: "tenants/" + tenant, Document: scan.GetName(),
			Filename: "x.pdf", SizeBytes: int64(len(evil))})
		apptest.RequireCode(t, err, codes.NotFound, "DOCUMENT_NOT_FOUND")

		// Handling of documents is staff's.
		_, err = h.client.DeleteDocument(h.as(alice), &documentsv1.DeleteDocumentRequest{Name: mine.GetName()})
		code, _ := apptest.Code(err)
		require.Equal(t, codes.PermissionDenied, code)

		after, err := h.client.GetDocument(h.as(clerk), &documentsv1.GetDocumentRequest{Name: scan.GetName()})
		require.NoError(t, err)
		require.True(t, proto.Equal(before, after), "the refused calls changed the document")
		require.Equal(t, int32(1), after.GetVersion())

		// Its holder adds a version, and so does staff.
		put(bob, "身份证.pdf", []byte("%PDF-1.7\n% bob again\n%%EOF\n"), url.Values{"document": {scan.GetName()}})
		put(clerk, "身份证.pdf", []byte("%PDF-1.7\n% rescanned\n%%EOF\n"), url.Values{"document": {scan.GetName()}})
	})
}

// grant gives sub role at the harness tenant and waits until the service sees it.
func (h *harness) grant(sub, role string, kind authn.Kind) string {
	h.t.Helper()
	token := h.env.Grant(h.t, sub, role, tenant, kind)
	h.tokens[sub] = token
	require.Eventually(h.t, func() bool {
		_, err := h.client.ListDocuments(h.as(sub), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	return token
}
