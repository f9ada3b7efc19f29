package matters

import (
	"context"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// backfillPage is how many applications one step of the owner backfill reads.
const backfillPage = 500

// backfillOwners gives the applications filed before they carried an owner (migration
// 00003) the owner their record names, so their applicants reach them: the applicant's
// account and, when staff named it, its enterprise's credit code (before owners, people
// filing for themselves were recorded as the applicant, but the credit code they typed
// was not checked against their enterprise). It walks the rows without an owner by key,
// a page at a time, each row in a transaction of its own with its audit record, so it can
// stop anywhere and start again: filled rows no longer match, and one changed meanwhile
// (stale revision) is left for the next start. It runs on the leader, once, and then
// waits for the service to stop. Rows whose record names no account stay staff's.
func (s *service) backfillOwners(ctx context.Context) error {
	n, err := s.fillOwners(ctx)
	if err != nil {
		return err // the leader's loop tries again after a pause
	}
	if n > 0 {
		s.log.Info("matters: owners filled in from the applications' records", "applications", n)
	}
	<-ctx.Done()
	return nil
}

// fillOwners is one pass of the backfill: how many applications got their owner.
func (s *service) fillOwners(ctx context.Context) (int, error) {
	done := 0
	afterTenant, afterID := "", ""
	for ctx.Err() == nil {
		rows, err := s.db.Query(ctx, `SELECT `+appColumns+` FROM applications WHERE owner_subject = '' AND owner_org = ''
			AND (tenant > $1 OR (tenant = $1 AND id > $2)) ORDER BY tenant, id LIMIT $3`, afterTenant, afterID, backfillPage)
		if err != nil {
			return done, err
		}
		list, err := collect(rows)
		if err != nil || len(list) == 0 {
			return done, err
		}
		for _, a := range list {
			afterTenant, afterID = string(a.Tenant), a.ID
			o := ownerOfRecord(a)
			if o == nil {
				continue
			}
			prev := a.Revision
			a.Revision = prev + 1
			a.App.Owner, a.App.Etag = o, etag(a.Revision)
			data, err := marshal.Marshal(a.App)
			if err != nil {
				return done, err
			}
			filled := false
			err = s.db.InTx(ctx, func(ctx context.Context) error {
				res, err := s.db.Exec(ctx, `UPDATE applications SET owner_subject = $1, owner_org = $2, data = $3, revision = $4
					WHERE tenant = $5 AND id = $6 AND revision = $7 AND owner_subject = '' AND owner_org = ''`,
					o.GetSubject(), o.GetOrg(), string(data), a.Revision, string(a.Tenant), a.ID, prev)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n != 1 {
					return err // changed meanwhile: the next start looks again
				}
				_, err = s.audit.Record(ctx, audit.Entry{Tenant: a.Tenant, Actor: "system:owner-backfill", Action: "matters.BackfillOwner",
					Resource: a.App.GetName(), After: o})
				filled = err == nil
				return err
			})
			if err != nil {
				return done, err
			}
			if filled {
				done++
			}
		}
	}
	return done, ctx.Err()
}

// ownerOfRecord is the owner an application filed before owners names: its applicant's
// account, and the credit code unless the applicant filed it itself; nil when it names
// neither.
func ownerOfRecord(a *application) *commonv1.Owner {
	ap := a.App.GetApplicant()
	o := &commonv1.Owner{Subject: strings.TrimSpace(ap.GetSubject())}
	if code := govid.NormalizeCreditCode(ap.GetCreditCode()); code != "" && (o.Subject == "" || a.App.GetSubmittedBy() != o.Subject) {
		o.Org = code
	}
	if o.Subject == "" && o.Org == "" {
		return nil
	}
	return o
}
