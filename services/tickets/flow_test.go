package tickets

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestReturnAndRedispatch: a ticket routed to the wrong community is returned with a
// reason, goes back to dispatch and is re-dispatched; the wrong community can no longer
// act on it. Both engines.
func TestReturnAndRedispatch(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) { testReturnAndRedispatch(t, dsn) })
}

func testReturnAndRedispatch(t *testing.T, dsn string) {
	h := startHarness(t, dsn)
	tk := h.create("12345-return")
	tk, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{
		Name: tk.GetName(), Etag: tk.GetEtag(), AssigneeTenant: "ahz.s01.c02", AssigneeDepartment: "社区服务站"})
	require.NoError(t, err)

	_, err = h.client.ReturnTicket(h.as(wrongComm), &ticketsv1.ReturnTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag()})
	apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	tk, err = h.client.ReturnTicket(h.as(wrongComm), &ticketsv1.ReturnTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), Reason: "地址属于一社区"})
	require.NoError(t, err)
	require.Equal(t, ticketsv1.State_STATE_RECEIVED, tk.GetState())
	require.Empty(t, tk.GetAssigneeTenant())
	require.Equal(t, int32(1), tk.GetReturnCount())
	require.Equal(t, "地址属于一社区", tk.GetReturnReason())

	tk, err = h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{
		Name: tk.GetName(), Etag: tk.GetEtag(), AssigneeTenant: "ahz.s01.c01", AssigneeDepartment: "社区服务站"})
	require.NoError(t, err)
	// Over HTTP, as the assignees' clients call it.
	status, body := h.post(wrongComm, "/v1/"+tk.GetName()+":claim", &ticketsv1.ClaimTicketRequest{Etag: tk.GetEtag()})
	require.Equal(t, http.StatusForbidden, status, string(body))
	require.Equal(t, "NOT_ASSIGNEE", apptest.HTTPError(t, body).GetCode())
	status, body = h.post(community, "/v1/"+tk.GetName()+":claim", &ticketsv1.ClaimTicketRequest{Etag: tk.GetEtag()})
	require.Equal(t, http.StatusOK, status, string(body))
	require.NoError(t, protojson.Unmarshal(body, tk))
	require.Equal(t, ticketsv1.State_STATE_CLAIMED, tk.GetState())
	require.Equal(t, community, tk.GetAssigneeHandler())
	// Received, dispatched, returned (received), dispatched, claimed.
	require.Equal(t, 5, h.count(`SELECT COUNT(*) FROM outbox_events`))
}

// TestExtension: an extension requested before expiry and approved by the street above
// the community moves the close deadline by exactly the approved working days; the
// community cannot approve its own; after expiry no extension can be requested.
func TestExtension(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	tk := h.dispatched("12345-extension")
	tk, err := h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag()})
	require.NoError(t, err)
	// Received Wednesday 2026-11-25: 3 working days end with Monday 11-30.
	require.True(t, tk.GetCloseDue().AsTime().Equal(cst(2026, time.December, 1, 0)), tk.GetCloseDue().AsTime())
	require.False(t, tk.GetCloseDueProvisional())

	_, err = h.client.RequestExtension(h.as(community), &ticketsv1.RequestExtensionRequest{Ticket: tk.GetName(), WorkingDays: 0, Reason: "需现场核查"})
	apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_EXTENSION_DAYS")
	_, err = h.client.DecideExtension(h.as(street), &ticketsv1.DecideExtensionRequest{Ticket: tk.GetName(), Approve: true})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "NO_PENDING_EXTENSION")
	tk, err = h.client.RequestExtension(h.as(community), &ticketsv1.RequestExtensionRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), WorkingDays: 2, Reason: "需现场核查"})
	require.NoError(t, err)
	require.Equal(t, int32(2), tk.GetPendingExtension().GetWorkingDays())
	_, err = h.client.RequestExtension(h.as(community), &ticketsv1.RequestExtensionRequest{Ticket: tk.GetName(), WorkingDays: 1, Reason: "再延"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "EXTENSION_PENDING")

	// The community may not approve its own request; the street above may.
	_, err = h.client.DecideExtension(h.as(community), &ticketsv1.DecideExtensionRequest{Ticket: tk.GetName(), Approve: true})
	apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	before := tk.GetCloseDue().AsTime()
	tk, err = h.client.DecideExtension(h.as(street), &ticketsv1.DecideExtensionRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), Approve: true})
	require.NoError(t, err)
	require.Nil(t, tk.GetPendingExtension())
	require.Equal(t, int32(2), tk.GetExtendedWorkingDays())
	after := tk.GetCloseDue().AsTime()
	require.True(t, after.Equal(cst(2026, time.December, 3, 0)), after)
	moved, err := h.srv.svc.cal.WorkingDaysBetween(before.Add(-time.Nanosecond), after.Add(-time.Nanosecond))
	require.NoError(t, err)
	require.Equal(t, 2, moved.Days)

	// After the deadline, no more extensions.
	h.clock.Set(cst(2026, time.December, 4, 9))
	_, err = h.client.RequestExtension(h.as(community), &ticketsv1.RequestExtensionRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), WorkingDays: 1, Reason: "仍需核查"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "EXTENSION_AFTER_EXPIRY")
}

