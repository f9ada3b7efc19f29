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

// namedClock is one running clock of an application and whether its 100 % escalates.
type namedClock struct {
	name      string
	clock     calendar.Clock
	escalates bool
}

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
		out = append(out, namedClock{clockPromised, a.Clocks.Promised, true}, namedClock{clockStatutory, a.Clocks.Statutory, true})
	}
	if (st == mattersv1.State_STATE_ACCEPTED || st == mattersv1.State_STATE_ACCEPTED_DEFERRED) && !a.Clocks.StepPromised.Start.IsZero() {
		step := fmt.Sprintf("step/%d", a.App.GetCurrentStep())
		out = append(out, namedClock{step + "/promised", a.Clocks.StepPromised, false}, namedClock{step + "/statutory", a.Clocks.StepStatutory, false})
	}
	if a.App.GetRectification().GetOpen() && !a.Clocks.Rectification.Start.IsZero() {
		out = append(out, namedClock{clockRectification, a.Clocks.Rectification, true})
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
		cs, err := s.cal.Status(c.clock, now)
		if err != nil {
			return err
		}
		switch {
		case c.name == clockRectification:
			a.App.Rectification.DueTime = ts(cs.Due.At)
		case strings.HasPrefix(c.name, "step/") && strings.HasSuffix(c.name, "/promised"):
			a.App.StepDueTime = ts(cs.Due.At)
		}
		if cs.Paused {
			continue
		}
		for _, r := range cs.Reached {
			if !r.IsZero() && !r.Before(from) {
				a.NextCheck = min(a.NextCheck, r.UnixMicro())
				break
			}
		}
	}
	return nil
}

// clockSweep records every 50/75/100 % crossing of the running clocks at now, once each,
// and escalates at 100 %. It reads only the applications whose next check is due (an
// index range), unless all is set: after a calendar change every row with a check is
// redated. It returns how many crossings it recorded.
func (s *service) clockSweep(ctx context.Context, now time.Time, all bool) (int, error) {
	recorded := 0
	upTo := now.UnixMicro()
	if all {
		upTo = never - 1
	}
	afterTenant, afterID := "", ""
	for {
		batch, err := s.st.dueForCheck(ctx, upTo, afterTenant, afterID, 200)
		if err != nil {
			return recorded, err
		}
		for _, a := range batch {
			n, err := s.sweepApplication(ctx, a, now)
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

type crossing struct {
	clock     string
	th        calendar.Threshold
	escalates bool
}

func (s *service) sweepApplication(ctx context.Context, a *application, now time.Time) (int, error) {
	var todo []crossing
	for _, c := range a.running() {
		cs, err := s.cal.Status(c.clock, now)
		if err != nil {
			return 0, err
		}
		for _, th := range calendar.Thresholds {
			if cs.Crossed >= th {
				todo = append(todo, crossing{c.name, th, c.escalates && th == calendar.Threshold100})
			}
		}
	}
	before := proto.Clone(a.App).(*mattersv1.Application)
	oldNext := a.NextCheck
	if err := s.computeDuesFrom(a, now, now.Add(time.Microsecond)); err != nil {
		return 0, err
	}
	redated := !proto.Equal(before.GetPromisedDueTime(), a.App.GetPromisedDueTime()) ||
		!proto.Equal(before.GetStatutoryDueTime(), a.App.GetStatutoryDueTime()) || before.GetDueProvisional() != a.App.GetDueProvisional()
	recorded := 0
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		escalated := false
		for _, c := range todo {
			to := tenancy.ID("")
			if c.escalates {
				to = escalationTarget(a)
			}
			added, err := s.st.addAlert(ctx, a, c.clock, c.th, to, now)
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
			kind := c.clock // the metric's clock: promised, statutory, step, rectification
			if strings.HasPrefix(kind, "step/") {
				kind = "step"
			}
			s.db.AfterCommit(ctx, func() { s.slaCount.Add(ctx, string(a.Tenant), kind, c.th) })
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
			return errSweepStale // changed under us: roll the alerts back; the next pass sees it anew
		}
		action := "matters.EscalateApplication"
		if !escalated {
			action = "matters.RedateApplication"
		}
		_, err = audit.Record(ctx, s.db, audit.Entry{Tenant: a.Tenant, Actor: clockSweepActor, Action: action,
			Resource: a.App.GetName(), Before: before, After: a.App, Time: now})
		return err
	})
	if errors.Is(err, errSweepStale) {
		return 0, nil
	}
	return recorded, err
}

var errSweepStale = errors.New("matters: application changed during the sweep")

// escalationTarget is one tier above where the application stands: above its last
// escalation, else above its own tenant; the district stays.
func escalationTarget(a *application) tenancy.ID {
	base := tenancy.ID(a.App.GetEscalatedTo())
	if base == "" {
		base = a.Tenant
	}
	if up := base.Parent(); up != "" {
		return up
	}
	return base
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
		"name": a.App.GetName(), "clock": c.clock, "threshold": int(c.th), "handler": a.App.GetHandler(),
		"escalated_to": string(to), "time": now,
	})
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{Tenant: a.Tenant, Topic: TopicAlert, Receiver: ReceiverNotify,
		Key: fmt.Sprintf("%s#%s#%d", a.App.GetName(), c.clock, c.th), Payload: payload})
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
func (s *store) setNextCheck(ctx context.Context, a *application) error {
	_, err := s.db.Exec(ctx, `UPDATE applications SET next_check_us = $3 WHERE tenant = $1 AND id = $2`, string(a.Tenant), a.ID, a.NextCheck)
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
	rows, err := s.db.Query(ctx, `SELECT clock, threshold, escalated_to, create_us FROM application_alerts
		WHERE tenant = $1 AND application_id = $2 ORDER BY create_us, clock, threshold`, string(t), id)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []*mattersv1.Alert
	for rows.Next() {
		var al mattersv1.Alert
		var th, us int64
		if err := rows.Scan(&al.Clock, &th, &al.EscalatedTo, &us); err != nil {
			return nil, err
		}
		al.Threshold, al.CreateTime = int32(th), ts(time.UnixMicro(us))
		out = append(out, &al)
	}
	return out, rows.Err()
}
