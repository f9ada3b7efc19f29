package documents

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/protobuf/encoding/protojson"

	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// TestStreamRoundTrip100MiB streams a 100 MiB file up through the service and down again
// (whole and by range), checking SHA-256 both ways; the bytes are generated on the fly.
func TestStreamRoundTrip100MiB(t *testing.T) {
	const size = 100 << 20
	h := startHarness(t, harnessOptions{})
	want := fileSHA256(7, size)

	for _, chunked := range []bool{false, true} {
		n := int64(size)
		if chunked {
			n = -1
		}
		resp, out := h.upload(clerk, tenant, query("owner", owner, "filename", "big.pdf"), fileReader(7, size), n)
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(out))
		var d documentsv1.Document
		require.NoError(t, protojson.Unmarshal(out, &d))
		require.Equal(t, want, d.GetSha256())
		require.EqualValues(t, size, d.GetSizeBytes())
		require.Equal(t, "application/pdf", d.GetContentType())
		require.Equal(t, documentsv1.State_STATE_AVAILABLE, d.GetState())

		got := h.download(clerk, d.GetName(), nil)
		require.Equal(t, http.StatusOK, got.StatusCode)
		require.Equal(t, "application/pdf", got.Header.Get("Content-Type"))
		hash := sha256.New()
		copied, err := io.Copy(hash, got.Body)
		require.NoError(t, err)
		require.EqualValues(t, size, copied)
		require.Equal(t, want, hex.EncodeToString(hash.Sum(nil)))
	}

	// A range in the middle: bytes 50 MiB … 50 MiB+99 of the same deterministic stream.
	docs, err := h.client.ListDocuments(h.as(clerk), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant, Owner: owner})
	require.NoError(t, err)
	require.Len(t, docs.GetDocuments(), 2)
	got := h.download(clerk, docs.GetDocuments()[0].GetName(), http.Header{"Range": {"bytes=52428800-52428899"}})
	require.Equal(t, http.StatusPartialContent, got.StatusCode)
	part, err := io.ReadAll(got.Body)
	require.NoError(t, err)
	expect := make([]byte, 100)
	r := fileReader(7, size)
	_, err = io.CopyN(io.Discard, r, 50<<20)
	require.NoError(t, err)
	_, err = io.ReadFull(r, expect)
	require.NoError(t, err)
	require.Equal(t, expect, part)
	require.Equal(t, "bytes 52428800-52428899/104857600", got.Header.Get("Content-Range"))
}

// TestStreamRoutesAreMethods: the upload and download routes pass the kit's chain (a span
// named after each route's method, with the tenant) and are in the OpenAPI document.
func TestStreamRoutesAreMethods(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	h := startHarness(t, harnessOptions{})
	d := h.uploadDoc(query("owner", owner, "filename", "a.pdf"), pdfBytes("traced"))
	require.Equal(t, http.StatusOK, h.downloadQuery(clerk, d.GetName(), "").StatusCode)
	require.Equal(t, http.StatusForbidden, h.downloadQuery(sibling, d.GetName(), "").StatusCode)
	spans := map[string][]string{}
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == "gaoxing.tenant" {
				spans[s.Name()] = append(spans[s.Name()], kv.Value.String())
			}
		}
	}
	require.Equal(t, []string{tenant}, spans["documents.UploadDocument"])
	require.Equal(t, []string{tenant, tenant}, spans["documents.DownloadDocument"])

	resp, err := h.http.Get(h.base + "/openapi.json")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&spec))
	require.Equal(t, "UploadDocument", spec.Paths["/v1/tenants/{tenant}/documents:upload"]["post"].OperationID)
	require.Equal(t, "DownloadDocument", spec.Paths["/v1/tenants/{tenant}/documents/{document}:download"]["get"].OperationID)
	require.Equal(t, "DocumentsService_GetDocument", spec.Paths["/v1/tenants/{tenant}/documents/{document}"]["get"].OperationID)
}
