package matters

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// employment is a 灵活就业人员登记 (promised 3, statutory 5 working days) filed at the
// community, which enables the matter first.
func (h *harness) employment() *mattersv1.Application {
	h.t.Helper()
	_, err := h.client.EnableMatter(h.as(communityAdmin), &mattersv1.EnableMatterRequest{Parent: "tenants/" + community, Matter: "matters/LHJYDJ"})
	require.NoError(h.t, err)
	a, err := h.client.SubmitApplication(h.as(communityClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/" + community,
		Application: &mattersv1.Application{Matter: "matters/LHJYDJ", Channel: mattersv1.Channel_CHANNEL_WINDOW, Window: "综合窗口",
			Applicant: &mattersv1.Applicant{Name: "钱七", Subject: citizenUser},
			Materials: []*mattersv1.SubmittedMaterial{{Name: "居民身份证", Document: doc(community, "ID7")}, {Name: "灵活就业情况说明", Document: doc(community, "NOTE7")}}}})
	require.NoError(h.t, err)
	return a
}

// alerts reads an application's recorded crossings over HTTP as "clock@threshold→tenant".
func (h *harness) alerts(name string) []string {
	h.t.Helper()
	code, body := h.get(communityClerk, "/v1/"+name+"/alerts")
	require.Equal(h.t, http.StatusOK, code, string(body))
	var resp mattersv1.ListAlertsResponse
	require.NoError(h.t, protojson.Unmarshal(body, &resp))
	var out []string
	for _, a := range resp.GetAlerts() {
		out = append(out, fmt.Sprintf("%s@%d→%s", a.GetClock(), a.GetThreshold(), a.GetEscalatedTo()))
	}
	slices.Sort(out)
	return out
}

// expectedCrossings is what the official calendar says the application's two clocks
// (promised 3, statutory 5 working days from filed) have crossed at at, with the
// escalation targets the sweep assigns in order (community → street → district).
func expectedCrossings(t *testing.T, filed, at time.Time) []string {
	cal, err := calendar.New(calendar.Official()...)
	require.NoError(t, err)
	var out []string
	targets := []string{"ahz.s01", "ahz"}
	for _, c := range []struct {
		name string
		n    int
	}{{"promised", 3}, {"statutory", 5}} {
		st, err := cal.Status(calendar.NewClock(filed, calendar.Duration{N: c.n, Unit: calendar.WorkingDays}), at)
		require.NoError(t, err)
		for _, th := range calendar.Thresholds {
			if st.Crossed >= th {
				to := ""
				if th == calendar.Threshold100 {
					to, targets = targets[0], targets[1:]
				}
				out = append(out, fmt.Sprintf("%s@%d→%s", c.name, th, to))
			}
		}
	}
	slices.Sort(out)
	return out
}

