package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// sweepActor is who the audit log names for the sweep's changes.
const sweepActor = "system:tickets-sla"

// sweepLoop runs a pass now, then every interval and whenever the calendar changes (a
// newly loaded year redates provisional deadlines), until ctx ends (leader only). The
// first pass, and any after a calendar change, looks at every open ticket.
func (s *service) sweepLoop(ctx context.Context, interval time.Duration) error {
	defer s.slaCases.Clear() // no longer the leader: another replica reports
	slasweep.Loop(ctx, interval, s.cal, func(ctx context.Context, all bool) {
		now := s.now()
		if _, err := s.sweep(ctx, now, all); err != nil && ctx.Err() == nil {
			s.log.Warn("tickets: SLA sweep failed", "err", err)
		}
		counts, err := s.st.caseCounts(ctx, now)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("tickets: SLA counts failed", "err", err)
			}
			return
		}
		s.slaCases.Set(counts)
	})
	return nil
}

// sweep records every 50/75/100 % crossing of the open tickets' clocks at now, once each
// (the alert's primary key makes a second pass, or a second leader, a no-op), and at
// 100 % escalates the ticket one tier up (community → street → district). It returns
// how many crossings it recorded. A pass reads only the tickets whose next check is due
// (an index range), unless all is set: after a calendar change every open ticket is
// redated.
func (s *service) sweep(ctx context.Context, now time.Time, all bool) (int, error) {
	after := startCursor
	upTo := now
	if all {
		upTo = time.UnixMicro(never)
	}
	read := func(ctx context.Context, limit int) ([]*ticket, error) {
		batch, err := s.st.dueTickets(ctx, upTo, after, limit)
		if len(batch) > 0 {
			// Before sweepTicket moves the last one's next check: the cursor is where it was read.
			last := batch[len(batch)-1]
			after = sweepCursor{nextCheck: last.NextCheck, tenant: string(last.Tenant), id: last.ID}
		}
		return batch, err
	}
	return slasweep.Pages(ctx, read, func(ctx context.Context, tk *ticket) (int, error) { return s.sweepTicket(ctx, tk, now) })
}

// crossing is one threshold of one clock: the ticket's response or close clock (no part),
// or a co-handler's part.
type crossing = slasweep.Crossing[*part]

// partClockName names a co-handler's part clock in alerts.
func partClockName(pt *part) string { return "part:" + string(pt.Tenant) }

// clocks lists the ticket's clocks whose thresholds the sweep records: the response clock
// until answered, the close clock, and each unfinished part.
func clocks(tk *ticket) []slasweep.Clock[*part] {
	var out []slasweep.Clock[*part]
	if tk.Responded.IsZero() {
		out = append(out, slasweep.Clock[*part]{Name: "response", Clock: tk.ResponseClock})
	}
	out = append(out, slasweep.Clock[*part]{Name: closeClockName(tk), Clock: tk.CloseClock})
	if h := tk.Hard; h != nil && h.Explanation == "" {
		out = append(out, slasweep.Clock[*part]{Name: "explain", Clock: h.Clock})
	}
	for _, pt := range tk.Parts {
		if pt.State != ticketsv1.PartState_PART_STATE_DONE {
			out = append(out, slasweep.Clock[*part]{Name: partClockName(pt), Clock: pt.Clock, Of: pt})
		}
	}
	return out
}

