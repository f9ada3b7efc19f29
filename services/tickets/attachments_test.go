package tickets

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
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
		docs := env.StartPeer(t, documents.New(), func(e *app.Env) { e.MinIO = m.Config() })
		h.docs = docs.URL + "/api/documents"
		h.docsClient = documentsv1.NewDocumentsServiceClient(docs.Conn)
	}
}

// uploadDoc streams a small PDF into the documents service as sub at tenant and returns
// its name.
func (h *harness) uploadDoc(sub, tenant, filename string) string {
	h.t.Helper()
	body := "%PDF-1.7\n% " + filename + "\n%%EOF\n"
	q := url.Values{"filename": {filename}, "owner": {"tenants/" + tenant + "/intakes/" + filename}}
	req, err := http.NewRequest(http.MethodPost, h.docs+"/v1/tenants/"+tenant+"/documents:upload?"+q.Encode(), strings.NewReader(body))
	require.NoError(h.t, err)
	code, out := apptest.Do(h.t, req, h.tokens[sub])
	require.Equal(h.t, http.StatusCreated, code, string(out))
	var d documentsv1.Document
	require.NoError(h.t, protojson.Unmarshal(out, &d))
	return d.GetName()
}

// TestAttachments: a 12345 ticket posted over HTTP references the complainant's photos
// already in the documents service (real MinIO); references are checked there as the
// caller: a missing document, another tenant's, a malformed name, a repeat or a deleted
// one is refused with its code and creates nothing. The Open311 façade takes the same
// references as attribute[attachments][]. Both engines.
func TestAttachments(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withDocuments())
		photo := h.uploadDoc(hotline, district, "photo-1.pdf")
		other := h.uploadDoc(street, "ahz.s01", "street.pdf")

		in := hotlineTicket("12345-attach")
		in.Attachments = []string{photo}
		code, body := h.post(hotline, "/v1/tenants/ahz/tickets", in)
		require.Equal(t, http.StatusOK, code, string(body))
		var tk ticketsv1.Ticket
		require.NoError(t, protojson.Unmarshal(body, &tk))
		require.Equal(t, []string{photo}, tk.GetAttachments())

		missing := "tenants/ahz/documents/000000000000000000000000"
		for _, c := range []struct {
			refs  []string
			field string // the violation names the ticket's own field
			code  string
		}{
			{[]string{missing}, "ticket.attachments[0]", "DOCUMENT_NOT_FOUND"},
			{[]string{other}, "ticket.attachments[0]", "ATTACHMENT_OTHER_TENANT"},
			{[]string{"documents/x"}, "ticket.attachments[0]", "INVALID_DOCUMENT"},
			{[]string{photo, photo}, "ticket.attachments[1]", "DUPLICATE_ATTACHMENT"},
		} {
			in := hotlineTicket("12345-attach-bad")
			in.Attachments = c.refs
			code, body := h.post(hotline, "/v1/tenants/ahz/tickets", in)
			require.Equal(t, http.StatusBadRequest, code, string(body))
			v := apptest.HTTPError(t, body).GetFieldViolations()
			require.Len(t, v, 1, string(body))
			require.Equal(t, []string{c.field, c.code}, []string{v[0].GetField(), v[0].GetCode()}, string(body))
		}
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM tickets`))

		// A deleted document cannot be attached.
		admin := "u-docs-admin"
		h.tokens[admin] = h.env.Grant(t, admin, "platform_admin", district, authn.Staff)
		gone := h.uploadDoc(hotline, district, "photo-2.pdf")
		require.Eventually(t, func() bool {
			_, err := h.docsClient.DeleteDocument(h.as(admin), &documentsv1.DeleteDocumentRequest{Name: gone})
			return err == nil
		}, 10*time.Second, 50*time.Millisecond)
		in = hotlineTicket("12345-attach-gone")
		in.Attachments = []string{gone}
		_, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz", Ticket: in})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "DOCUMENT_UNAVAILABLE")

		// Through Open311, with the api key.
		var created []map[string]string
		form := url.Values{"api_key": {h.tokens[hotline]}, "jurisdiction_id": {"ahz"}, "service_code": {"general"},
			"address_string": {"文三路 90 号"}, "description": {"占道经营"}, "attribute[attachments][]": {photo}}
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodPost, "requests.json", form, &created))
		got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: "tenants/ahz/tickets/" + created[0]["service_request_id"]})
		require.NoError(t, err)
		require.Equal(t, []string{photo}, got.GetAttachments())
	})
}
