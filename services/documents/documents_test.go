package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// put sends body to a presigned PUT URL, as a browser or another service would.
func put(t *testing.T, u string, body []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(out))
}

func get(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}

// TestPresignedFlow: create an upload, PUT to its URL, commit with the right and wrong
// size and checksum; unknown and expired uploads; download by presigned GET. On both
// SQL engines.
func TestPresignedFlow(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		clk := newClock()
		h := startHarness(t, harnessOptions{dsn: dsn, now: clk.Now})
		ctx := h.as(clerk)
		content := pdfBytes("presigned")

		up, err := h.client.CreateUpload(ctx, &documentsv1.CreateUploadRequest{
			Parent: "tenants/" + tenant, Owner: owner, Filename: "申请书.pdf", SizeBytes: int64(len(content)),
		})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(up.GetName(), "tenants/"+tenant+"/uploads/"))

		// Commit before any byte arrived.
		_, err = h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: up.GetName(), SizeBytes: int64(len(content)), Sha256: sum(content)})
		code, stable := grpcCode(err)
		require.Equal(t, codes.FailedPrecondition, code)
		require.Equal(t, "UPLOAD_OBJECT_MISSING", stable)

		put(t, up.GetUrl(), content)
		// Wrong size, then wrong checksum: refused, no document.
		_, err = h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: up.GetName(), SizeBytes: 1, Sha256: sum(content)})
		_, stable = grpcCode(err)
		require.Equal(t, "SIZE_MISMATCH", stable)
		_, err = h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: up.GetName(), SizeBytes: int64(len(content)), Sha256: sum([]byte("other"))})
		code, stable = grpcCode(err)
		require.Equal(t, codes.InvalidArgument, code)
		require.Equal(t, "CHECKSUM_MISMATCH", stable)
		_, err = h.client.GetDocument(ctx, &documentsv1.GetDocumentRequest{Name: up.GetDocument()})
		require.Equal(t, codes.NotFound, mustCode(err))

		// The mismatch dropped the bytes; the client sends them again and commits.
		put(t, up.GetUrl(), content)
		d, err := h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: up.GetName(), SizeBytes: int64(len(content)), Sha256: sum(content)})
		require.NoError(t, err)
		require.Equal(t, up.GetDocument(), d.GetName())
		require.Equal(t, sum(content), d.GetSha256())
		require.Equal(t, "application/pdf", d.GetContentType())
		require.Equal(t, "申请书.pdf", d.GetFilename())

		// The upload is gone once committed; unknown uploads are not found.
		_, err = h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: up.GetName(), SizeBytes: int64(len(content)), Sha256: sum(content)})
		_, stable = grpcCode(err)
		require.Equal(t, "UPLOAD_NOT_FOUND", stable)
		_, err = h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: "tenants/" + tenant + "/uploads/0123456789abcdef01234567", SizeBytes: 1, Sha256: sum(nil)})
		_, stable = grpcCode(err)
		require.Equal(t, "UPLOAD_NOT_FOUND", stable)

		// Presigned download after authorization.
		link, err := h.client.GetDownloadURL(ctx, &documentsv1.GetDownloadURLRequest{Name: d.GetName()})
		require.NoError(t, err)
		require.Equal(t, content, get(t, link.GetUrl()))

		// An upload committed after its expiry is refused.
		late, err := h.client.CreateUpload(ctx, &documentsv1.CreateUploadRequest{
			Parent: "tenants/" + tenant, Owner: owner, Filename: "late.pdf", SizeBytes: int64(len(content)),
		})
		require.NoError(t, err)
		put(t, late.GetUrl(), content)
		clk.Advance(16 * time.Minute)
		_, err = h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: late.GetName(), SizeBytes: int64(len(content)), Sha256: sum(content)})
		code, stable = grpcCode(err)
		require.Equal(t, codes.FailedPrecondition, code)
		require.Equal(t, "UPLOAD_EXPIRED", stable)

		// Oversized declared size is refused up front.
		_, err = h.client.CreateUpload(ctx, &documentsv1.CreateUploadRequest{
			Parent: "tenants/" + tenant, Owner: owner, Filename: "huge.pdf", SizeBytes: 1 << 40,
		})
		_, stable = grpcCode(err)
		require.Equal(t, "DOCUMENT_TOO_LARGE", stable)
	})
}

