package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/clock"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Test subjects: a clerk of street ahz.s01, a clerk of the sibling street ahz.s02, and a
// platform admin at the district.
const (
	clerk   = "u-clerk"
	sibling = "u-sibling"
	admin   = "u-admin"
	tenant  = "ahz.s01"
	owner   = "tenants/ahz.s01/tickets/T-20261125-000001"
)

// harness is one documents service running in-process against real etcd, MinIO and SQL.
type harness struct {
	t      testing.TB
	srv    *Server
	minio  *testenv.MinIO
	client documentsv1.DocumentsServiceClient
	base   string // http://host:port/api/documents
	tokens map[string]string
	http   *http.Client
	env    *apptest.Env
}

type harnessOptions struct {
	dsn      string
	settings *Settings
	opts     []Option
	minio    *testenv.MinIO
	now      func() time.Time
	// publicURL: objstore.Config.PublicURL (presigned URLs for another host name).
	publicURL string
}

func startHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	env := apptest.New(t, o.dsn)
	if o.settings != nil {
		b, err := json.Marshal(o.settings)
		require.NoError(t, err)
		_, err = env.Etcd.Put(context.Background(), config.GlobalKey(Name), string(b))
		require.NoError(t, err)
	}
	m := o.minio
	if m == nil {
		m = testenv.StartMinIO(t)
	}
	env.MinIO = m.Config()
	env.MinIO.PublicURL = o.publicURL
	srv := New(o.opts...)
	if o.now != nil {
		srv.now = o.now
	}
	env.Start(t, srv)

	h := &harness{
		t: t, srv: srv, minio: m, client: documentsv1.NewDocumentsServiceClient(env.Conn),
		base:   env.URL + "/api/documents",
		tokens: map[string]string{},
		http:   &http.Client{Transport: &http.Transport{DisableCompression: true}},
		env:    env,
	}
	for sub, g := range map[string]struct {
		role   string
		tenant tenancy.ID
	}{clerk: {"window_clerk", tenant}, sibling: {"window_clerk", "ahz.s02"}, admin: {"platform_admin", "ahz"}} {
		h.tokens[sub] = env.Grant(t, sub, g.role, g.tenant, authn.Staff)
	}
	// The grants reach the service through its etcd watch.
	require.Eventually(t, func() bool {
		_, err := h.client.ListDocuments(h.as(clerk), &documentsv1.ListDocumentsRequest{Parent: "tenants/" + tenant})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	return h
}

// as is a context carrying sub's token for gRPC calls.
func (h *harness) as(sub string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+h.tokens[sub])
}

// upload streams body through POST …/documents:upload; size < 0 sends it chunked.
func (h *harness) upload(sub, ten string, q url.Values, body io.Reader, size int64) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.base+"/v1/tenants/"+ten+"/documents:upload?"+q.Encode(), body)
	require.NoError(h.t, err)
	req.ContentLength = size
	if size < 0 {
		req.ContentLength = -1
	}
	req.Header.Set("Authorization", "Bearer "+h.tokens[sub])
	resp, err := h.http.Do(req)
	require.NoError(h.t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp, out
}

// uploadDoc uploads as the clerk and expects success.
func (h *harness) uploadDoc(q url.Values, content []byte) *documentsv1.Document {
	h.t.Helper()
	resp, out := h.upload(clerk, tenant, q, bytes.NewReader(content), int64(len(content)))
	require.Equal(h.t, http.StatusCreated, resp.StatusCode, string(out))
	var d documentsv1.Document
	require.NoError(h.t, protojson.Unmarshal(out, &d))
	return &d
}

func (h *harness) download(sub, name string, header http.Header) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.base+"/v1/"+name+":download", nil)
	require.NoError(h.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+h.tokens[sub])
	resp, err := h.http.Do(req)
	require.NoError(h.t, err)
	h.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// errorCode reads the stable code of an HTTP error body.
func errorCode(t testing.TB, body []byte) string {
	t.Helper()
	var e commonv1.ErrorResponse
	require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &e), string(body))
	return e.GetError().GetCode()
}

// grpcCode returns the gRPC code and stable code of err.
func grpcCode(err error) (codes.Code, string) {
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if e, ok := d.(*commonv1.Error); ok {
			return st.Code(), e.GetCode()
		}
	}
	return st.Code(), ""
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// pdfBytes is a small valid-looking PDF (sniffed as application/pdf).
func pdfBytes(text string) []byte { return []byte("%PDF-1.7\n% " + text + "\n%%EOF\n") }

// fileReader yields size deterministic bytes that sniff as a PDF, without holding them:
// a PDF header, then a ChaCha8 stream from seed.
func fileReader(seed byte, size int64) io.Reader {
	head := []byte("%PDF-1.7\n")
	var key [32]byte
	key[0] = seed
	return io.MultiReader(bytes.NewReader(head), io.LimitReader(rand.NewChaCha8(key), size-int64(len(head))))
}

func fileSHA256(seed byte, size int64) string {
	h := sha256.New()
	_, _ = io.Copy(h, fileReader(seed, size))
	return hex.EncodeToString(h.Sum(nil))
}

// countingReader counts what the server pulled from a request body.
type countingReader struct {
	mu sync.Mutex
	r  io.Reader
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// bucketObjects lists every object version in the bucket (what the service left).
func (h *harness) bucketObjects() []string {
	h.t.Helper()
	var keys []string
	c := h.minio.Client()
	for o := range c.ListObjects(context.Background(), DefaultBucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		require.NoError(h.t, o.Err)
		keys = append(keys, o.Key+"@"+o.VersionID)
	}
	return keys
}

// newClock is a test clock that only moves when told, from now.
func newClock() *clock.Fake { return clock.NewFake(time.Now().UTC()) }

func (h *harness) downloadQuery(sub, name, rawQuery string) *http.Response {
	h.t.Helper()
	u := h.base + "/v1/" + name + ":download"
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+h.tokens[sub])
	resp, err := h.http.Do(req)
	require.NoError(h.t, err)
	h.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func unmarshal(b []byte, m *documentsv1.Document) error { return protojson.Unmarshal(b, m) }

// TestContract: every method of the contract has a valid rule and an implementation, so
// the service can start (scripts/verify.sh runs it).
func TestContract(t *testing.T) {
	apptest.CheckContract(t, documentsv1.DocumentsService_ServiceDesc.ServiceName, (*service)(nil))
}
