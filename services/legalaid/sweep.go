package legalaid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// sweepActor is who the audit log names for the sweep's changes.
const sweepActor = "system:legalaid-sla"

// Reminder topics: 50 % and 75 % remind the tenant where the case is (过半提醒, 临期预警);
// 100 % tells the tenant above it that the case was escalated (超期升级).
const (
	TopicReminder  = "legalaid.case.reminder"
	TopicEscalated = "legalaid.case.escalated"
)

// ReceiverReminders is the outbox receiver of reminders and escalations.
const ReceiverReminders = "legalaid_reminders"

// The clocks the sweep watches, by the name their alerts carry.
const (
	clockRegistration = "registration" // 1 working day to 立案
	clockTrial        = "trial"        // the local 90 days
	clockStatutory    = "statutory"    // the Civil Procedure Law's six months
)

func (s *service) sweepLoop(ctx context.Context, interval time.Duration) error {
	slasweep.Loop(ctx, interval, s.cal, func(ctx context.Context, all bool) {
		if _, err := s.sweep(ctx, s.now(), all); err != nil && ctx.Err() == nil {
			s.log.Warn("legalaid: SLA sweep failed", "err", err)
		}
	})
	return nil
}

// sweep records every 50/75/100 % crossing of the open cases' clocks at now, once each,
// reminds at 50 and 75 % and escalates one tier up at 100 %. It returns how many
// crossings it recorded.
func (s *service) sweep(ctx context.Context, now time.Time, all bool) (int, error) {
	after := sweepCursor{nextCheck: math.MinInt64}
	upTo := now
	if all {
		upTo = time.UnixMicro(slasweep.Never)
	}
	read := func(ctx context.Context, limit int) ([]*legalCase, error) {
		batch, err := s.st.dueCases(ctx, upTo, after, limit)
		if len(batch) > 0 {
			last := batch[len(batch)-1]
			after = sweepCursor{nextCheck: last.NextCheck, tenant: string(last.Tenant), id: last.ID}
		}
		return batch, err
	}
	return slasweep.Pages(ctx, read, func(ctx context.Context, lc *legalCase) (int, error) { return s.sweepCase(ctx, lc, now) })
}

func clocks(lc *legalCase) []slasweep.Clock[struct{}] {
	var out []slasweep.Clock[struct{}]
	if lc.registering() {
		out = append(out, slasweep.Clock[struct{}]{Name: clockRegistration, Clock: lc.RegClock})
	}
	if lc.trialRunning() {
		out = append(out, slasweep.Clock[struct{}]{Name: clockTrial, Clock: lc.Trial.Clock},
			slasweep.Clock[struct{}]{Name: clockStatutory, Clock: lc.Trial.Statutory})
	}
	return out
}

func (s *service) sweepCase(ctx context.Context, lc *legalCase, now time.Time) (int, error) {
	todo, err := slasweep.Crossed(s.cal, now, clocks(lc)...)
	if err != nil {
		return 0, err
	}
	before := lc.proto(true)
	oldNext := lc.NextCheck
	if err := s.computeDues(lc, now, now.Add(time.Microsecond)); err != nil {
		return 0, err
	}
	if len(todo) == 0 {
		if lc.NextCheck != oldNext {
			return 0, s.st.setNextCheck(ctx, lc)
		}
		return 0, nil
	}
	recorded := 0
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		prev := lc.Revision
		escalated := false
		for _, c := range todo {
			to := tenancy.ID("")
			if c.Threshold == calendar.Threshold100 {
				to = slasweep.EscalationTarget(lc.EscalatedTo, lc.Tenant)
			}
			added, err := s.st.addAlert(ctx, lc, c.Clock, c.Threshold, to, now)
			if err != nil {
				return err
			}
			if !added {
				continue
			}
			recorded++
			if err := s.remind(ctx, lc, c.Clock, c.Threshold, to, now); err != nil {
				return err
			}
			s.db.AfterCommit(ctx, func() { s.slaCount.Add(ctx, string(lc.Tenant), c.Clock, c.Threshold) })
			if to != "" {
				lc.EscalatedTo, escalated = to, true
			}
		}
		if !escalated {
			return s.st.setNextCheck(ctx, lc)
		}
		lc.Revision, lc.Updated = prev+1, now
		ok, err := s.st.update(ctx, lc, prev)
		if err != nil {
			return err
		}
		if !ok {
			return slasweep.ErrStale
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: lc.Tenant, Actor: sweepActor, Action: "legalaid.Escalate",
			Resource: lc.name(), Before: before, After: lc.proto(true), Time: now})
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

// remind queues the reminder of one recorded crossing, in the sweep's transaction; the
// key makes it once per case, clock and threshold.
func (s *service) remind(ctx context.Context, lc *legalCase, clock string, th calendar.Threshold, escalatedTo tenancy.ID, now time.Time) error {
	due := lc.RegDue.At
	switch clock {
	case clockTrial:
		due = lc.Trial.Due.At
	case clockStatutory:
		due = lc.Trial.StatutoryDue.At
	}
	topic, notify := TopicReminder, lc.Tenant
	if th == calendar.Threshold100 {
		topic, notify = TopicEscalated, escalatedTo
	}
	payload, err := json.Marshal(map[string]any{
		"name": lc.name(), "clock": clock, "threshold": int(th), "due": due, "notify_tenant": notify,
		"escalated_to": escalatedTo, "assignee": lc.Assignee, "court": lc.Court, "time": now,
	})
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{Tenant: lc.Tenant, Topic: topic, Receiver: ReceiverReminders,
		Key: fmt.Sprintf("%s#%s#%d", lc.name(), clock, th), Payload: payload})
	return err
}