// TestPauseForComplainant: waiting for the complainant stops the close clock; the
// deadline moves by the working days paused.
func TestPauseForComplainant(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	tk := h.dispatched("12345-pause")
	tk, err := h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag()})
	require.NoError(t, err)
	h.clock.Set(cst(2026, time.November, 26, 10))
	tk, err = h.client.PauseTicket(h.as(community), &ticketsv1.PauseTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag(), Reason: "等待来电人补充地址"})
	require.NoError(t, err)
	require.True(t, tk.GetPaused())
	_, err = h.client.PauseTicket(h.as(community), &ticketsv1.PauseTicketRequest{Ticket: tk.GetName(), Reason: "again"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ALREADY_PAUSED")
	// Resumed Monday: Friday and Monday were paused, so the deadline moves 2 working days.
	h.clock.Set(cst(2026, time.November, 30, 10))
	tk, err = h.client.ResumeTicket(h.as(community), &ticketsv1.ResumeTicketRequest{Ticket: tk.GetName(), Etag: tk.GetEtag()})
	require.NoError(t, err)
	require.False(t, tk.GetPaused())
	require.True(t, tk.GetCloseDue().AsTime().Equal(cst(2026, time.December, 3, 0)), tk.GetCloseDue().AsTime())
}

// TestCrossTenant: a sibling street sees and touches nothing of another street's
// tickets; dispatch outside the dispatcher's subtree is refused; the assignee lists the
// tickets assigned to it.
func TestCrossTenant(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	tk := h.dispatched("12345-cross")
	_, err := h.client.GetTicket(h.as(sibling), &ticketsv1.GetTicketRequest{Name: tk.GetName()})
	apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.client.ListTickets(h.as(sibling), &ticketsv1.ListTicketsRequest{Parent: "tenants/ahz.s01"})
	apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.client.ClaimTicket(h.as(sibling), &ticketsv1.ClaimTicketRequest{Ticket: tk.GetName()})
	apptest.RequireCode(t, err, codes.PermissionDenied, "NOT_ASSIGNEE")
	list, err := h.client.ListTickets(h.as(sibling), &ticketsv1.ListTicketsRequest{Parent: "tenants/ahz.s02"})
	require.NoError(t, err)
	require.Empty(t, list.GetTickets())

	// The community sees the ticket assigned to it.
	list, err = h.client.ListTickets(h.as(community), &ticketsv1.ListTicketsRequest{Parent: "tenants/ahz.s01.c01"})
	require.NoError(t, err)
	require.Len(t, list.GetTickets(), 1)
	require.Equal(t, tk.GetName(), list.GetTickets()[0].GetName())

	// A street's own walk-in ticket cannot be dispatched into another street.
	own, err := h.client.CreateTicket(h.as(street), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s01", Ticket: &ticketsv1.Ticket{
		Source: ticketsv1.Source_SOURCE_WALK_IN, Category: "general", Title: "路灯不亮", Description: "小区门口路灯损坏"}})
	require.NoError(t, err)
	_, err = h.client.DispatchTicket(h.as(street), &ticketsv1.DispatchTicketRequest{
		Name: own.GetName(), Etag: own.GetEtag(), AssigneeTenant: "ahz.s02.c01", AssigneeDepartment: "社区服务站"})
	apptest.RequireCode(t, err, codes.InvalidArgument, "DISPATCH_OUTSIDE_SUBTREE")
	again, err := h.client.GetTicket(h.as(street), &ticketsv1.GetTicketRequest{Name: own.GetName()})
	require.NoError(t, err)
	require.Equal(t, ticketsv1.State_STATE_RECEIVED, again.GetState())
}

