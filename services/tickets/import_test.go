package tickets

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestBatchImport: a backlog batch over HTTP receives each good item and refuses each bad
// one alone with its stable code; the same batch sent again returns the same tickets
// and makes none; an oversized or empty batch is refused whole and makes nothing. Both
// engines.
func TestBatchImport(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		bad := hotlineTicket("backlog-2")
		bad.Category = "ufo"
		noTitle := hotlineTicket("backlog-4")
		noTitle.Title = ""
		batch := &ticketsv1.BatchCreateTicketsRequest{Tickets: []*ticketsv1.Ticket{
			hotlineTicket("backlog-1"), bad, hotlineTicket("backlog-3"), noTitle, hotlineTicket("backlog-1"),
		}}
		send := func(req *ticketsv1.BatchCreateTicketsRequest) (int, *ticketsv1.BatchCreateTicketsResponse, []byte) {
			code, body := h.post(hotline, "/v1/tenants/ahz/tickets:batchCreate", req)
			var resp ticketsv1.BatchCreateTicketsResponse
			if code == http.StatusOK {
				require.NoError(t, protojson.Unmarshal(body, &resp))
			}
			return code, &resp, body
		}
		code, first, body := send(batch)
		require.Equal(t, http.StatusOK, code, string(body))
		require.Len(t, first.GetResults(), 5)
		for i, r := range first.GetResults() {
			require.Equal(t, int32(i), r.GetIndex())
		}
		require.NotEmpty(t, first.GetResults()[0].GetTicket().GetName())
		require.Equal(t, "UNKNOWN_CATEGORY", first.GetResults()[1].GetError().GetCode())
		require.Nil(t, first.GetResults()[1].GetTicket())
		require.NotEmpty(t, first.GetResults()[2].GetTicket().GetName())
		require.Equal(t, "INVALID_ARGUMENT", first.GetResults()[3].GetError().GetCode())
		require.Equal(t, "ticket.title", first.GetResults()[3].GetError().GetFieldViolations()[0].GetField())
		// The same external id twice in one batch is one ticket.
		require.Equal(t, first.GetResults()[0].GetTicket().GetName(), first.GetResults()[4].GetTicket().GetName())
		require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM tickets`))

		code, again, _ := send(batch)
		require.Equal(t, http.StatusOK, code)
		for i, r := range again.GetResults() {
			require.Equal(t, first.GetResults()[i].GetTicket().GetName(), r.GetTicket().GetName())
			require.Equal(t, first.GetResults()[i].GetError().GetCode(), r.GetError().GetCode())
		}
		require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM tickets`))

		big := &ticketsv1.BatchCreateTicketsRequest{}
		for i := range MaxBatch + 1 {
			big.Tickets = append(big.Tickets, hotlineTicket(fmt.Sprintf("big-%d", i)))
		}
		code, _, body = send(big)
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "BATCH_TOO_LARGE", apptest.HTTPError(t, body).GetCode())
		_, err := h.client.BatchCreateTickets(h.as(hotline), &ticketsv1.BatchCreateTicketsRequest{Parent: "tenants/ahz"})
		apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		// A caller without "create" at the tenant gets nothing in.
		_, err = h.client.BatchCreateTickets(h.as(sibling), &ticketsv1.BatchCreateTicketsRequest{Parent: "tenants/ahz", Tickets: big.Tickets[:1]})
		apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM tickets`))
	})
}

// TestBacklogKeepsReceivedTime: a backlog ticket keeps the time the source received it:
// its clocks start there (so one received a week ago is already past its 3-day close
// limit) and create_time says so; a time in the future or over a year back is refused
// and makes nothing.
func TestBacklogKeepsReceivedTime(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	now := h.clock.Now()
	old := hotlineTicket("backlog-old")
	old.ReceivedTime = timestamppb.New(cst(2026, time.November, 18, 9)) // the Wednesday before
	future := hotlineTicket("backlog-future")
	future.ReceivedTime = timestamppb.New(now.Add(time.Hour))
	ancient := hotlineTicket("backlog-ancient")
	ancient.ReceivedTime = timestamppb.New(now.AddDate(-2, 0, 0))

	resp, err := h.client.BatchCreateTickets(h.as(hotline), &ticketsv1.BatchCreateTicketsRequest{Parent: "tenants/ahz",
		Tickets: []*ticketsv1.Ticket{old, future, ancient, hotlineTicket("backlog-now")}})
	require.NoError(t, err)
	got := resp.GetResults()[0].GetTicket()
	require.True(t, got.GetCreateTime().AsTime().Equal(old.GetReceivedTime().AsTime()))
	require.True(t, got.GetCloseDue().AsTime().Before(now), "received a week ago: already past its close limit")
	require.Equal(t, "RECEIVED_IN_FUTURE", resp.GetResults()[1].GetError().GetFieldViolations()[0].GetCode())
	require.Equal(t, "RECEIVED_TOO_LONG_AGO", resp.GetResults()[2].GetError().GetFieldViolations()[0].GetCode())
	fresh := resp.GetResults()[3].GetTicket()
	require.True(t, fresh.GetCreateTime().AsTime().Equal(now), "no received_time: now")
	require.True(t, fresh.GetCloseDue().AsTime().After(now))
	require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM tickets`))
}
