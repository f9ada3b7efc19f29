package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// sweepActor is who the audit log names for the sweep's changes.
const sweepActor = "system:tickets-sla"

// sweepLoop runs a pass now, then every interval and whenever the calendar changes (a
// newly loaded year redates provisional deadlines), until ctx ends (leader only).
func (s *service) sweepLoop(ctx context.Context, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	all := true // the first pass, and any after a calendar change, looks at every open ticket
	for {
		changed := s.cal.Changed()
		if _, err := s.sweep(ctx, s.now(), all); err != nil && ctx.Err() == nil {
			s.log.Warn("tickets: SLA sweep failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			all = false
		case <-changed:
			all = true
		}
	}
}

// sweep records every 50/75/100 % crossing of the open tickets' clocks at now, once each
// (the alert's primary key makes a second pass, or a second leader, a no-op), and at
// 100 % escalates the ticket one tier up (community → street → district). It returns
// how many crossings it recorded. A pass reads only the tickets whose next check is due
// (an index range), unless all is set: after a calendar change every open ticket is
// redated.
func (s *service) sweep(ctx context.Context, now time.Time, all bool) (int, error) {
	recorded := 0
	after := startCursor
	upTo := now
	if all {
		upTo = time.UnixMicro(never)
	}
	for {
		batch, err := s.st.dueTickets(ctx, upTo, after, 200)
		if err != nil {
			return recorded, err
		}
		if len(batch) > 0 {
			// Before sweepTicket moves the last one's next check: the cursor is where it was read.
			last := batch[len(batch)-1]
			after = sweepCursor{nextCheck: last.NextCheck, tenant: string(last.Tenant), id: last.ID}
		}
		n, err := s.sweepPage(ctx, batch, now)
		recorded += n
		if err != nil {
			return recorded, err
		}
		if len(batch) < 200 {
			return recorded, nil
		}
	}
}

// sweepWorkers is how many tickets of a page are swept at once: each is its own short
// transaction on its own row, so a wave of escalations is bound by round trips, not by
// the database, and a few in flight cut its time several-fold.
const sweepWorkers = 4

// sweepPage sweeps the tickets of one page, sweepWorkers at a time; it returns the
// crossings recorded and the first error.
func (s *service) sweepPage(ctx context.Context, batch []*ticket, now time.Time) (int, error) {
	var (
		mu       sync.Mutex
		recorded int
		firstErr error
		wg       sync.WaitGroup
	)
	slots := make(chan struct{}, sweepWorkers)
	for _, tk := range batch {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			n, err := s.sweepTicket(ctx, tk, now)
			mu.Lock()
			defer mu.Unlock()
			recorded += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	return recorded, firstErr
}

// crossed lists the thresholds clock has reached at now.
func (s *service) crossed(clock calendar.Clock, now time.Time) ([]calendar.Threshold, error) {
	st, err := s.cal.Status(clock, now)
	if err != nil {
		return nil, err
	}
	var out []calendar.Threshold
	for _, th := range calendar.Thresholds {
		if st.Crossed >= th {
			out = append(out, th)
		}
	}
	return out, nil
}

// crossing is one threshold of one clock: the ticket's response or close clock, or a
// co-handler's part (part set).
type crossing struct {
	clock string
	th    calendar.Threshold
	part  *part
}

// partClockName names a co-handler's part clock in alerts.
func partClockName(pt *part) string { return "part:" + string(pt.Tenant) }

func (s *service) sweepTicket(ctx context.Context, tk *ticket, now time.Time) (int, error) {
	var todo []crossing
	if tk.Responded.IsZero() {
		ths, err := s.crossed(tk.ResponseClock, now)
		if err != nil {
			return 0, err
		}
		for _, th := range ths {
			todo = append(todo, crossing{clock: "response", th: th})
		}
	}
	ths, err := s.crossed(tk.CloseClock, now)
	if err != nil {
		return 0, err
	}
	for _, th := range ths {
		todo = append(todo, crossing{clock: closeClockName(tk), th: th})
	}
	for _, pt := range tk.Parts {
		if pt.State == ticketsv1.PartState_PART_STATE_DONE {
			continue
		}
		ths, err := s.crossed(pt.Clock, now)
		if err != nil {
			return 0, err
		}
		for _, th := range ths {
			todo = append(todo, crossing{clock: partClockName(pt), th: th, part: pt})
		}
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
			case c.th != calendar.Threshold100:
			case c.part != nil:
				// An overdue part goes to the co-handler's superior; the ticket stays where it is.
				if to = c.part.Tenant.Parent(); to == "" {
					to = c.part.Tenant
				}
			default:
				to = escalationTarget(tk)
			}
			added, err := s.st.addAlert(ctx, tk, c.clock, c.th, to, now)
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
			s.db.AfterCommit(ctx, func() { s.slaCount.Add(ctx, string(tk.handlingTenant()), clockKind(c), c.th) })
			if to != "" && c.part == nil {
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
		if err != nil || !ok {
			// Changed under us: roll back the alerts too; the next pass sees it anew.
			return errStale(err)
		}
		action := "tickets.Escalate"
		if !escalated {
			action = "tickets.Redate"
		}
		_, err = audit.Record(ctx, s.db, audit.Entry{Tenant: tk.Tenant, Actor: sweepActor, Action: action,
			Resource: tk.name(), Before: before, After: tk.proto(), Time: now})
		return err
	})
	if errors.Is(err, errSweepStale) {
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
	case c.part != nil:
		due, handling = c.part.Due.At, c.part.Tenant
	case c.clock == "response":
		due = tk.ResponseDue.At
	}
	topic, notify := TopicReminder, handling
	if c.th == calendar.Threshold100 {
		topic, notify = TopicEscalated, escalatedTo
	}
	clock, th := c.clock, c.th
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

// escalationTarget is one tier above where the ticket stands now: above its last
// escalation, else above its assignee, else above its own tenant; the top stays.
func escalationTarget(tk *ticket) tenancy.ID {
	base := tk.EscalatedTo
	if base == "" {
		base = tk.handlingTenant()
	}
	if up := base.Parent(); up != "" {
		return up
	}
	return base
}

type sweepError string

func (e sweepError) Error() string { return string(e) }

const errSweepStale = sweepError("tickets: ticket changed during the sweep")

func errStale(err error) error {
	if err != nil {
		return err
	}
	return errSweepStale
}

func sameDue(a, b calendar.Due) bool { return a.At.Equal(b.At) && a.Provisional == b.Provisional }

// clockKind is the clock a crossing belongs to, as the SLA metric labels it.
func clockKind(c crossing) string {
	switch {
	case c.part != nil:
		return "part"
	case c.clock == "response":
		return "response"
	default:
		return "close"
	}
}