// TestSweep: an unclaimed ticket crosses 50/75/100 % of its response clock and escalates
// to the street, then of its close clock and escalates to the district; every crossing is
// recorded once however often the sweep runs.
func TestSweep(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) { testSweep(t, dsn) })
}

func testSweep(t *testing.T, dsn string) {
	h := startHarness(t, dsn)
	ctx := context.Background()
	tk := h.dispatched("12345-sweep")
	svc := h.srv.svc

	alerts := func(clock string) int {
		return h.count(`SELECT COUNT(*) FROM ticket_alerts WHERE ticket_id = $1 AND clock = $2`, tk.GetName()[len("tenants/ahz/tickets/"):], clock)
	}
	get := func() *ticketsv1.Ticket {
		got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: tk.GetName()})
		require.NoError(t, err)
		return got
	}

	// Thursday noon: the same-day response limit has passed, the close limit has not.
	thursday := cst(2026, time.November, 26, 12)
	n, err := svc.sweep(ctx, thursday, false)
	require.NoError(t, err)
	require.Positive(t, n)
	require.Equal(t, 3, alerts("response"))
	require.Equal(t, "ahz.s01", get().GetEscalatedTo())
	// The sweep looks at the ticket again only at its next threshold ahead.
	require.Equal(t, 1, h.count(`SELECT COUNT(*) FROM tickets WHERE next_check_us > $1`, thursday.UnixMicro()))
	closeBefore := alerts("close")
	require.Less(t, closeBefore, 3)
	n, err = svc.sweep(ctx, thursday, false)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, "ahz.s01", get().GetEscalatedTo())

	// The SLA gauges' counts: one open ticket, due soon or overdue by its close deadline.
	counts := func(now time.Time) slasweep.Count {
		got, err := svc.st.caseCounts(ctx, now)
		require.NoError(t, err)
		require.Len(t, got, 1)
		return got[0]
	}
	due := get().GetCloseDue().AsTime()
	require.Equal(t, slasweep.Count{Tenant: "ahz", Category: tk.GetCategory(), Open: 1}, counts(due.Add(-slasweep.DueSoon-time.Minute)))
	require.Equal(t, slasweep.Count{Tenant: "ahz", Category: tk.GetCategory(), Open: 1, DueSoon: 1}, counts(due.Add(-time.Hour)))
	require.Equal(t, slasweep.Count{Tenant: "ahz", Category: tk.GetCategory(), Open: 1, Overdue: 1}, counts(due.Add(time.Minute)))

	// After the close deadline: the district.
	late := cst(2026, time.December, 2, 9)
	n, err = svc.sweep(ctx, late, false)
	require.NoError(t, err)
	require.Equal(t, 3-closeBefore, n)
	n, err = svc.sweep(ctx, late, false)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, 3, alerts("response"))
	require.Equal(t, 3, alerts("close"))
	got := get()
	require.Equal(t, "ahz", got.GetEscalatedTo())
	require.Equal(t, ticketsv1.Priority_PRIORITY_URGENT, got.GetPriority())
	require.Equal(t, 6, h.count(`SELECT COUNT(*) FROM ticket_alerts`))

	// Escalations are audited under the sweep's name.
	require.Equal(t, 2, h.auditCountBy(district, sweepActor))
}

