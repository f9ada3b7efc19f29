package tickets

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

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

// TestAttackForgedSource: an enterprise files a ticket "from the 12345 hotline" with a
// chosen external id and a receipt 300 days back (which would have escalated it at once
// as overdue). It is refused and nothing is stored; the hotline's genuine push with that
// id then stores the real complaint. People file as what they are; the hotline's own
// backdating is bounded by the configured window; another application's ids live in a
// space of their own.
func TestAttackForgedSource(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		enterprise := h.env.Grant(t, "u-ent-1", "enterprise", district, authn.Enterprise)
		clerk := h.env.Grant(t, "u-window-1", "window_clerk", district, authn.Staff)
		app := h.env.Grant(t, "svc-street-app", "window_clerk", district, authn.Service) // an application, not a source
		now := h.clock.Now()
		create := func(token string, tk *ticketsv1.Ticket) (*ticketsv1.Ticket, error) {
			return h.client.CreateTicket(apptest.As(token), &ticketsv1.CreateTicketRequest{Parent: "tenants/" + district, Ticket: tk})
		}

		forged := hotlineTicket("12345-2026-7777")
		forged.Title, forged.Description = "伪造的热线工单", "冒充 12345 提交，并把接收时间倒填 300 天"
		forged.ReceivedTime = timestamppb.New(now.AddDate(0, 0, -300))
		_, err := create(enterprise, forged)
		apptest.RequireCode(t, err, codes.PermissionDenied, "SOURCE_NOT_CALLER")

		for _, tc := range []struct {
			name   string
			token  string
			mutate func(*ticketsv1.Ticket)
			code   codes.Code
			stable string
		}{
			{"enterprise names the business platform", enterprise, func(tk *ticketsv1.Ticket) {
				tk.Source = ticketsv1.Source_SOURCE_BUSINESS_PLATFORM
			}, codes.PermissionDenied, "SOURCE_NOT_CALLER"},
			{"enterprise as online with the hotline's id", enterprise, func(tk *ticketsv1.Ticket) {
				tk.Source, tk.ReceivedTime = ticketsv1.Source_SOURCE_ONLINE, nil
			}, codes.PermissionDenied, "EXTERNAL_ID_NOT_ALLOWED"},
			{"enterprise backdates", enterprise, func(tk *ticketsv1.Ticket) {
				tk.Source, tk.ExternalId = ticketsv1.Source_SOURCE_UNSPECIFIED, ""
			}, codes.PermissionDenied, "RECEIVED_TIME_NOT_ALLOWED"},
			{"enterprise claims to be a window", enterprise, func(tk *ticketsv1.Ticket) {
				tk.Source, tk.ExternalId, tk.ReceivedTime = ticketsv1.Source_SOURCE_WALK_IN, "", nil
			}, codes.PermissionDenied, "SOURCE_NOT_CALLER"},
			{"clerk files a petition", clerk, func(tk *ticketsv1.Ticket) {
				tk.Source, tk.ExternalId, tk.ReceivedTime = ticketsv1.Source_SOURCE_PETITION, "", nil
			}, codes.PermissionDenied, "SOURCE_NOT_CALLER"},
			{"an application posing as the hotline", app, func(tk *ticketsv1.Ticket) { tk.ReceivedTime = nil },
				codes.PermissionDenied, "SOURCE_NOT_CALLER"},
			{"the hotline as a petition", h.tokens[hotline], func(tk *ticketsv1.Ticket) {
				tk.Source, tk.ReceivedTime = ticketsv1.Source_SOURCE_PETITION, nil
			}, codes.PermissionDenied, "SOURCE_NOT_CALLER"},
			{"the hotline beyond its backdating window", h.tokens[hotline], func(*ticketsv1.Ticket) {},
				codes.InvalidArgument, "INVALID_ARGUMENT"},
		} {
			tk := proto.Clone(forged).(*ticketsv1.Ticket)
			tc.mutate(tk)
			_, err := create(tc.token, tk)
			apptest.RequireCode(t, err, tc.code, tc.stable)
		}
		_, err = create(h.tokens[hotline], forged)
		apptest.RequireField(t, err, "ticket.received_time", "RECEIVED_TOO_LONG_AGO")
		require.Zero(t, h.count(`SELECT COUNT(*) FROM tickets`), "nothing is stored")
		require.Zero(t, h.count(`SELECT COUNT(*) FROM outbox_events`), "no one is told")
		require.Zero(t, h.auditCount(district))

		// The genuine push, a week old: the real complaint is stored under the hotline.
		genuine := hotlineTicket("12345-2026-7777")
		genuine.ReceivedTime = timestamppb.New(now.AddDate(0, 0, -7))
		got, err := create(h.tokens[hotline], genuine)
		require.NoError(t, err)
		require.Equal(t, genuine.GetTitle(), got.GetTitle())
		require.Equal(t, ticketsv1.Source_SOURCE_HOTLINE_12345, got.GetSource())
		require.Equal(t, "12345-2026-7777", got.GetExternalId())
		require.True(t, got.GetCreateTime().AsTime().Equal(genuine.GetReceivedTime().AsTime()))
		// The source may leave its source out: it is the caller's anyway.
		unnamed := hotlineTicket("12345-2026-7778")
		unnamed.Source = ticketsv1.Source_SOURCE_UNSPECIFIED
		got2, err := create(h.tokens[hotline], unnamed)
		require.NoError(t, err)
		require.Equal(t, ticketsv1.Source_SOURCE_HOTLINE_12345, got2.GetSource())

		// People file as what they are.
		walkIn := &ticketsv1.Ticket{Category: "general", Title: "路灯不亮", Description: "小区门口路灯损坏"}
		byClerk, err := create(clerk, walkIn)
		require.NoError(t, err)
		require.Equal(t, ticketsv1.Source_SOURCE_WALK_IN, byClerk.GetSource())
		byEnterprise, err := create(enterprise, walkIn)
		require.NoError(t, err)
		require.Equal(t, ticketsv1.Source_SOURCE_ONLINE, byEnterprise.GetSource())

		// An application's own id cannot reach the hotline's ticket: it is kept under the
		// application's client id, and a resend finds the application's own ticket.
		appTicket := &ticketsv1.Ticket{ExternalId: "12345-2026-7777", Category: "general", Title: "占道经营", Description: "路口早市占道"}
		a1, err := create(app, appTicket)
		require.NoError(t, err)
		require.Equal(t, ticketsv1.Source_SOURCE_ONLINE, a1.GetSource())
		require.Equal(t, "svc-street-app/12345-2026-7777", a1.GetExternalId())
		require.NotEqual(t, got.GetName(), a1.GetName())
		a2, err := create(app, appTicket)
		require.NoError(t, err)
		require.Equal(t, a1.GetName(), a2.GetName())
		require.Equal(t, 5, h.count(`SELECT COUNT(*) FROM tickets`))
	})
}

