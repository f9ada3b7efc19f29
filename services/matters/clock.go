package matters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// Names of an application's clocks in alerts.
const (
	clockPromised      = "promised"
	clockStatutory     = "statutory"
	clockRectification = "rectification"
)

// Outbox topics and the receiver that turns them into notices to applicants and staff.
const (
	TopicStatusChanged = "matters.application.status_changed"
	TopicAlert         = "matters.application.sla_alert"
	TopicBundleDone    = "matters.bundle.completed"
	ReceiverNotify     = "notify"
)

// clockSweepActor is who the audit log names for the clock sweep's escalations.
const clockSweepActor = "system:matters-sla"

// namedClock is one running clock of an application; Of tells whether its 100 %
// escalates.
type namedClock = slasweep.Clock[bool]

func isOpen(st mattersv1.State) bool {
	return st >= mattersv1.State_STATE_SUBMITTED && st <= mattersv1.State_STATE_CORRECTION_REQUESTED
}

// running lists the clocks of a that run now: the application's two while it is open,
// the current step's two while it is handled, the rectification task's while it is open.
// Reaching 100 % of the application's limits or the rectification's escalates one tier
// up; a step's 100 % reminds the handler only.
func (a *application) running() []namedClock {
	var out []namedClock
	st := a.App.GetState()
	if isOpen(st) {
		out = append(out, namedClock{Name: clockPromised, Clock: a.Clocks.Promised, Of: true}, namedClock{Name: clockStatutory, Clock: a.Clocks.Statutory, Of: true})
	}
	if (st == mattersv1.State_STATE_ACCEPTED || st == mattersv1.State_STATE_ACCEPTED_DEFERRED) && !a.Clocks.StepPromised.Start.IsZero() {
		step := fmt.Sprintf("step/%d", a.App.GetCurrentStep())
		out = append(out, namedClock{Name: step + "/promised", Clock: a.Clocks.StepPromised}, namedClock{Name: step + "/statutory", Clock: a.Clocks.StepStatutory})
	}
	if a.App.GetRectification().GetOpen() && !a.Clocks.Rectification.Start.IsZero() {
		out = append(out, namedClock{Name: clockRectification, Clock: a.Clocks.Rectification, Of: true})
	}
	return out
}

// computeDues keeps the deadlines, evaluated at now, on the record, and when the sweep
// must next look.
func (s *service) computeDues(a *application, now time.Time) error {
	return s.computeDuesFrom(a, now, time.Time{})
}

// computeDuesFrom is computeDues with the next check the earliest threshold at or after
// from: the sweep, having recorded everything up to now, looks only ahead. A paused
// clock calls for no check: its thresholds move until it runs again, and resuming it is a
// change that computes them anew.
func (s *service) computeDuesFrom(a *application, now, from time.Time) error {
	st, err := s.cal.Status(a.Clocks.Statutory, now)
	if err != nil {
		return err
	}
	pr, err := s.cal.Status(a.Clocks.Promised, now)
	if err != nil {
		return err
	}
	a.App.StatutoryDueTime, a.App.PromisedDueTime = ts(st.Due.At), ts(pr.Due.At)
	a.App.DueProvisional, a.App.Paused = st.Due.Provisional || pr.Due.Provisional, pr.Paused
	a.App.StepDueTime = nil
	a.NextCheck = never
	for _, c := range a.running() {
		cs, err := s.cal.Status(c.Clock, now)
		if err != nil {
			return err
		}
		switch {
		case c.Name == clockRectification:
			a.App.Rectification.DueTime = ts(cs.Due.At)
		case strings.HasPrefix(c.Name, "step/") && strings.HasSuffix(c.Name, "/promised"):
			a.App.StepDueTime = ts(cs.Due.At)
		}
		if !cs.Paused {
			a.NextCheck = min(a.NextCheck, slasweep.Earliest(cs, from))
		}
	}
	return nil
}

