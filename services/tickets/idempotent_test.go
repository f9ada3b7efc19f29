package tickets

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestIntakeWithIdempotencyKey: intake and backlog import over HTTP with an
// Idempotency-Key, attachments checked with the real documents service. A replayed key
// answers the first response and stores nothing more. In a keyed batch every item is a
// savepoint of the call's transaction: an external id already stored answers its first
// ticket while the new items around it are stored, on PostgreSQL (where a failed
// statement aborts a whole transaction) as on SQLite. The documents service is asked
// before the transaction opens (docref refuses otherwise). Both engines.
func TestIntakeWithIdempotencyKey(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn, withDocuments())
		photo := h.uploadDoc(hotline, district, "photo-idem.pdf")
		post := func(path, key string, body proto.Message) []byte {
			t.Helper()
			code, out := apptest.PostJSON(t, h.base+path, h.tokens[hotline], body, "Idempotency-Key", key)
			require.Equal(t, http.StatusOK, code, string(out))
			return out
		}
		tickets := func() int { return h.count(`SELECT COUNT(*) FROM tickets`) }

		t.Run("intake", func(t *testing.T) {
			in := hotlineTicket("idem-intake-1")
			in.Attachments = []string{photo}
			before, audits := tickets(), h.auditCount(district)
			first := post("/v1/tenants/ahz/tickets", "intake-1", in)
			var tk ticketsv1.Ticket
			require.NoError(t, protojson.Unmarshal(first, &tk))
			require.Equal(t, []string{photo}, tk.GetAttachments())
			require.Equal(t, before+1, tickets())
			audits++
			require.Equal(t, audits, h.auditCount(district))

			again := post("/v1/tenants/ahz/tickets", "intake-1", in)
			require.JSONEq(t, string(first), string(again), "the replay answers the first response")
			require.Equal(t, before+1, tickets())
			require.Equal(t, audits, h.auditCount(district), "the replay wrote no audit record")
			require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM kit_idempotency WHERE idem_key = $1`, "intake-1"))

			// The same key with another body is refused and stores nothing.
			other := hotlineTicket("idem-intake-2")
			code, out := apptest.PostJSON(t, h.base+"/v1/tenants/ahz/tickets", h.tokens[hotline], other, "Idempotency-Key", "intake-1")
			require.NotEqual(t, http.StatusOK, code)
			require.Equal(t, "IDEMPOTENCY_KEY_REUSED", apptest.HTTPError(t, out).GetCode())
			require.Equal(t, before+1, tickets())
		})

		t.Run("batch with an external id already stored", func(t *testing.T) {
			stored := h.create("idem-old")
			bad := hotlineTicket("idem-bad")
			bad.Category = "ufo"
			withPhoto := hotlineTicket("idem-new-2")
			withPhoto.Attachments = []string{photo}
			batch := &ticketsv1.BatchCreateTicketsRequest{Tickets: []*ticketsv1.Ticket{
				hotlineTicket("idem-new-1"), hotlineTicket("idem-old"), bad, withPhoto, hotlineTicket("idem-new-1"),
			}}
			before := tickets()
			body := post("/v1/tenants/ahz/tickets:batchCreate", "batch-1", batch)
			var first ticketsv1.BatchCreateTicketsResponse
			require.NoError(t, protojson.Unmarshal(body, &first))
			res := first.GetResults()
			require.Len(t, res, 5)
			require.NotEmpty(t, res[0].GetTicket().GetName())
			require.Equal(t, stored.GetName(), res[1].GetTicket().GetName(), "a resent external id answers its first ticket")
			require.Nil(t, res[1].GetError())
			require.Equal(t, "UNKNOWN_CATEGORY", res[2].GetError().GetCode())
			require.NotEmpty(t, res[3].GetTicket().GetName(), "an item after the resent one is stored")
			require.Equal(t, []string{photo}, res[3].GetTicket().GetAttachments())
			require.Equal(t, res[0].GetTicket().GetName(), res[4].GetTicket().GetName())
			require.Equal(t, before+2, tickets())
			for _, i := range []int{0, 3} {
				require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM tickets WHERE id = $1`, idOf(res[i].GetTicket().GetName())))
			}
			audits := h.auditCount(district)

			again := post("/v1/tenants/ahz/tickets:batchCreate", "batch-1", batch)
			require.JSONEq(t, string(body), string(again), "the replay answers the first response")
			require.Equal(t, before+2, tickets())
			require.Equal(t, audits, h.auditCount(district))
		})
	})
}

// idOf is the id in tenants/{tenant}/tickets/{id}.
func idOf(name string) string {
	_, id, _ := parseName("name", name)
	return id
}