func (s *service) sweepTicket(ctx context.Context, tk *ticket, now time.Time) (int, error) {
	todo, err := slasweep.Crossed(s.cal, now, clocks(tk)...)
	if err != nil {
		return 0, err
	}
	// Deadlines counted into a year whose schedule was not loaded are provisional; once
	// the calendar has the year they change, and the stored ones are brought up to date.
	before := tk.proto()
	oldResponse, oldClose, oldNext := tk.ResponseDue, tk.CloseDue, tk.NextCheck
	// Everything crossed by now is recorded below: look again at the next threshold ahead.
	if err := s.computeDuesFrom(tk, now, now.Add(time.Microsecond)); err != nil {
		return 0, err
	}
	redated := !sameDue(tk.ResponseDue, oldResponse) || !sameDue(tk.CloseDue, oldClose)
	if len(todo) == 0 && !redated {
		if tk.NextCheck != oldNext {
			return 0, s.st.setNextCheck(ctx, tk)
		}
		return 0, nil
	}
	recorded := 0
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		prev := tk.Revision
		escalated := false
		for _, c := range todo {
			to := tenancy.ID("")
			switch {
			case c.Threshold != calendar.Threshold100:
			case c.Of != nil:
				// An overdue part goes to the co-handler's superior; the ticket stays where it is.
				to = slasweep.OneUp(c.Of.Tenant)
			default:
				to = slasweep.EscalationTarget(tk.EscalatedTo, tk.handlingTenant())
			}
			added, err := s.st.addAlert(ctx, tk, c.Clock, c.Threshold, to, now)
			if err != nil {
				return err
			}
			if !added {
				continue
			}
			recorded++
			if err := s.remind(ctx, tk, c, to, now); err != nil {
				return err
			}
			s.db.AfterCommit(ctx, func() { s.slaCount.Add(ctx, string(tk.handlingTenant()), clockKind(c), c.Threshold) })
			if to != "" && c.Of == nil {
				tk.EscalatedTo, escalated = to, true
				if tk.Priority < ticketsv1.Priority_PRIORITY_URGENT {
					tk.Priority++
				}
			}
		}
		if !escalated && !redated {
			return s.st.setNextCheck(ctx, tk)
		}
		tk.Revision, tk.Updated = prev+1, now
		ok, err := s.st.update(ctx, tk, prev)
		if err != nil {
			return err
		}
		if !ok {
			// Changed under us: roll back the alerts too; the next pass sees it anew.
			return slasweep.ErrStale
		}
		action := "tickets.Escalate"
		if !escalated {
			action = "tickets.Redate"
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: tk.Tenant, Actor: sweepActor, Action: action,
			Resource: tk.name(), Before: before, After: tk.proto(), Time: now})
		return err
	})
	if errors.Is(err, slasweep.ErrStale) {
		return 0, nil
	}
	if recorded > 0 && err == nil {
		s.wake()
	}
	return recorded, err
}

// closeClockName names the close clock in alerts: "close", and "close#2", "close#3"… for
// the fresh clock of each reopening, whose crossings are new ones.
func closeClockName(tk *ticket) string {
	if tk.Reopened == 0 {
		return "close"
	}
	return fmt.Sprintf("close#%d", tk.Reopened+1)
}

// Reminder topics: 50 % and 75 % remind the handling tenant (过半提醒, 临期预警); 100 %
// tells the tenant the ticket was escalated to (超期升级).
const (
	TopicReminder  = "tickets.ticket.reminder"
	TopicEscalated = "tickets.ticket.escalated"
)

// ReceiverReminders is the outbox receiver of reminders and escalations: the
// notification channel (messages to handlers and their superiors), configured with
// WithWebhooks like the source platforms.
const ReceiverReminders = "tickets_reminders"

// remind queues the reminder of one recorded crossing, in the sweep's transaction; the
// key makes it once per ticket, clock and threshold.
func (s *service) remind(ctx context.Context, tk *ticket, c crossing, escalatedTo tenancy.ID, now time.Time) error {
	due, handling := tk.CloseDue.At, tk.handlingTenant()
	switch {
	case c.Of != nil:
		due, handling = c.Of.Due.At, c.Of.Tenant
	case c.Clock == "response":
		due = tk.ResponseDue.At
	}
	topic, notify := TopicReminder, handling
	if c.Threshold == calendar.Threshold100 {
		topic, notify = TopicEscalated, escalatedTo
	}
	clock, th := c.Clock, c.Threshold
	payload, err := json.Marshal(map[string]any{
		"name": tk.name(), "clock": clock, "threshold": int(th), "due": due, "handling_tenant": handling,
		"notify_tenant": notify, "escalated_to": escalatedTo, "title": tk.Title, "time": now,
	})
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{Tenant: tk.Tenant, Topic: topic, Receiver: ReceiverReminders,
		Key: fmt.Sprintf("%s#%s#%d", tk.name(), clock, th), Payload: payload})
	return err
}

func sameDue(a, b calendar.Due) bool { return a.At.Equal(b.At) && a.Provisional == b.Provisional }

// clockKind is the clock a crossing belongs to, as the SLA metric labels it.
func clockKind(c crossing) string {
	switch {
	case c.Of != nil:
		return "part"
	case c.Clock == "response", c.Clock == "explain":
		return c.Clock
	default:
		return "close"
	}
}