// clockSweep records every 50/75/100 % crossing of the running clocks at now, once each,
// and escalates at 100 %. It reads only the applications whose next check is due (an
// index range), unless all is set: after a calendar change every row with a check is
// redated. It returns how many crossings it recorded.
func (s *service) clockSweep(ctx context.Context, now time.Time, all bool) (int, error) {
	upTo := now.UnixMicro()
	if all {
		upTo = never - 1
	}
	afterTenant, afterID := "", ""
	read := func(ctx context.Context, limit int) ([]*application, error) {
		batch, err := s.st.dueForCheck(ctx, upTo, afterTenant, afterID, limit)
		if len(batch) > 0 {
			afterTenant, afterID = string(batch[len(batch)-1].Tenant), batch[len(batch)-1].ID
		}
		return batch, err
	}
	return slasweep.Pages(ctx, read, func(ctx context.Context, a *application) (int, error) { return s.sweepApplication(ctx, a, now) })
}

// crossing is one threshold of one running clock; Of tells whether the clock escalates.
type crossing = slasweep.Crossing[bool]

func (s *service) sweepApplication(ctx context.Context, a *application, now time.Time) (int, error) {
	todo, err := slasweep.Crossed(s.cal, now, a.running()...)
	if err != nil {
		return 0, err
	}
	before := proto.Clone(a.App).(*mattersv1.Application)
	oldNext := a.NextCheck
	if err := s.computeDuesFrom(a, now, now.Add(time.Microsecond)); err != nil {
		return 0, err
	}
	redated := !proto.Equal(before.GetPromisedDueTime(), a.App.GetPromisedDueTime()) ||
		!proto.Equal(before.GetStatutoryDueTime(), a.App.GetStatutoryDueTime()) || before.GetDueProvisional() != a.App.GetDueProvisional()
	recorded := 0
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		escalated := false
		for _, c := range todo {
			to := tenancy.ID("")
			if c.Of && c.Threshold == calendar.Threshold100 {
				to = slasweep.EscalationTarget(tenancy.ID(a.App.GetEscalatedTo()), a.Tenant)
			}
			added, err := s.st.addAlert(ctx, a, c.Clock, c.Threshold, to, now)
			if err != nil {
				return err
			}
			if !added {
				continue
			}
			recorded++
			if err := s.alertEvent(ctx, a, c, to, now); err != nil {
				return err
			}
			kind := c.Clock // the metric's clock: promised, statutory, step, rectification
			if strings.HasPrefix(kind, "step/") {
				kind = "step"
			}
			s.db.AfterCommit(ctx, func() { s.slaCount.Add(ctx, string(a.Tenant), kind, c.Threshold) })
			if to != "" {
				a.App.EscalatedTo, escalated = string(to), true
			}
		}
		if !escalated && !redated {
			if a.NextCheck == oldNext {
				return nil
			}
			return s.st.setNextCheck(ctx, a)
		}
		prev := a.Revision
		a.Revision = prev + 1
		a.App.Etag, a.App.UpdateTime = etag(a.Revision), ts(now)
		ok, err := s.st.update(ctx, a, prev)
		if err != nil {
			return err
		}
		if !ok {
			return slasweep.ErrStale // changed under us: roll the alerts back; the next pass sees it anew
		}
		action := "matters.EscalateApplication"
		if !escalated {
			action = "matters.RedateApplication"
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: a.Tenant, Actor: clockSweepActor, Action: action,
			Resource: a.App.GetName(), Before: before, After: a.App, Time: now})
		return err
	})
	if errors.Is(err, slasweep.ErrStale) {
		return 0, nil
	}
	return recorded, err
}

// statusEvent queues the application's new state for the notifier, in the transaction
// of the change. The key (name and revision) makes a retried change send one notice.
func (s *service) statusEvent(ctx context.Context, a *application) error {
	payload, err := json.Marshal(map[string]any{
		"name": a.App.GetName(), "matter": a.App.GetMatter(), "state": a.App.GetState().String(),
		"applicant_subject": a.App.GetApplicant().GetSubject(), "promised_due": a.App.GetPromisedDueTime().AsTime(),
		"revision": a.Revision, "bundle": a.App.GetBundle(),
	})
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{Tenant: a.Tenant, Topic: TopicStatusChanged, Receiver: ReceiverNotify,
		Key: a.App.GetName() + "#" + etag(a.Revision), Payload: payload})
	return err
}

