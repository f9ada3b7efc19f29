package tickets

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// Scenarios of the attacks the security review reproduced: each now gets a clear refusal
// with a stable code and changes nothing.

// TestAttackUnknownTenant: a clerk files a ticket at a tenant the tree does not have (a
// made-up child of its own community). The chain refuses it before the method runs, over
// both transports, and nothing is stored.
func TestAttackUnknownTenant(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		clerk := h.env.Grant(t, "u-c01-clerk", "window_clerk", "ahz.s01.c01", authn.Staff)
		walkIn := &ticketsv1.Ticket{Source: ticketsv1.Source_SOURCE_WALK_IN, Category: "general", Title: "路灯不亮", Description: "小区门口路灯损坏"}

		_, err := h.client.CreateTicket(apptest.As(clerk), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s01.c01.x9", Ticket: walkIn})
		apptest.RequireCode(t, err, codes.NotFound, "TENANT_NOT_FOUND")
		status, body := apptest.PostJSON(t, h.base+"/v1/tenants/ahz.s01.c01.x9/tickets", clerk, walkIn)
		require.Equal(t, http.StatusNotFound, status, string(body))
		require.Equal(t, "TENANT_NOT_FOUND", apptest.StableCode(body))

		require.Zero(t, h.count(`SELECT COUNT(*) FROM tickets`))
		require.Zero(t, h.auditCount("ahz.s01.c01.x9"))
		require.Zero(t, h.auditCount("ahz.s01.c01"))
	})
}

// TestAttackOpen311PageOverflow: the page number that overflowed the offset and panicked
// the handler is a 400 with a stable code; so are its neighbours on both paged routes.
func TestAttackOpen311PageOverflow(t *testing.T) {
	h := startHarness(t, "")
	key := h.tokens[center]
	// The exact request of the report.
	req, err := http.NewRequest(http.MethodGet, h.base+"/open311/v2/requests.json?page=9223372036854777&page_size=1000&jurisdiction_id=ahz&api_key="+key, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	require.Contains(t, string(body), "INVALID_PAGE:")

	for _, route := range []string{"requests.json", "servicerequestupdates.json"} {
		for _, tc := range []struct {
			page, size string
			status     int
			code       string
		}{
			{"9223372036854777", "1000", http.StatusBadRequest, "INVALID_PAGE:"},
			{"99999999999999999999", "", http.StatusBadRequest, "INVALID_PAGE:"},
			{"-1", "10", http.StatusBadRequest, "INVALID_PAGE:"},
			{"0", "10", http.StatusBadRequest, "INVALID_PAGE:"},
			{"12", "1000", http.StatusBadRequest, "INVALID_PAGE:"}, // 11,000 items skipped
			{"11", "1000", http.StatusOK, ""},                      // exactly the limit: an empty page
			{"1", "1001", http.StatusBadRequest, "INVALID_PAGE_SIZE:"},
			{"1", "4294967297", http.StatusBadRequest, "INVALID_PAGE_SIZE:"},
			{"1", "0", http.StatusBadRequest, "INVALID_PAGE_SIZE:"},
		} {
			q := url.Values{"jurisdiction_id": {"ahz"}, "api_key": {key}, "page": {tc.page}}
			if tc.size != "" {
				q.Set("page_size", tc.size)
			}
			if tc.status == http.StatusOK {
				var out []json.RawMessage
				require.Equal(t, tc.status, h.geoCall(http.MethodGet, route, q, &out), "%s %v", route, tc)
				require.Empty(t, out)
				continue
			}
			var out []geoError
			require.Equal(t, tc.status, h.geoCall(http.MethodGet, route, q, &out), "%s %v", route, tc)
			require.True(t, strings.HasPrefix(out[0].Description, tc.code), "%s %v: %s", route, tc, out[0].Description)
		}
	}
}