// The sweep records each 50/75/100 % crossing of an application's promised and statutory
// clocks once, when the calendar says it happens, escalates one tier at each 100 %
// (community → street → district), queues one outbox event per crossing, and a second
// pass — or a second sweeper — adds nothing. Both engines.
func TestClockRemindersAndEscalation(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		filed := cst(2025, time.September, 10, 10) // Wednesday
		h.clock.Set(filed)
		a := h.employment()
		require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM outbox_events WHERE topic = $1`, TopicStatusChanged))

		for _, at := range []time.Time{
			cst(2025, time.September, 10, 18), cst(2025, time.September, 11, 20), cst(2025, time.September, 12, 20),
			cst(2025, time.September, 15, 20), cst(2025, time.September, 16, 9), cst(2025, time.September, 18, 9),
		} {
			h.clock.Set(at)
			want := expectedCrossings(t, filed, at)
			n, err := h.srv.svc.clockSweep(t.Context(), at, false)
			require.NoError(t, err)
			require.LessOrEqual(t, n, len(want), at)
			require.Equal(t, want, h.alerts(a.GetName()), at)
			n, err = h.srv.svc.clockSweep(t.Context(), at, true) // again, looking at everything
			require.NoError(t, err)
			require.Zero(t, n, at)
		}
		// The SLA gauges' counts by the promised deadline: open, due soon, overdue.
		got0, err := h.client.GetApplication(h.as(communityClerk), &mattersv1.GetApplicationRequest{Name: a.GetName()})
		require.NoError(t, err)
		due := got0.GetPromisedDueTime().AsTime()
		tenant, _, _ := strings.Cut(strings.TrimPrefix(a.GetName(), "tenants/"), "/")
		for _, c := range []struct {
			at   time.Time
			want slasweep.Count
		}{
			{due.Add(-slasweep.DueSoon - time.Minute), slasweep.Count{Open: 1}},
			{due.Add(-time.Hour), slasweep.Count{Open: 1, DueSoon: 1}},
			{due.Add(time.Minute), slasweep.Count{Open: 1, Overdue: 1}},
		} {
			c.want.Tenant, c.want.Category = tenant, strings.TrimPrefix(a.GetMatter(), "matters/")
			counts, err := h.srv.svc.st.caseCounts(t.Context(), c.at)
			require.NoError(t, err)
			require.Equal(t, []slasweep.Count{c.want}, counts, c.at)
		}
		all := h.alerts(a.GetName())
		require.Len(t, all, 6)
		require.Equal(t, 6, h.count(`SELECT COUNT(*) FROM outbox_events WHERE topic = $1`, TopicAlert))
		got, err := h.client.GetApplication(h.as(communityClerk), &mattersv1.GetApplicationRequest{Name: a.GetName()})
		require.NoError(t, err)
		require.Equal(t, "ahz", got.GetEscalatedTo())
		require.Equal(t, 2, h.count(`SELECT COUNT(*) FROM audit_records WHERE resource = $1 AND action = 'matters.EscalateApplication'`, a.GetName())+
			h.count(`SELECT COUNT(*) FROM audit_pending WHERE resource = $1 AND action = 'matters.EscalateApplication'`, a.GetName()))
		// Nothing runs any more: the row leaves the sweep's view.
		require.Equal(t, 0, h.count(`SELECT COUNT(*) FROM applications WHERE next_check_us <= $1`, cst(2026, time.January, 1, 0).UnixMicro()))
	})
}

// A 补正 pause stops the clock: a sweep while paused records nothing even past the
// unpaused 50 % instant; after resubmission the thresholds come later by the paused
// working days. Once accepted, the current step's own clocks remind the handler (no
// escalation).
func TestClockPausesAndSteps(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		filed := cst(2025, time.September, 10, 10)
		h.clock.Set(filed)
		a := h.employment()
		h.clock.Set(cst(2025, time.September, 10, 11))
		a, err := h.client.RequestCorrection(h.as(communityClerk), &mattersv1.RequestCorrectionRequest{Name: a.GetName(), Etag: a.GetEtag(),
			MissingMaterials: []string{"灵活就业情况说明"}})
		require.NoError(t, err)
		// Unpaused, 50 % of 3 working days is long past by Tue 16.
		require.NotEmpty(t, expectedCrossings(t, filed, cst(2025, time.September, 16, 12)))
		h.clock.Set(cst(2025, time.September, 16, 12))
		n, err := h.srv.svc.clockSweep(t.Context(), h.clock.Now(), true)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Empty(t, h.alerts(a.GetName()))

		// Resubmitted Tue 16: Thu 11 to Tue 16 (4 working days) were paused.
		a, err = h.client.ResubmitApplication(h.as(communityClerk), &mattersv1.ResubmitApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(),
			Materials: []*mattersv1.SubmittedMaterial{{Name: "灵活就业情况说明", Document: doc(community, "NOTE1")}}})
		require.NoError(t, err)
		shifted := func(at time.Time) []string { // the same clocks, started 4 working days later
			return expectedCrossings(t, cst(2025, time.September, 16, 10), at)
		}
		require.True(t, a.GetPromisedDueTime().AsTime().Equal(cst(2025, time.September, 20, 0)), a.GetPromisedDueTime().AsTime())
		for _, at := range []time.Time{cst(2025, time.September, 17, 20), cst(2025, time.September, 18, 20)} {
			h.clock.Set(at)
			_, err := h.srv.svc.clockSweep(t.Context(), at, false)
			require.NoError(t, err)
			require.Equal(t, shifted(at), h.alerts(a.GetName()), at)
		}

		// Accepted: step 0 (受理, same day) runs its own clocks; its 100 % reminds only.
		b := h.employment()
		b, err = h.client.AcceptApplication(h.as(communityClerk), &mattersv1.AcceptApplicationRequest{Name: b.GetName(), Etag: b.GetEtag()})
		require.NoError(t, err)
		require.True(t, b.GetStepDueTime().AsTime().Equal(cst(2025, time.September, 19, 0)), b.GetStepDueTime().AsTime())
		h.clock.Set(cst(2025, time.September, 19, 9))
		_, err = h.srv.svc.clockSweep(t.Context(), h.clock.Now(), false)
		require.NoError(t, err)
		require.Subset(t, h.alerts(b.GetName()), []string{"step/0/promised@100→", "step/0/statutory@100→"})
		b, err = h.client.GetApplication(h.as(communityClerk), &mattersv1.GetApplicationRequest{Name: b.GetName()})
		require.NoError(t, err)
		require.Empty(t, b.GetEscalatedTo())
	})
}

// Every state change queues one status event in its own transaction; the payload names
// the application and its new state.
func TestStatusEvents(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	a := h.submit(startUp(allStartUpMaterials...))
	a, err := h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
	require.NoError(t, err)
	_, err = h.client.AssignApplication(h.as(hallClerk), &mattersv1.AssignApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Window: "3号窗口"})
	require.NoError(t, err) // no state change: no event
	rows, err := h.srv.svc.db.Query(t.Context(), `SELECT payload FROM outbox_events WHERE topic = $1 ORDER BY created_us`, TopicStatusChanged)
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	var states []string
	for rows.Next() {
		var b []byte
		require.NoError(t, rows.Scan(&b))
		var p struct {
			Name, State string
		}
		require.NoError(t, json.Unmarshal(b, &p))
		require.Equal(t, a.GetName(), p.Name)
		states = append(states, p.State)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"STATE_SUBMITTED", "STATE_ACCEPTED"}, states)
}

// A step that does not count toward the limit (低保's 7-day 公示) stops the application's
// clocks while it runs: the promised deadline moves by the working days it took.
func TestStepOutsideLimitPausesClock(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	h.clock.Set(cst(2025, time.September, 1, 9)) // Monday
	_, err := h.client.EnableMatter(h.as(communityAdmin), &mattersv1.EnableMatterRequest{Parent: "tenants/" + community, Matter: "matters/DBSQ"})
	require.NoError(t, err)
	var materials []*mattersv1.SubmittedMaterial
	for i, m := range []string{"低保申请书", "家庭成员身份证明", "家庭经济状况核对授权书"} {
		materials = append(materials, &mattersv1.SubmittedMaterial{Name: m, Document: doc(community, fmt.Sprintf("DB%d", i))})
	}
	a, err := h.client.SubmitApplication(h.as(communityClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/" + community,
		Application: &mattersv1.Application{Matter: "matters/DBSQ", Channel: mattersv1.Channel_CHANNEL_WINDOW, Applicant: &mattersv1.Applicant{Name: "孙八"}, Materials: materials}})
	require.NoError(t, err)
	due := a.GetPromisedDueTime().AsTime() // 20 working days from Mon 1 Sep
	a, err = h.client.AcceptApplication(h.as(communityClerk), &mattersv1.AcceptApplicationRequest{Name: a.GetName(), Etag: a.GetEtag()})
	require.NoError(t, err)
	for step := range int32(2) {
		a, err = h.client.CompleteStep(h.as(communityClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: step, Result: "完成"})
		require.NoError(t, err)
	}
	require.Equal(t, "公示", a.GetSteps()[2].GetName())
	require.True(t, a.GetPaused())
	h.clock.Set(cst(2025, time.September, 8, 9)) // 公示 ends the next Monday: Tue 2 – Mon 8 = 5 working days
	a, err = h.client.CompleteStep(h.as(communityClerk), &mattersv1.CompleteStepRequest{Name: a.GetName(), Etag: a.GetEtag(), Step: 2, Result: "公示无异议"})
	require.NoError(t, err)
	require.False(t, a.GetPaused())
	cal, err := calendar.New(calendar.Official()...)
	require.NoError(t, err)
	// Both deadlines are midnights: count the working days between their last days.
	moved, err := cal.WorkingDaysBetween(due.Add(-time.Nanosecond), a.GetPromisedDueTime().AsTime().Add(-time.Nanosecond))
	require.NoError(t, err)
	require.Equal(t, 5, moved.Days, "%v → %v", due, a.GetPromisedDueTime().AsTime())
}