func mustCode(err error) codes.Code {
	c, _ := grpcCode(err)
	return c
}

// TestVersionsDeleteAndHold: new versions keep the old ones; soft delete and restore;
// a legal hold blocks deletion by anyone — the platform admin through the service, and
// the storage root user directly; retention on case files. On both SQL engines.
func TestVersionsDeleteAndHold(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, harnessOptions{dsn: dsn})
		v1 := h.uploadDoc(query("owner", owner, "filename", "a.pdf"), pdfBytes("one"))
		require.EqualValues(t, 1, v1.GetVersion())
		v2 := h.uploadDoc(query("document", v1.GetName(), "filename", "a-corrected.pdf"), pdfBytes("two"))
		require.Equal(t, v1.GetName(), v2.GetName())
		require.EqualValues(t, 2, v2.GetVersion())
		require.Equal(t, owner, v2.GetOwner(), "the owner stays with the document")

		vs, err := h.client.ListVersions(h.as(clerk), &documentsv1.ListVersionsRequest{Parent: v1.GetName(), PageSize: 1})
		require.NoError(t, err)
		require.Len(t, vs.GetVersions(), 1)
		require.EqualValues(t, 2, vs.GetVersions()[0].GetVersion())
		vs, err = h.client.ListVersions(h.as(clerk), &documentsv1.ListVersionsRequest{Parent: v1.GetName(), PageSize: 1, PageToken: vs.GetNextPageToken()})
		require.NoError(t, err)
		require.EqualValues(t, 1, vs.GetVersions()[0].GetVersion())
		require.Equal(t, "a.pdf", vs.GetVersions()[0].GetFilename())
		require.Empty(t, vs.GetNextPageToken())

		resp := h.downloadQuery(clerk, v1.GetName(), "version=1")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, _ := io.ReadAll(resp.Body)
		require.Equal(t, pdfBytes("one"), b)
		resp = h.downloadQuery(clerk, v1.GetName(), "")
		b, _ = io.ReadAll(resp.Body)
		require.Equal(t, pdfBytes("two"), b)

		// Clerks may not delete; admins may, unless held.
		_, err = h.client.DeleteDocument(h.as(clerk), &documentsv1.DeleteDocumentRequest{Name: v1.GetName()})
		require.Equal(t, codes.PermissionDenied, mustCode(err))
		held, err := h.client.SetLegalHold(h.as(admin), &documentsv1.SetLegalHoldRequest{Name: v1.GetName(), Reason: "（2026）皖0191民初1号"})
		require.NoError(t, err)
		require.True(t, held.GetLegalHold())
		_, err = h.client.DeleteDocument(h.as(admin), &documentsv1.DeleteDocumentRequest{Name: v1.GetName()})
		code, stable := grpcCode(err)
		require.Equal(t, codes.FailedPrecondition, code)
		require.Equal(t, "DOCUMENT_LEGAL_HOLD", stable)
		// Storage itself refuses, even to its root user with the governance bypass.
		for n := int32(1); n <= 2; n++ {
			v, err := h.srv.svc.st.getVersion(context.Background(), tenant, strings.TrimPrefix(v1.GetName(), "tenants/"+tenant+"/documents/"), n)
			require.NoError(t, err)
			err = h.minio.Client().RemoveObject(context.Background(), DefaultBucket, v.ObjectKey,
				minio.RemoveObjectOptions{VersionID: v.ObjectVersion, GovernanceBypass: true})
			require.Error(t, err, "a held object version cannot be removed")
		}
		// A stale etag is refused; the right one releases.
		_, err = h.client.ReleaseLegalHold(h.as(admin), &documentsv1.ReleaseLegalHoldRequest{Name: v1.GetName(), Etag: v2.GetEtag()})
		_, stable = grpcCode(err)
		require.Equal(t, "STALE_VERSION", stable)
		rel, err := h.client.ReleaseLegalHold(h.as(admin), &documentsv1.ReleaseLegalHoldRequest{Name: v1.GetName(), Etag: held.GetEtag()})
		require.NoError(t, err)
		del, err := h.client.DeleteDocument(h.as(admin), &documentsv1.DeleteDocumentRequest{Name: v1.GetName(), Etag: rel.GetEtag()})
		require.NoError(t, err)
		require.Equal(t, documentsv1.State_STATE_DELETED, del.GetState())
		require.NotNil(t, del.GetPurgeTime())
		resp = h.downloadQuery(clerk, v1.GetName(), "")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		list, err := h.client.ListDocuments(h.as(clerk), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant})
		require.NoError(t, err)
		require.Empty(t, list.GetDocuments())
		back, err := h.client.UndeleteDocument(h.as(admin), &documentsv1.UndeleteDocumentRequest{Name: v1.GetName()})
		require.NoError(t, err)
		require.Equal(t, documentsv1.State_STATE_AVAILABLE, back.GetState())

		// Every change is in the tenant's audit chain, with its actor; refused ones are not.
		recs, _, err := audit.List(context.Background(), h.srv.svc.db, tenant, audit.ListOptions{Resource: v1.GetName()})
		require.NoError(t, err)
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.GetActor()+" "+r.GetAction())
		}
		require.Equal(t, []string{
			admin + " documents.UndeleteDocument", admin + " documents.DeleteDocument", admin + " documents.ReleaseLegalHold",
			admin + " documents.SetLegalHold", clerk + " documents.AddVersion", clerk + " documents.AddVersion",
		}, actions)
		report, err := audit.Verify(context.Background(), h.srv.svc.db, tenant)
		require.NoError(t, err)
		require.True(t, report.OK())

		// Case files are retained by law (COMPLIANCE lock): no deletion before retain_until.
		c := h.uploadDoc(query("owner", owner, "filename", "判决书.pdf", "category", "case"), pdfBytes("case"))
		require.NotNil(t, c.GetRetainUntil())
		require.True(t, c.GetRetainUntil().AsTime().After(time.Now().AddDate(9, 0, 0)))
		_, err = h.client.DeleteDocument(h.as(admin), &documentsv1.DeleteDocumentRequest{Name: c.GetName()})
		_, stable = grpcCode(err)
		require.Equal(t, "DOCUMENT_RETAINED", stable)
		v, err := h.srv.svc.st.getVersion(context.Background(), tenant, strings.TrimPrefix(c.GetName(), "tenants/"+tenant+"/documents/"), 1)
		require.NoError(t, err)
		err = h.minio.Client().RemoveObject(context.Background(), DefaultBucket, v.ObjectKey, minio.RemoveObjectOptions{VersionID: v.ObjectVersion})
		require.Error(t, err, "a retained object version cannot be removed without the bypass")
		err = h.minio.Client().RemoveObject(context.Background(), DefaultBucket, v.ObjectKey,
			minio.RemoveObjectOptions{VersionID: v.ObjectVersion, GovernanceBypass: true})
		require.Error(t, err, "nor with it, by the storage root user: COMPLIANCE mode")
		mode, _, err := h.minio.Client().GetObjectRetention(context.Background(), DefaultBucket, v.ObjectKey, v.ObjectVersion)
		require.NoError(t, err)
		require.Equal(t, minio.Compliance, *mode)
	})
}