// TestProvisionalDeadline: a deadline counted into a year whose holiday schedule is not
// loaded is provisional; when admins load the year, the sweep redates it.
func TestProvisionalDeadline(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	h.clock.Set(cst(2026, time.December, 30, 10)) // Wednesday; 2027 has no schedule yet
	tk := h.create("12345-provisional")
	// Thursday 12-31, Friday 01-01 (a working day by the weekend rule), Monday 01-04.
	require.True(t, tk.GetCloseDueProvisional())
	require.True(t, tk.GetCloseDue().AsTime().Equal(cst(2027, time.January, 5, 0)), tk.GetCloseDue().AsTime())

	require.NoError(t, calendar.Put(context.Background(), h.etcd, calendar.Year{
		Year: 2027, Source: calendar.Source{Title: "测试用 2027 年节假日安排"},
		Holidays: []calendar.Holiday{{Name: "元旦", DaysOff: []string{"2027-01-01"}}},
	}))
	require.Eventually(t, func() bool {
		_, err := h.srv.svc.sweep(context.Background(), h.clock.Now(), true)
		require.NoError(t, err)
		got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: tk.GetName()})
		require.NoError(t, err)
		return !got.GetCloseDueProvisional() && got.GetCloseDue().AsTime().Equal(cst(2027, time.January, 6, 0))
	}, 10*time.Second, 50*time.Millisecond)
}

// TestMerge: a duplicate is merged into the ticket handled in its place (both audited in
// one transaction); merging into a ticket the caller cannot see, into itself, or into a
// closed ticket is refused and changes nothing.
func TestMerge(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	primary := h.create("12345-merge-a")
	dup := h.create("12345-merge-b")

	_, err := h.client.MergeTicket(h.as(center), &ticketsv1.MergeTicketRequest{Name: dup.GetName(), Into: dup.GetName()})
	apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")

	// A street cannot merge its ticket into another street's.
	mine, err := h.client.CreateTicket(h.as(street), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s01", Ticket: &ticketsv1.Ticket{
		Source: ticketsv1.Source_SOURCE_WALK_IN, Category: "general", Title: "噪音扰民", Description: "夜间施工噪音"}})
	require.NoError(t, err)
	theirs, err := h.client.CreateTicket(h.as(sibling), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s02", Ticket: &ticketsv1.Ticket{
		Source: ticketsv1.Source_SOURCE_WALK_IN, Category: "general", Title: "噪音扰民", Description: "夜间施工噪音"}})
	require.NoError(t, err)
	_, err = h.client.MergeTicket(h.as(street), &ticketsv1.MergeTicketRequest{Name: mine.GetName(), Into: theirs.GetName()})
	apptest.RequireCode(t, err, codes.PermissionDenied, "MERGE_NOT_VISIBLE")

	merged, err := h.client.MergeTicket(h.as(center), &ticketsv1.MergeTicketRequest{Name: dup.GetName(), Etag: dup.GetEtag(), Into: primary.GetName()})
	require.NoError(t, err)
	require.Equal(t, ticketsv1.State_STATE_CLOSED, merged.GetState())
	require.Equal(t, primary.GetName(), merged.GetMergedInto())
	got, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: primary.GetName()})
	require.NoError(t, err)
	require.Equal(t, []string{dup.GetName()}, got.GetDuplicates())
	require.Equal(t, ticketsv1.State_STATE_RECEIVED, got.GetState())

	// Into a closed ticket: refused, and the would-be duplicate is untouched.
	third := h.create("12345-merge-c")
	_, err = h.client.MergeTicket(h.as(center), &ticketsv1.MergeTicketRequest{Name: third.GetName(), Into: dup.GetName()})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
	again, err := h.client.GetTicket(h.as(center), &ticketsv1.GetTicketRequest{Name: third.GetName()})
	require.NoError(t, err)
	require.Equal(t, third.GetEtag(), again.GetEtag())
	require.Equal(t, ticketsv1.State_STATE_RECEIVED, again.GetState())
	// The source hears that the duplicate was closed.
	require.Eventually(t, func() bool {
		states := h.hook.states(dup.GetName())
		return len(states) == 2 && slices.Contains(states, "STATE_CLOSED")
	}, 10*time.Second, 20*time.Millisecond)
}

