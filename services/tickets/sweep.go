package tickets

import (
	"context"
	"errors"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
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
	afterTenant, afterID := "", ""
	upTo := now
	if all {
		upTo = time.UnixMicro(never)
	}
	for {
		batch, err := s.st.dueTickets(ctx, upTo, afterTenant, afterID, 200)
		if err != nil {
			return recorded, err
		}
		for _, tk := range batch {
			n, err := s.sweepTicket(ctx, tk, now)
			if err != nil {
				return recorded, err
			}
			recorded += n
		}
		if len(batch) < 200 {
			return recorded, nil
		}
		afterTenant, afterID = string(batch[len(batch)-1].Tenant), batch[len(batch)-1].ID
	}
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

func (s *service) sweepTicket(ctx context.Context, tk *ticket, now time.Time) (int, error) {
	type crossing struct {
		clock string
		th    calendar.Threshold
	}
	var todo []crossing
	if tk.Responded.IsZero() {
		ths, err := s.crossed(tk.ResponseClock, now)
		if err != nil {
			return 0, err
		}
		for _, th := range ths {
			todo = append(todo, crossing{"response", th})
		}
	}
	ths, err := s.crossed(tk.CloseClock, now)
	if err != nil {
		return 0, err
	}
	for _, th := range ths {
		todo = append(todo, crossing{"close", th})
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
			if c.th == calendar.Threshold100 {
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
			if to != "" {
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
	return recorded, err
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