// TestCrossTenant: a clerk of a sibling street gets nothing of another tenant's documents.
func TestCrossTenant(t *testing.T) {
	h := startHarness(t, harnessOptions{})
	d := h.uploadDoc(query("owner", owner, "filename", "a.pdf"), pdfBytes("mine"))
	id := strings.TrimPrefix(d.GetName(), "tenants/"+tenant+"/documents/")

	_, err := h.client.GetDocument(h.as(sibling), &documentsv1.GetDocumentRequest{Name: d.GetName()})
	require.Equal(t, codes.PermissionDenied, mustCode(err), "naming the other tenant: denied")
	_, err = h.client.GetDocument(h.as(sibling), &documentsv1.GetDocumentRequest{Name: "tenants/ahz.s02/documents/" + id})
	require.Equal(t, codes.NotFound, mustCode(err), "the other tenant's id under one's own tenant: not found")
	_, err = h.client.GetDownloadURL(h.as(sibling), &documentsv1.GetDownloadURLRequest{Name: d.GetName()})
	require.Equal(t, codes.PermissionDenied, mustCode(err))
	require.Equal(t, http.StatusForbidden, h.downloadQuery(sibling, d.GetName(), "").StatusCode)
	require.Equal(t, http.StatusNotFound, h.downloadQuery(sibling, "tenants/ahz.s02/documents/"+id, "").StatusCode)
	// New version of another tenant's document through one's own tenant: not found.
	resp, out := h.upload(sibling, "ahz.s02", query("document", "tenants/ahz.s02/documents/"+id, "filename", "x.pdf"),
		bytes.NewReader(pdfBytes("x")), -1)
	require.Equal(t, http.StatusNotFound, resp.StatusCode, string(out))
	resp, out = h.upload(sibling, tenant, query("owner", owner, "filename", "x.pdf"), bytes.NewReader(pdfBytes("x")), -1)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(out))
	// An owner link into another tenant is refused.
	resp, out = h.upload(sibling, "ahz.s02", query("owner", owner, "filename", "x.pdf"), bytes.NewReader(pdfBytes("x")), -1)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(out))
	// No token at all.
	req, _ := http.NewRequest(http.MethodGet, h.base+"/v1/"+d.GetName()+":download", nil)
	r, err := h.http.Do(req)
	require.NoError(t, err)
	_ = r.Body.Close()
	require.Equal(t, http.StatusUnauthorized, r.StatusCode)

	// Confidential documents need documents.confidential: the clerk may not create one,
	// the admin may, and the clerk neither reads nor lists it.
	resp, out = h.upload(clerk, tenant, query("owner", owner, "filename", "c.pdf", "classification", "CONFIDENTIAL"), bytes.NewReader(pdfBytes("c")), -1)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(out))
	require.Equal(t, "CONFIDENTIAL_DENIED", errorCode(t, out))
	resp, out = h.upload(admin, tenant, query("owner", owner, "filename", "c.pdf", "classification", "CONFIDENTIAL"), bytes.NewReader(pdfBytes("c")), -1)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(out))
	list, err := h.client.ListDocuments(h.as(clerk), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant})
	require.NoError(t, err)
	require.Len(t, list.GetDocuments(), 1, "the confidential one is left out")
	list, err = h.client.ListDocuments(h.as(admin), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant})
	require.NoError(t, err)
	require.Len(t, list.GetDocuments(), 2)
}

