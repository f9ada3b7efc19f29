package tickets

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestListByEnterprise: credit_code lists the tickets an enterprise filed and those staff
// raised about it (its complainant), found again after the complainant column is
// back-filled from the sealed records; an enterprise applicant still lists only the
// tickets it owns, never one raised about itself or about another enterprise. Both engines.
func TestListByEnterprise(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		const acme, acmeCode, otherCode = "u-acme", "91350100M000100Y43", "91510100MA00002300"
		h.tokens[acme] = h.env.GrantEnterprise(t, acme, "enterprise", district, acmeCode)
		require.Eventually(t, func() bool {
			_, err := h.client.ListTickets(h.as(acme), &ticketsv1.ListTicketsRequest{Parent: "tenants/" + district})
			return err == nil
		}, 10*time.Second, 20*time.Millisecond)

		file := func(sub, code string) string {
			tk, err := h.client.CreateTicket(h.as(sub), &ticketsv1.CreateTicketRequest{Parent: "tenants/" + district, Ticket: &ticketsv1.Ticket{
				Source: ticketsv1.Source_SOURCE_SUGGESTION, Category: "enterprise", Title: "企业诉求", Description: "园区道路施工影响货车进出",
				Complainant: &ticketsv1.Complainant{Name: "李四", Phone: "13900000004", EnterpriseName: "示例企业", CreditCode: code}}})
			require.NoError(t, err)
			return tk.GetName()
		}
		filed := file(acme, acmeCode)    // filed by the enterprise: it owns it
		about := file(center, acmeCode)  // raised by staff about it
		other := file(center, otherCode) // raised by staff about another enterprise
		_ = file(center, "")             // no enterprise
		require.NotEqual(t, filed, about)

		list := func(sub, code string) []string {
			resp, err := h.client.ListTickets(h.as(sub), &ticketsv1.ListTicketsRequest{Parent: "tenants/" + district, CreditCode: code})
			require.NoError(t, err)
			var out []string
			for _, tk := range resp.GetTickets() {
				out = append(out, tk.GetName())
			}
			return out
		}
		check := func() {
			t.Helper()
			require.ElementsMatch(t, []string{filed, about}, list(center, acmeCode))
			require.Equal(t, []string{other}, list(center, otherCode))
			require.Equal(t, []string{filed}, list(acme, acmeCode), "staff's ticket about the enterprise is not the enterprise's own")
			require.Equal(t, []string{filed}, list(acme, ""))
			require.Empty(t, list(acme, otherCode))
			_, err := h.client.GetTicket(h.as(acme), &ticketsv1.GetTicketRequest{Name: other})
			require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
		}
		check()

		// Rows stored before complainant_org: found again once the backfill fills them.
		ctx := context.Background()
		_, err := h.srv.svc.db.Exec(ctx, `UPDATE tickets SET complainant_org = NULL`)
		require.NoError(t, err)
		require.Equal(t, []string{filed}, list(center, acmeCode))
		n, err := h.srv.svc.st.fillComplainantOrgs(ctx)
		require.NoError(t, err)
		require.Equal(t, 4, n)
		require.Zero(t, h.count(`SELECT COUNT(*) FROM tickets WHERE complainant_org IS NULL`))
		n, err = h.srv.svc.st.fillComplainantOrgs(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "a second pass finds nothing to fill")
		check()
	})
}

// TestListByEnterprisePlanSQLite: SQLite answers an enterprise's list from the owner and
// complainant indexes, not by scanning the table.
func TestListByEnterprisePlanSQLite(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	q, args := listSQL(context.Background(), district, listFilter{org: "91350100M000100Y43"}, "", 51)
	plan := explain(t, h.srv.svc.db, q, args...)
	t.Logf("list plan: %s", plan)
	require.Contains(t, plan, "tickets_owner_org")
	require.Contains(t, plan, "tickets_complainant_org")
	require.NotRegexp(t, `(?m)^SCAN tickets`, plan)
}