// TestJointHandling: a joint ticket (联办) with a lead and two co-handlers in other
// tenants can be replied to, and so closed, only when every co-handler has finished its
// part; each co-handler acts only on its own part. Both engines.
func TestJointHandling(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) { testJointHandling(t, dsn) })
}

func testJointHandling(t *testing.T, dsn string) {
	h := startHarness(t, dsn)
	tk := h.create("12345-joint")
	_, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{Name: tk.GetName(), AssigneeTenant: "ahz.s01.c01",
		AssigneeDepartment: "社区服务站", CoHandlers: []*ticketsv1.CoHandler{{Tenant: "ahz.s01.c01", Department: "重复"}}})
	apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	tk, err = h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{Name: tk.GetName(), Etag: tk.GetEtag(),
		AssigneeTenant: "ahz.s01.c01", AssigneeDepartment: "社区服务站", CoHandlers: []*ticketsv1.CoHandler{
			{Tenant: "ahz.s01.c02", Department: "物业办"}, {Tenant: "ahz.s02", Department: "城管科"}}})
	require.NoError(t, err)
	require.Len(t, tk.GetCoHandlers(), 2)
	for _, c := range tk.GetCoHandlers() {
		require.Equal(t, ticketsv1.PartState_PART_STATE_DISPATCHED, c.GetState())
		require.True(t, c.GetDue().AsTime().Equal(cst(2026, time.December, 1, 0)), c.GetDue().AsTime())
	}
	name := tk.GetName()
	_, err = h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name})
	require.NoError(t, err)
	_, err = h.client.StartTicket(h.as(community), &ticketsv1.StartTicketRequest{Ticket: name})
	require.NoError(t, err)
	reply := func() error {
		_, err := h.client.ReplyTicket(h.as(community), &ticketsv1.ReplyTicketRequest{Ticket: name, Reply: "各单位已联合处置"})
		return err
	}
	apptest.RequireCode(t, reply(), codes.FailedPrecondition, "CO_HANDLERS_PENDING")

	// Each co-handler works on its own part only.
	_, err = h.client.FinishPart(h.as(sibling), &ticketsv1.FinishPartRequest{Ticket: name, Tenant: "ahz.s02", Result: "已处置"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION") // not claimed yet
	_, err = h.client.ClaimPart(h.as(community), &ticketsv1.ClaimPartRequest{Ticket: name, Tenant: "ahz.s02"})
	apptest.RequireCode(t, err, codes.PermissionDenied, "NOT_ASSIGNEE")
	_, err = h.client.ClaimPart(h.as(sibling), &ticketsv1.ClaimPartRequest{Ticket: name, Tenant: "ahz.s03"})
	apptest.RequireCode(t, err, codes.NotFound, "CO_HANDLER_NOT_FOUND")
	_, err = h.client.ClaimPart(h.as(sibling), &ticketsv1.ClaimPartRequest{Ticket: name, Tenant: "ahz.s02"})
	require.NoError(t, err)
	_, err = h.client.FinishPart(h.as(sibling), &ticketsv1.FinishPartRequest{Ticket: name, Tenant: "ahz.s02"})
	apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = h.client.FinishPart(h.as(sibling), &ticketsv1.FinishPartRequest{Ticket: name, Tenant: "ahz.s02", Result: "占道经营已清理"})
	require.NoError(t, err)
	apptest.RequireCode(t, reply(), codes.FailedPrecondition, "CO_HANDLERS_PENDING")

	_, err = h.client.ClaimPart(h.as(wrongComm), &ticketsv1.ClaimPartRequest{Ticket: name, Tenant: "ahz.s01.c02"})
	require.NoError(t, err)
	tk, err = h.client.FinishPart(h.as(wrongComm), &ticketsv1.FinishPartRequest{Ticket: name, Tenant: "ahz.s01.c02", Result: "物业已整改"})
	require.NoError(t, err)
	for _, c := range tk.GetCoHandlers() {
		require.Equal(t, ticketsv1.PartState_PART_STATE_DONE, c.GetState())
	}
	require.NoError(t, reply())
	tk, err = h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: name, Summary: "联办办结"})
	require.NoError(t, err)
	require.Equal(t, ticketsv1.State_STATE_CLOSED, tk.GetState())
}