// TestOversize: 413 before the body is read when Content-Length says so, and as soon as
// the limit is passed when it does not; nothing is left behind.
func TestOversize(t *testing.T) {
	limit := DefaultSettings()
	limit.MaxBytes = 1 << 20
	h := startHarness(t, harnessOptions{settings: &limit})
	const size = 64 << 20
	for _, chunked := range []bool{false, true} {
		body := &countingReader{r: fileReader(1, size)}
		n := int64(size)
		if chunked {
			n = -1
		}
		resp, out := h.upload(clerk, tenant, query("owner", owner, "filename", "big.pdf"), body, n)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(out))
		require.Equal(t, "DOCUMENT_TOO_LARGE", errorCode(t, out))
		require.Less(t, body.count(), int64(size/4), "the service stopped reading early (chunked=%v)", chunked)
	}
	list, err := h.client.ListDocuments(h.as(clerk), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant, ShowDeleted: true})
	require.NoError(t, err)
	require.Empty(t, list.GetDocuments())
	require.Empty(t, h.bucketObjects())
	for u := range h.minio.Client().ListIncompleteUploads(context.Background(), DefaultBucket, "", true) {
		t.Fatalf("incomplete upload left behind: %v", u.Key)
	}
}

// TestContentRules: the type comes from the bytes; executables and unlisted types are
// refused; file names lose their path tricks.
func TestContentRules(t *testing.T) {
	h := startHarness(t, harnessOptions{})
	zip := append([]byte("PK\x03\x04"), make([]byte, 60)...)
	for _, tc := range []struct {
		name, filename string
		content        []byte
		status         int
		contentType    string
		stored         string
	}{
		{"elf named pdf", "report.pdf", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...), 400, "", ""},
		{"pe named pdf", "report.pdf", append([]byte("MZ\x90\x00"), make([]byte, 100)...), 400, "", ""},
		{"html", "page.pdf", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), 400, "", ""},
		{"bare zip", "archive.zip", zip, 400, "", ""},
		{"empty", "empty.pdf", nil, 400, "", ""},
		{"pdf", "ok.pdf", pdfBytes("ok"), 201, "application/pdf", "ok.pdf"},
		{"png", "scan.png", append([]byte("\x89PNG\x0d\x0a\x1a\x0a"), make([]byte, 40)...), 201, "image/png", "scan.png"},
		{"jpeg", "photo.jpg", append([]byte("\xff\xd8\xff\xe0"), make([]byte, 40)...), 201, "image/jpeg", "photo.jpg"},
		{"docx", "合同.docx", zip, 201, typeDOCX, "合同.docx"},
		{"ofd", "发票.ofd", zip, 201, typeOFD, "发票.ofd"},
		{"text", "notes.txt", []byte("纯文本材料\n"), 201, "text/plain; charset=utf-8", "notes.txt"},
		{"path traversal", "../../etc/passwd.pdf", pdfBytes("x"), 201, "application/pdf", "passwd.pdf"},
		{"windows path", `..\..\Windows\win.pdf`, pdfBytes("x"), 201, "application/pdf", "win.pdf"},
		{"control characters", "a\x00b\r\nc\".pdf", pdfBytes("x"), 201, "application/pdf", "abc_.pdf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := h.upload(clerk, tenant, query("owner", owner, "filename", tc.filename), bytes.NewReader(tc.content), int64(len(tc.content)))
			require.Equal(t, tc.status, resp.StatusCode, string(out))
			if tc.status != 201 {
				require.Contains(t, []string{"CONTENT_TYPE_NOT_ALLOWED", "DOCUMENT_EMPTY"}, errorCode(t, out))
				return
			}
			var d documentsv1.Document
			require.NoError(t, unmarshal(out, &d))
			require.Equal(t, tc.contentType, d.GetContentType())
			require.Equal(t, tc.stored, d.GetFilename())
			got := h.downloadQuery(clerk, d.GetName(), "")
			require.Contains(t, got.Header.Get("Content-Disposition"), "attachment;")
			require.Equal(t, "nosniff", got.Header.Get("X-Content-Type-Options"))
		})
	}
	list, err := h.client.ListDocuments(h.as(clerk), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant})
	require.NoError(t, err)
	require.Len(t, list.GetDocuments(), 9, "only the accepted files are documents")
}