// TestAttackUnboundedStats: statistics over all of history, or a window that ends before
// it starts, are refused with INVALID_WINDOW; a missing bound is filled in, never open.
func TestAttackUnboundedStats(t *testing.T) {
	h := startHarness(t, "")
	h.dispatched("stats-1")
	now := h.clock.Now()
	for _, tc := range []struct {
		start, end *timestamppb.Timestamp
		field      string
	}{
		{timestamppb.New(time.Unix(0, 0)), timestamppb.New(now), "end_time"},
		{timestamppb.New(now), timestamppb.New(now.Add(-time.Hour)), "end_time"},
		{&timestamppb.Timestamp{Seconds: -1 << 62}, nil, "start_time"},
	} {
		_, err := h.client.GetTicketStats(h.as(center), &ticketsv1.GetTicketStatsRequest{Parent: "tenants/ahz",
			GroupBy: ticketsv1.StatsGroup_STATS_GROUP_TENANT, StartTime: tc.start, EndTime: tc.end})
		apptest.RequireField(t, err, tc.field, "INVALID_WINDOW")
	}
	s, err := h.client.GetTicketStats(h.as(center), &ticketsv1.GetTicketStatsRequest{Parent: "tenants/ahz",
		GroupBy: ticketsv1.StatsGroup_STATS_GROUP_TENANT})
	require.NoError(t, err)
	require.Len(t, s.GetRows(), 1, "without bounds: the year up to now, which holds the ticket dispatched just now")
}
