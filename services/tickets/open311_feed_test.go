package tickets

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestOpen311Tokens: a client's POST with its own id (attribute[external_id], advertised
// in the service definition) is idempotent; the token it gets back resolves to the request
// through GET tokens/{token}.json; unknown and malformed tokens get GeoReport errors. Then
// the servicerequestupdates feed lists each public status change once, oldest first,
// filtered by time and paged. Both engines.
func TestOpen311Tokens(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		key := h.tokens[hotline]
		auth := url.Values{"jurisdiction_id": {"ahz"}, "api_key": {key}}
		with := func(extra ...string) url.Values {
			v := url.Values{}
			for k, vs := range auth {
				v[k] = vs
			}
			for i := 0; i < len(extra); i += 2 {
				v.Set(extra[i], extra[i+1])
			}
			return v
		}

		var def struct {
			Attributes []struct {
				Code string `json:"code"`
			} `json:"attributes"`
		}
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "services/general.json", url.Values{"jurisdiction_id": {"ahz"}}, &def))
		require.Equal(t, "external_id", def.Attributes[0].Code)

		post := with("service_code", "general", "address_string", "文三路 90 号", "description", "路面塌陷",
			"attribute[external_id]", "app-0001")
		var first, second []map[string]string
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodPost, "requests.json", post, &first))
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodPost, "requests.json", post, &second))
		id, token := first[0]["service_request_id"], first[0]["token"]
		require.Equal(t, id, second[0]["service_request_id"])
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM tickets`))

		var tok []map[string]string
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "tokens/"+token+".json", auth, &tok))
		require.Equal(t, []map[string]string{{"token": token, "service_request_id": id}}, tok)
		var gerr []geoError
		require.Equal(t, http.StatusNotFound, h.geoCall(http.MethodGet, "tokens/T-20991231-999999.json", auth, &gerr))
		require.Equal(t, 404, gerr[0].Code)
		gerr = nil
		require.Equal(t, http.StatusBadRequest, h.geoCall(http.MethodGet, "tokens/nope.json", auth, &gerr))
		require.Equal(t, 400, gerr[0].Code)

		// The loop, one step an hour.
		name := "tenants/ahz/tickets/" + id
		at := cst(2026, time.November, 25, 10)
		for _, f := range []func() error{
			func() error {
				_, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{Name: name, AssigneeTenant: "ahz.s01.c01", AssigneeDepartment: "城管中队"})
				return err
			},
			func() error {
				_, err := h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name})
				return err
			},
			func() error {
				_, err := h.client.UrgeTicket(h.as(overseer), &ticketsv1.UrgeTicketRequest{Name: name, Note: "请尽快"}) // not a status change
				return err
			},
			func() error {
				_, err := h.client.StartTicket(h.as(community), &ticketsv1.StartTicketRequest{Ticket: name})
				return err
			},
			func() error {
				_, err := h.client.ReplyTicket(h.as(community), &ticketsv1.ReplyTicketRequest{Ticket: name, Reply: "已修复路面"})
				return err
			},
			func() error {
				_, err := h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: name, Summary: "已办结"})
				return err
			},
		} {
			at = at.Add(time.Hour)
			h.clock.Set(at)
			require.NoError(t, f())
		}

		var feed []geoUpdate
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "servicerequestupdates.json", auth, &feed))
		var statuses, descs []string
		seen := map[string]bool{}
		for _, u := range feed {
			require.Equal(t, id, u.ServiceRequestID)
			require.False(t, seen[u.UpdateID], "update %s twice", u.UpdateID)
			seen[u.UpdateID] = true
			statuses = append(statuses, u.Status)
			descs = append(descs, u.Description)
		}
		require.Equal(t, []string{"open", "action_scheduled", "investigating", "in_progress", "in_progress", "fixed"}, statuses)
		require.Equal(t, "已修复路面", descs[4])
		require.Equal(t, "已办结", descs[5])
		require.Equal(t, "CLOSED", feed[5].ExternalStatusCode)

		// updated_after the claim: start, reply, close.
		var later []geoUpdate
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "servicerequestupdates.json",
			with("updated_after", cst(2026, time.November, 25, 12).Add(time.Minute).Format(time.RFC3339)), &later))
		require.Len(t, later, 3)
		require.Equal(t, feed[3:], later)
		var page2 []geoUpdate
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "servicerequestupdates.json", with("page_size", "2", "page", "2"), &page2))
		require.Equal(t, feed[2:4], page2)

		for _, bad := range []url.Values{with("start_date", "yesterday"), with("page_size", "0")} {
			gerr = nil
			require.Equal(t, http.StatusBadRequest, h.geoCall(http.MethodGet, "servicerequestupdates.json", bad, &gerr))
			require.Equal(t, 400, gerr[0].Code)
		}
		gerr = nil
		require.Equal(t, http.StatusUnauthorized, h.geoCall(http.MethodGet, "servicerequestupdates.json", url.Values{"jurisdiction_id": {"ahz"}}, &gerr))
	})
}
