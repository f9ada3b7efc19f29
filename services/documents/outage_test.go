package documents

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// TestStorageOutage stops MinIO in the middle of a streamed upload: the upload fails with
// 503 STORAGE_UNAVAILABLE, no row is left, uploads while it is down fail fast, and after
// MinIO restarts uploads work and the sweep clears the half-written upload's remains.
func TestStorageOutage(t *testing.T) {
	h := startHarness(t, harnessOptions{opts: []Option{WithSweep(time.Hour, 0)}})
	pending, err := h.client.CreateUpload(h.as(clerk), &documentsv1.CreateUploadRequest{
		Parent: "tenants/" + tenant, Owner: owner, Filename: "p.pdf", SizeBytes: int64(len(pdfBytes("p"))),
	})
	require.NoError(t, err)
	put(t, pending.GetUrl(), pdfBytes("p"))

	pr, pw := io.Pipe()
	sent := make(chan int64, 1)
	go func() {
		// Write 40 MiB (two parts reach storage), then keep writing while MinIO stops.
		src := fileReader(3, 1<<30)
		var n int64
		buf := make([]byte, 1<<20)
		for {
			if _, err := io.ReadFull(src, buf); err != nil {
				break
			}
			if _, err := pw.Write(buf); err != nil {
				break
			}
			n += int64(len(buf))
			if n == 40<<20 {
				sent <- n
			}
		}
		_ = pw.Close()
	}()
	result := make(chan []byte, 1)
	status := make(chan int, 1)
	go func() {
		resp, out := h.upload(clerk, tenant, query("owner", owner, "filename", "big.pdf"), pr, -1)
		status <- resp.StatusCode
		result <- out
	}()
	<-sent
	h.minio.Stop()
	select {
	case code := <-status:
		out := <-result
		require.Equal(t, http.StatusServiceUnavailable, code, string(out))
		require.Equal(t, "STORAGE_UNAVAILABLE", errorCode(t, out))
	case <-time.After(30 * time.Second):
		t.Fatal("the upload did not fail after storage stopped")
	}
	_ = pr.Close()

	list, err := h.client.ListDocuments(h.as(clerk), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant, ShowDeleted: true})
	require.NoError(t, err)
	require.Empty(t, list.GetDocuments(), "no row points at bytes that are not there")

	// A presigned commit while storage is down: 503, and the upload can be committed later.
	_, err = h.client.CommitUpload(h.as(clerk), &documentsv1.CommitUploadRequest{
		Name: pending.GetName(), SizeBytes: int64(len(pdfBytes("p"))), Sha256: sum(pdfBytes("p")),
	})
	code, stable := grpcCode(err)
	require.Equal(t, codes.Unavailable, code)
	require.Equal(t, "STORAGE_UNAVAILABLE", stable)

	// While storage is down: a fast 503 for uploads and presigned commits alike.
	start := time.Now()
	resp, out := h.upload(clerk, tenant, query("owner", owner, "filename", "a.pdf"), bytes.NewReader(pdfBytes("down")), -1)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(out))
	require.Less(t, time.Since(start), 5*time.Second, "storage down is answered fast")

	h.minio.Restart()
	_, err = h.client.CommitUpload(h.as(clerk), &documentsv1.CommitUploadRequest{
		Name: pending.GetName(), SizeBytes: int64(len(pdfBytes("p"))), Sha256: sum(pdfBytes("p")),
	})
	require.NoError(t, err)
	d := h.uploadDoc(query("owner", owner, "filename", "a.pdf"), pdfBytes("back"))
	got, err := io.ReadAll(h.downloadQuery(clerk, d.GetName(), "").Body)
	require.NoError(t, err)
	require.Equal(t, pdfBytes("back"), got)

	// The sweep removes the interrupted multipart upload (if storage kept one) and
	// leaves exactly the one real document.
	_, err = h.srv.sweeper.sweep(context.Background())
	require.NoError(t, err)
	require.Len(t, h.bucketObjects(), 2, "the committed upload and the streamed document")
	for u := range h.minio.Client().ListIncompleteUploads(context.Background(), DefaultBucket, "", true) {
		t.Fatalf("incomplete upload left behind: %v", u.Key)
	}
}

