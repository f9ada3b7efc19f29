package tickets

import (
	"net/http"
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
