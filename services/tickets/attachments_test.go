package tickets

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
	"github.com/gaoxing-gov/gaoxing/services/documents"
)

// withDocuments runs the real documents service beside tickets (same etcd, same token
// issuer, real MinIO, its own SQLite) and tells tickets where it is.
func withDocuments() harnessOption {
	return func(t testing.TB, env *apptest.Env, h *harness) {
		m := testenv.StartMinIO(t)
		grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		httpLis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		docEnv := &apptest.Env{Env: app.Env{GRPC: grpcLis, HTTP: httpLis, Etcd: env.Etcd, DataDir: t.TempDir(),
			MinIO: m.Config(), Auth: env.Auth}}
		docEnv.Start(t, documents.New())
		env.Peers = map[string]string{"documents": grpcLis.Addr().String()}
		h.docs = "http://" + httpLis.Addr().String() + "/api/documents"
		conn, err := kit.Dial(grpcLis.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		h.docsClient = documentsv1.NewDocumentsServiceClient(conn)
	}
}

// uploadDoc streams a small PDF into the documents service as sub at tenant.
func (h *harness) uploadDoc(sub, tenant, filename string) *documentsv1.Document {
	h.t.Helper()
	body := []byte("%PDF-1.7\n% " + filename + "\n%%EOF\n")
	q := url.Values{"filename": {filename}, "owner": {"tenants/" + tenant + "/intakes/" + filename}}
	req, err := http.NewRequest(http.MethodPost, h.docs+"/v1/tenants/"+tenant+"/documents:upload?"+q.Encode(), bytes.NewReader(body))
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+h.tokens[sub])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	require.Equal(h.t, http.StatusCreated, resp.StatusCode, string(out))
	var d documentsv1.Document
	require.NoError(h.t, protojson.Unmarshal(out, &d))
	return &d
}

// TestAttachments: a 12345 ticket posted over HTTP references the complainant's photos
// already in the documents service (real MinIO); references are checked there as the
// caller: a missing document, another tenant's, a malformed name, a repeat or a deleted
// one is refused with its code and creates nothing. The Open311 façade takes the same
// references as attribute[attachments][]. Both engines.
func TestAttachments(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withDocuments())
		photo := h.uploadDoc(hotline, district, "photo-1.pdf")
		other := h.uploadDoc(street, "ahz.s01", "street.pdf")

		in := hotlineTicket("12345-attach")
		in.Attachments = []string{photo.GetName()}
		code, body := h.post(hotline, "/v1/tenants/ahz/tickets", in)
		require.Equal(t, http.StatusOK, code, string(body))
		var tk ticketsv1.Ticket
		require.NoError(t, protojson.Unmarshal(body, &tk))
		require.Equal(t, []string{photo.GetName()}, tk.GetAttachments())

		missing := "tenants/ahz/documents/000000000000000000000000"
		for _, c := range []struct {
			refs []string
			code string
		}{
			{[]string{missing}, "ATTACHMENT_NOT_FOUND"},
			{[]string{other.GetName()}, "ATTACHMENT_OTHER_TENANT"},
			{[]string{"documents/x"}, "INVALID_ATTACHMENT"},
			{[]string{photo.GetName(), photo.GetName()}, "DUPLICATE_ATTACHMENT"},
		} {
			in := hotlineTicket("12345-attach-bad")
			in.Attachments = c.refs
			code, body := h.post(hotline, "/v1/tenants/ahz/tickets", in)
			require.Equal(t, http.StatusBadRequest, code, string(body))
			var e struct {
				Error struct {
					Code            string `json:"code"`
					FieldViolations []struct {
						Code string `json:"code"`
					} `json:"fieldViolations"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal(body, &e))
			codes := []string{e.Error.Code}
			for _, v := range e.Error.FieldViolations {
				codes = append(codes, v.Code)
			}
			require.Contains(t, codes, c.code, string(body))
		}
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM tickets`))

		// A deleted document cannot be attached.
		admin := "u-docs-admin"
		h.tokens[admin] = h.env.Grant(t, admin, "platform_admin", district, authn.Staff)
		gone := h.uploadDoc(hotline, district, "photo-2.pdf")
		require.Eventually(t, func() bool {
			_, err := h.docsClient.DeleteDocument(h.as(admin), &documentsv1.DeleteDocumentRequest{Name: gone.GetName()})
			return err == nil
		}, 10*time.Second, 50*time.Millisecond)
		in = hotlineTicket("12345-attach-gone")
		in.Attachments = []string{gone.GetName()}
		_, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: in})
		requireCode(t, err, codes.FailedPrecondition, "ATTACHMENT_UNAVAILABLE")

		// Through Open311, with the api key.
		var created []map[string]string
		form := url.Values{"api_key": {h.tokens[hotline]}, "jurisdiction_id": {"ahz"}, "service_code": {"general"},
			"address_string": {"文三路 90 号"}, "description": {"占道经营"}, "attribute[attachments][]": {photo.GetName()}}
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodPost, "requests.json", form, &created))
		got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: "tenants/ahz/tickets/" + created[0]["service_request_id"]})
		require.NoError(t, err)
		require.Equal(t, []string{photo.GetName()}, got.GetAttachments())
	})
}
