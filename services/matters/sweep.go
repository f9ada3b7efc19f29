package matters

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// sweepActor is who the audit trail names for the sweep's changes.
const sweepActor = "system:matters-commitment-sweeper"

// sweepLoop runs both sweeps now, then every interval and whenever the calendar changes
// (a newly loaded year redates provisional deadlines), until ctx ends (leader only).
func (s *service) sweepLoop(ctx context.Context, interval time.Duration) error {
	defer s.slaCases.Clear() // no longer the leader: another replica reports
	// The first pass, and any after a calendar change, redates every running clock.
	slasweep.Loop(ctx, interval, s.cal, func(ctx context.Context, all bool) {
		if _, err := s.sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("matters: commitment sweep failed", "err", err)
		}
		now := s.now()
		if _, err := s.clockSweep(ctx, now, all); err != nil && ctx.Err() == nil {
			s.log.Warn("matters: SLA sweep failed", "err", err)
		}
		counts, err := s.st.caseCounts(ctx, now)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("matters: SLA counts failed", "err", err)
			}
			return
		}
		s.slaCases.Set(counts)
	})
	return ctx.Err()
}

// sweep terminates (终止) the applications accepted under 容缺 whose commitment ran out
// without the materials. It is idempotent: a terminated application is no longer in the
// sweep's view, and a concurrent change (stale revision) is simply looked at next time.
func (s *service) sweep(ctx context.Context) (int, error) {
	now := s.now()
	done := 0
	for {
		list, err := s.st.expiredCommitments(ctx, now, 200)
		if err != nil {
			return done, err
		}
		progressed := false
		for _, a := range list {
			before, prev := proto.Clone(a.App).(*mattersv1.Application), a.Revision
			a.Revision = prev + 1
			a.App.State, a.App.Etag, a.App.UpdateTime = mattersv1.State_STATE_TERMINATED, etag(a.Revision), ts(now)
			if err := s.computeDues(a, now); err != nil { // no clock runs now: no next check
				return done, err
			}
			err := s.db.InTx(ctx, func(ctx context.Context) error {
				ok, err := s.st.update(ctx, a, prev)
				if err != nil {
					return err
				}
				if !ok {
					return errs.ErrStaleVersion
				}
				if _, err := s.audit.Record(ctx, audit.Entry{Tenant: a.Tenant, Actor: sweepActor, Action: "matters.TerminateApplication",
					Resource: a.App.GetName(), Before: before, After: a.App, Time: now}); err != nil {
					return err
				}
				return s.statusEvent(ctx, a)
			})
			switch {
			case errors.Is(err, errs.ErrStaleVersion):
			case err != nil:
				return done, err
			default:
				done++
				progressed = true
			}
		}
		if len(list) < 200 || !progressed {
			return done, nil
		}
	}
}