func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":             "report.pdf",
		"../../etc/passwd":       "passwd",
		`C:\Users\a\b.docx`:      "b.docx",
		"/":                      "file",
		"..":                     "file",
		"":                       "file",
		".hidden.pdf":            "hidden.pdf",
		"a<b>c:d|e?f*.pdf":       "a_b_c_d_e_f_.pdf",
		"trailing. . ":           "trailing",
		"bad\xffutf8.pdf":        "bad_utf8.pdf",
		"申请书（第二版）.pdf":           "申请书（第二版）.pdf",
		strings.Repeat("长", 200): strings.Repeat("长", 85),
	} {
		require.Equal(t, want, SanitizeFilename(in), "in %q", in)
	}
}

// recordingScanner remembers what it was asked to scan.
type recordingScanner struct{ submitted chan string }

func (r recordingScanner) Submit(_ context.Context, document string, _ int32) error {
	r.submitted <- document
	return nil
}

// TestScanHook: with scanning on, new documents wait for the scanner's verdict.
func TestScanHook(t *testing.T) {
	set := DefaultSettings()
	set.ScanRequired = true
	sc := recordingScanner{submitted: make(chan string, 4)}
	h := startHarness(t, harnessOptions{settings: &set, opts: []Option{WithScanner(sc)}})
	d := h.uploadDoc(query("owner", owner, "filename", "a.pdf"), pdfBytes("scan me"))
	require.Equal(t, documentsv1.State_STATE_PENDING_SCAN, d.GetState())
	require.Equal(t, d.GetName(), <-sc.submitted)

	resp := h.downloadQuery(clerk, d.GetName(), "")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	_, err := h.client.GetDownloadURL(h.as(clerk), &documentsv1.GetDownloadURLRequest{Name: d.GetName()})
	_, stable := grpcCode(err)
	require.Equal(t, "DOCUMENT_PENDING_SCAN", stable)

	_, err = h.client.MarkScanned(h.as(clerk), &documentsv1.MarkScannedRequest{Name: d.GetName(), Version: 1, Clean: true})
	require.Equal(t, codes.PermissionDenied, mustCode(err), "only the scanner (admin) marks")
	clean, err := h.client.MarkScanned(h.as(admin), &documentsv1.MarkScannedRequest{Name: d.GetName(), Version: 1, Clean: true})
	require.NoError(t, err)
	require.Equal(t, documentsv1.State_STATE_AVAILABLE, clean.GetState())
	require.Equal(t, http.StatusOK, h.downloadQuery(clerk, d.GetName(), "").StatusCode)
	_, err = h.client.MarkScanned(h.as(admin), &documentsv1.MarkScannedRequest{Name: d.GetName(), Version: 1, Clean: false})
	_, stable = grpcCode(err)
	require.Equal(t, "DOCUMENT_NOT_PENDING_SCAN", stable)

	// An infected second version is never served.
	v2 := h.uploadDoc(query("document", d.GetName(), "filename", "b.pdf"), pdfBytes("bad"))
	<-sc.submitted
	_, err = h.client.MarkScanned(h.as(admin), &documentsv1.MarkScannedRequest{Name: v2.GetName(), Version: 2, Clean: false})
	require.NoError(t, err)
	resp = h.downloadQuery(clerk, d.GetName(), "")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Equal(t, http.StatusOK, h.downloadQuery(clerk, d.GetName(), "version=1").StatusCode)
}

