package tickets

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestReminders: as an unclaimed ticket's clocks run, the sweep sends a signed reminder
// at 50 % and 75 % and an escalation at 100 % of both the response and the close clock,
// each once however often it runs, and GetTicket (over HTTP) shows every crossing.
// Both engines.
func TestReminders(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		ctx := context.Background()
		tk := h.dispatched("12345-remind")
		svc := h.srv.svc

		received := func() map[string]int {
			h.notify.mu.Lock()
			defer h.notify.mu.Unlock()
			out := map[string]int{}
			for _, rec := range h.notify.got {
				var p struct {
					Name         string `json:"name"`
					Clock        string `json:"clock"`
					Threshold    int    `json:"threshold"`
					NotifyTenant string `json:"notify_tenant"`
				}
				require.NoError(t, json.Unmarshal(rec.Body, &p))
				require.Equal(t, tk.GetName(), p.Name)
				key := p.Clock + "/" + strconv.Itoa(p.Threshold) + "/" + p.NotifyTenant
				out[key]++
			}
			return out
		}
		// Three passes at growing times, each run twice: the second run of each adds nothing.
		for _, at := range []time.Time{cst(2026, time.November, 25, 20), cst(2026, time.November, 26, 12), cst(2026, time.December, 2, 9)} {
			_, err := svc.sweep(ctx, at, false)
			require.NoError(t, err)
			n, err := svc.sweep(ctx, at, false)
			require.NoError(t, err)
			require.Zero(t, n, "a second pass at the same time records nothing")
		}
		// 50/75 remind the community handling it; 100 tells the tier escalated to.
		want := map[string]int{
			"response/50/ahz.s01.c01": 1, "response/75/ahz.s01.c01": 1, "response/100/ahz.s01": 1,
			"close/50/ahz.s01.c01": 1, "close/75/ahz.s01.c01": 1, "close/100/ahz": 1,
		}
		require.Eventually(t, func() bool { return len(h.notify.ids()) >= 6 }, 15*time.Second, 20*time.Millisecond)
		require.Equal(t, want, received())
		require.Len(t, h.notify.ids(), 6, "no reminder twice")
		require.Equal(t, 4, h.count(`SELECT COUNT(*) FROM outbox_events WHERE topic = $1`, TopicReminder))
		require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM outbox_events WHERE topic = $1`, TopicEscalated))

		// The crossings are on the ticket.
		code, body := h.get(center, "/v1/"+tk.GetName())
		require.Equal(t, http.StatusOK, code, string(body))
		var got ticketsv1.Ticket
		require.NoError(t, protojson.Unmarshal(body, &got))
		require.Len(t, got.GetAlerts(), 6)
		escalations := map[string]string{}
		for _, a := range got.GetAlerts() {
			if a.GetThreshold() == 100 {
				escalations[a.GetClock()] = a.GetEscalatedTo()
			} else {
				require.Empty(t, a.GetEscalatedTo())
			}
		}
		require.Equal(t, map[string]string{"response": "ahz.s01", "close": "ahz"}, escalations)
		require.Equal(t, "ahz", got.GetEscalatedTo())
		// Reminders are not public status changes: the source heard only received and dispatched.
		require.Eventually(t, func() bool { return len(h.hook.states(tk.GetName())) == 2 }, 10*time.Second, 20*time.Millisecond)
	})
}

// TestPartReminders: a joint ticket's unfinished co-handler part has reminders and an
// overdue notice of its own, sent to the co-handler and then its superior, without moving
// the ticket's escalation; a finished part has none. Both engines.
func TestPartReminders(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		tk := h.create("12345-joint-remind")
		name := tk.GetName()
		_, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{Name: name, AssigneeTenant: "ahz.s01.c01",
			AssigneeDepartment: "社区服务站", CoHandlers: []*ticketsv1.CoHandler{
				{Tenant: "ahz.s01.c02", Department: "物业办"}, {Tenant: "ahz.s02", Department: "城管科"}}})
		require.NoError(t, err)
		_, err = h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name})
		require.NoError(t, err)
		_, err = h.client.ClaimPart(h.as(wrongComm), &ticketsv1.ClaimPartRequest{Ticket: name, Tenant: "ahz.s01.c02"})
		require.NoError(t, err)
		_, err = h.client.FinishPart(h.as(wrongComm), &ticketsv1.FinishPartRequest{Ticket: name, Tenant: "ahz.s01.c02", Result: "物业已整改"})
		require.NoError(t, err)

		late := cst(2026, time.December, 2, 9)
		_, err = h.srv.svc.sweep(context.Background(), late, false)
		require.NoError(t, err)
		n, err := h.srv.svc.sweep(context.Background(), late, false)
		require.NoError(t, err)
		require.Zero(t, n)

		got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: name})
		require.NoError(t, err)
		alerts := map[string]string{}
		for _, a := range got.GetAlerts() {
			alerts[a.GetClock()+"/"+strconv.Itoa(int(a.GetThreshold()))] = a.GetEscalatedTo()
		}
		require.Equal(t, map[string]string{
			"close/50": "", "close/75": "", "close/100": "ahz.s01",
			"part:ahz.s02/50": "", "part:ahz.s02/75": "", "part:ahz.s02/100": "ahz",
		}, alerts)
		require.Equal(t, "ahz.s01", got.GetEscalatedTo(), "the part's overdue notice leaves the ticket's escalation alone")

		notified := func() map[string]string {
			h.notify.mu.Lock()
			defer h.notify.mu.Unlock()
			out := map[string]string{}
			for _, rec := range h.notify.got {
				var p struct {
					Clock        string `json:"clock"`
					Threshold    int    `json:"threshold"`
					NotifyTenant string `json:"notify_tenant"`
				}
				require.NoError(t, json.Unmarshal(rec.Body, &p))
				out[p.Clock+"/"+strconv.Itoa(p.Threshold)] = p.NotifyTenant
			}
			return out
		}
		require.Eventually(t, func() bool { return len(h.notify.ids()) >= 6 }, 15*time.Second, 20*time.Millisecond)
		require.Equal(t, map[string]string{
			"close/50": "ahz.s01.c01", "close/75": "ahz.s01.c01", "close/100": "ahz.s01",
			"part:ahz.s02/50": "ahz.s02", "part:ahz.s02/75": "ahz.s02", "part:ahz.s02/100": "ahz",
		}, notified())
		require.Len(t, h.notify.ids(), 6)
	})
}