// alertEvent queues a reminder (50/75 %) or an overdue escalation (100 %) for the handler
// and, when escalated, the tier above; the key makes it one per crossing.
func (s *service) alertEvent(ctx context.Context, a *application, c crossing, to tenancy.ID, now time.Time) error {
	payload, err := json.Marshal(map[string]any{
		"name": a.App.GetName(), "clock": c.Clock, "threshold": int(c.Threshold), "handler": a.App.GetHandler(),
		"escalated_to": string(to), "time": now,
	})
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{Tenant: a.Tenant, Topic: TopicAlert, Receiver: ReceiverNotify,
		Key: fmt.Sprintf("%s#%s#%d", a.App.GetName(), c.Clock, c.Threshold), Payload: payload})
	return err
}

// ListAlerts lists an application's recorded crossings, oldest first.
func (s *service) ListAlerts(ctx context.Context, r *mattersv1.ListAlertsRequest) (*mattersv1.ListAlertsResponse, error) {
	t, id, err := parseName(r.GetName())
	if err != nil {
		return nil, err
	}
	if _, err := s.st.get(ctx, t, id); err != nil {
		return nil, err
	}
	alerts, err := s.st.alerts(ctx, t, id)
	if err != nil {
		return nil, err
	}
	return &mattersv1.ListAlertsResponse{Alerts: alerts}, nil
}

// dueForCheck returns up to limit applications whose next check is at or before upTo,
// after (tenant, id), across tenants: the sweep's view, an index range on next_check_us.
func (s *store) dueForCheck(ctx context.Context, upTo int64, afterTenant, afterID string, limit int) ([]*application, error) {
	rows, err := s.db.Query(ctx, `SELECT `+appColumns+` FROM applications WHERE next_check_us <= $1
		AND (tenant > $2 OR (tenant = $2 AND id > $3)) ORDER BY tenant, id LIMIT $4`, upTo, afterTenant, afterID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows)
}

// setNextCheck is the sweep's bookkeeping: it changes no state, so no revision.
// setNextCheck moves a's next check forward; a sweep with a stale view (an older
// revision, or an earlier look at the same one) changes nothing.
func (s *store) setNextCheck(ctx context.Context, a *application) error {
	_, err := s.db.Exec(ctx, `UPDATE applications SET next_check_us = $3
		WHERE tenant = $1 AND id = $2 AND revision = $4 AND next_check_us <= $3`, string(a.Tenant), a.ID, a.NextCheck, a.Revision)
	return err
}

// addAlert records a crossing; false when it was recorded before.
func (s *store) addAlert(ctx context.Context, a *application, clock string, th calendar.Threshold, to tenancy.ID, now time.Time) (bool, error) {
	res, err := s.db.Exec(ctx, `INSERT INTO application_alerts (tenant, application_id, clock, threshold, escalated_to, create_us)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, application_id, clock, threshold) DO NOTHING`,
		string(a.Tenant), a.ID, clock, int64(th), string(to), now.UnixMicro())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *store) alerts(ctx context.Context, t tenancy.ID, id string) ([]*mattersv1.Alert, error) {
	return sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (*mattersv1.Alert, error) {
		var al mattersv1.Alert
		var th, us int64
		if err := row.Scan(&al.Clock, &th, &al.EscalatedTo, &us); err != nil {
			return nil, err
		}
		al.Threshold, al.CreateTime = int32(th), ts(time.UnixMicro(us))
		return &al, nil
	}, `SELECT clock, threshold, escalated_to, create_us FROM application_alerts
		WHERE tenant = $1 AND application_id = $2 ORDER BY create_us, clock, threshold`, string(t), id)
}