// TestGateway: the HTTP/JSON API and the streaming download share the gateway's router
// (the :download verb beside GetDocument and :downloadUrl); OpenAPI is served.
func TestGateway(t *testing.T) {
	h := startHarness(t, harnessOptions{})
	d := h.uploadDoc(query("owner", owner, "filename", "a.pdf"), pdfBytes("gateway"))
	call := func(method, path string) (int, []byte) {
		req, err := http.NewRequest(method, h.base+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+h.tokens[clerk])
		resp, err := h.http.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, b
	}
	code, body := call(http.MethodGet, "/v1/"+d.GetName())
	require.Equal(t, http.StatusOK, code, string(body))
	var got documentsv1.Document
	require.NoError(t, unmarshal(body, &got))
	require.Equal(t, d.GetSha256(), got.GetSha256())

	code, body = call(http.MethodGet, "/v1/"+d.GetName()+":downloadUrl")
	require.Equal(t, http.StatusOK, code, string(body))
	require.Contains(t, string(body), "X-Amz-Signature")

	code, body = call(http.MethodGet, "/v1/tenants/"+tenant+"/documents?owner="+owner)
	require.Equal(t, http.StatusOK, code, string(body))
	require.Contains(t, string(body), d.GetName())

	code, body = call(http.MethodGet, "/v1/"+d.GetName()+":download")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, pdfBytes("gateway"), body)

	code, body = call(http.MethodGet, "/v1/tenants/"+tenant+"/documents/not-an-id")
	require.Equal(t, http.StatusBadRequest, code, string(body))

	code, body = call(http.MethodGet, "/openapi.json")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), "/api/documents")
}

// TestPresignedThroughPublicURL: with a public URL (the Ingress's host in production)
// the presigned upload and download URLs name it, not the store's internal address, and
// work through it: the signature covers the host the browser sends.
func TestPresignedThroughPublicURL(t *testing.T) {
	m := testenv.StartMinIO(t)
	_, port, err := net.SplitHostPort(m.Endpoint)
	require.NoError(t, err)
	public := "http://localhost:" + port // another name for the same server
	h := startHarness(t, harnessOptions{minio: m, publicURL: public})
	ctx := h.as(clerk)
	content := pdfBytes("through the front door")
	up, err := h.client.CreateUpload(ctx, &documentsv1.CreateUploadRequest{
		Parent: "tenants/" + tenant, Owner: owner, Filename: "申请书.pdf", SizeBytes: int64(len(content)),
	})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(up.GetUrl(), public+"/"+DefaultBucket+"/"), up.GetUrl())
	put(t, up.GetUrl(), content)
	d, err := h.client.CommitUpload(ctx, &documentsv1.CommitUploadRequest{Name: up.GetName(), SizeBytes: int64(len(content)), Sha256: sum(content)})
	require.NoError(t, err)
	link, err := h.client.GetDownloadURL(ctx, &documentsv1.GetDownloadURLRequest{Name: d.GetName()})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(link.GetUrl(), public+"/"), link.GetUrl())
	require.Equal(t, content, get(t, link.GetUrl()))
}
