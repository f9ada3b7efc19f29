package tickets

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestScenarioTicketOwnership: a citizen reaches only the complaints it filed, in every
// read path (get, list, Open311), and none of the handling; an enterprise at the district
// does not list every street's tickets. Both engines.
func TestScenarioTicketOwnership(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		const alice, bob, acme = "u-alice", "u-bob", "u-acme"
		h.tokens[alice] = h.env.Grant(t, alice, "citizen", "ahz.s01.c01", authn.Citizen)
		h.tokens[bob] = h.env.Grant(t, bob, "citizen", "ahz.s01.c01", authn.Citizen)
		h.tokens[acme] = h.env.GrantEnterprise(t, acme, "enterprise", district, "91350100M000100Y43")
		require.Eventually(t, func() bool {
			_, err := h.client.ListTickets(h.as(acme), &ticketsv1.ListTicketsRequest{Parent: "tenants/" + district})
			return err == nil
		}, 10*time.Second, 20*time.Millisecond)

		file := func(sub, title string) *ticketsv1.Ticket {
			tk, err := h.client.CreateTicket(h.as(sub), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s01.c01", Ticket: &ticketsv1.Ticket{
				Source: ticketsv1.Source_SOURCE_ONLINE, Category: "general", Title: title, Description: "小区门口道路积水",
				Address: "示例社区 5 栋 302", Complainant: &ticketsv1.Complainant{Name: "王五", Phone: "13900000005"}}})
			require.NoError(t, err)
			return tk
		}
		mine := file(alice, "道路积水")
		victim := file(bob, "噪音扰民")
		require.Equal(t, bob, victim.GetOwner().GetSubject())
		hotline := h.create("H-1") // taken in by the 12345 platform: no applicant owns it

		require.Equal(t, []string{mine.GetName()}, listNames(t, h, alice, "tenants/ahz.s01.c01"))
		require.Empty(t, listNames(t, h, acme, "tenants/ahz"), "the enterprise filed nothing")
		require.ElementsMatch(t, []string{mine.GetName(), victim.GetName(), hotline.GetName()}, listNames(t, h, center, "tenants/ahz"))

		// Another's complaint (text, address, phone) is not there for a citizen.
		code, body := h.get(alice, "/v1/"+victim.GetName())
		require.Equal(t, http.StatusNotFound, code, string(body))
		require.Equal(t, "TICKET_NOT_FOUND", apptest.StableCode(body))
		code, body = h.get(alice, "/v1/"+mine.GetName())
		require.Equal(t, http.StatusOK, code, string(body))

		// Open311 with the citizen's token: its own request only.
		var got []geoRequest
		key := h.tokens[alice]
		require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "requests.json", url.Values{"jurisdiction_id": {"ahz.s01.c01"}, "api_key": {key}}, &got))
		require.Len(t, got, 1)
		var raw json.RawMessage
		_, victimID, _ := cutName(victim.GetName())
		require.Equal(t, http.StatusNotFound, h.geoCall(http.MethodGet, "requests/"+victimID+".json", url.Values{"jurisdiction_id": {"ahz.s01.c01"}, "api_key": {key}}, &raw), string(raw))
		require.Equal(t, http.StatusForbidden, h.geoCall(http.MethodGet, "servicerequestupdates.json", url.Values{"jurisdiction_id": {"ahz.s01.c01"}, "api_key": {key}}, &raw), string(raw))

		// Handling and statistics are staff's: refused, nothing changed.
		before, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: mine.GetName()})
		require.NoError(t, err)
		code, body = h.post(alice, "/v1/"+mine.GetName()+":dispatch", &ticketsv1.DispatchTicketRequest{Etag: mine.GetEtag(), AssigneeTenant: "ahz.s01.c01"})
		require.Equal(t, http.StatusForbidden, code, string(body))
		code, body = h.get(alice, "/v1/tenants/ahz.s01.c01/ticketStats")
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, code, string(body))
		after, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: mine.GetName()})
		require.NoError(t, err)
		require.True(t, proto.Equal(before, after))
	})
}

// cutName splits tenants/{t}/tickets/{id}.
func cutName(name string) (string, string, bool) {
	t, id, err := parseName("name", name)
	return string(t), id, err == nil
}