// TestSweep: uploads never committed are removed after expiry, objects without metadata
// after the grace period; documents deleted past the restore window are purged; known
// objects stay.
func TestSweep(t *testing.T) {
	clk := newClock()
	h := startHarness(t, harnessOptions{now: clk.Now, opts: []Option{WithSweep(time.Hour, time.Minute)}})
	ctx := h.as(clerk)
	keep := h.uploadDoc(query("owner", owner, "filename", "keep.pdf"), pdfBytes("keep"))
	gone := h.uploadDoc(query("owner", owner, "filename", "gone.pdf"), pdfBytes("gone"))
	_, err := h.client.DeleteDocument(h.as(admin), &documentsv1.DeleteDocumentRequest{Name: gone.GetName()})
	require.NoError(t, err)

	up, err := h.client.CreateUpload(ctx, &documentsv1.CreateUploadRequest{Parent: "tenants/" + tenant, Owner: owner, Filename: "x.pdf", SizeBytes: 10})
	require.NoError(t, err)
	put(t, up.GetUrl(), pdfBytes("never committed"))
	// An object no row refers to, as a failed transaction would leave.
	_, err = h.minio.Client().PutObject(context.Background(), DefaultBucket, "tenants/ahz.s01/documents/0123456789abcdef01234567/v1",
		bytes.NewReader(pdfBytes("orphan")), -1, minio.PutObjectOptions{})
	require.NoError(t, err)
	require.Len(t, h.bucketObjects(), 4)

	// Nothing is old enough yet.
	rep, err := h.srv.sweeper.sweep(context.Background())
	require.NoError(t, err)
	require.Equal(t, SweepReport{}, rep)

	clk.Advance(31 * 24 * time.Hour)
	rep, err = h.srv.sweeper.sweep(context.Background())
	require.NoError(t, err)
	require.Equal(t, SweepReport{ExpiredUploads: 1, Orphans: 1, Purged: 1}, rep)
	require.Len(t, h.bucketObjects(), 1)
	_, err = h.client.GetDocument(ctx, &documentsv1.GetDocumentRequest{Name: gone.GetName()})
	require.Error(t, err)
	_, err = h.client.GetDocument(ctx, &documentsv1.GetDocumentRequest{Name: keep.GetName()})
	require.NoError(t, err)
}

// TestStartsBeforeStorage: started while MinIO is down, the service waits for it instead
// of giving up: /readyz answers 503 naming storage, API calls 503 UNAVAILABLE; once MinIO
// is up the service becomes ready by itself and uploads work.
func TestStartsBeforeStorage(t *testing.T) {
	env := apptest.New(t, "")
	m := testenv.StartMinIO(t)
	env.MinIO = m.Config()
	m.Stop()
	srv := New()
	failed := env.Launch(t, srv)

	var rep struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	require.Eventually(t, func() bool {
		code, body := apptest.Get(t, env.URL+"/readyz", "")
		require.Equal(t, http.StatusServiceUnavailable, code)
		require.NoError(t, json.Unmarshal(body, &rep))
		return strings.HasPrefix(rep.Checks["storage"], "waiting: ")
	}, 30*time.Second, 20*time.Millisecond, "/readyz names storage as awaited")
	require.False(t, rep.Ready)
	code, body := apptest.Get(t, env.URL+"/api/documents/v1/tenants/"+tenant+"/documents", "")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "UNAVAILABLE", apptest.StableCode(body))

	m.Restart()
	select {
	case <-srv.Ready():
	case err := <-failed:
		t.Fatalf("the service gave up: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the service did not become ready once MinIO was up")
	}
	code, body = apptest.Get(t, env.URL+"/readyz", "")
	require.Equal(t, http.StatusOK, code, string(body))

	token := env.Grant(t, clerk, "window_clerk", tenant, authn.Staff)
	require.Eventually(t, func() bool {
		req, err := http.NewRequest(http.MethodPost, env.URL+"/api/documents/v1/tenants/"+tenant+"/documents:upload?"+
			query("owner", owner, "filename", "late.pdf").Encode(), bytes.NewReader(pdfBytes("late")))
		require.NoError(t, err)
		code, body := apptest.Do(t, req, token)
		if code == http.StatusForbidden {
			return false // the grant has not reached the service's watch yet
		}
		require.Equal(t, http.StatusCreated, code, string(body))
		return true
	}, 10*time.Second, 20*time.Millisecond)
}
