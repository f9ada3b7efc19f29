package documents

import (
	"context"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// sweepActor names the sweep in audit records.
const sweepActor = "system:documents-sweeper"

// sweeper removes what failures and time leave behind. It runs on the leader only.
type sweeper struct {
	svc   *service
	grace time.Duration
}

// SweepReport counts what one sweep removed.
type SweepReport struct {
	ExpiredUploads int // presigned uploads never committed, past their expiry
	Orphans        int // objects no row refers to, older than the grace period
	Purged         int // deleted documents past their restore window
}

func (w *sweeper) loop(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if rep, err := w.sweep(ctx); err != nil {
			w.svc.log.WarnContext(ctx, "sweep failed", "err", err)
		} else if rep != (SweepReport{}) {
			w.svc.log.InfoContext(ctx, "sweep", "expired_uploads", rep.ExpiredUploads, "orphans", rep.Orphans, "purged", rep.Purged)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *sweeper) sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	s := w.svc
	now := s.now()
	// Expired uploads: the staging object first, then the row, so a failure leaves the
	// row to find again.
	ups, err := s.st.expiredUploads(ctx, now, 1000)
	if err != nil {
		return rep, err
	}
	for _, u := range ups {
		if err := s.blob.remove(ctx, stagingKey(u.Tenant, u.ID), "", false); err != nil {
			return rep, storageErr(err)
		}
		if _, err := s.st.deleteUpload(ctx, u.Tenant, u.ID); err != nil {
			return rep, err
		}
		rep.ExpiredUploads++
	}
	// Deleted documents past the restore window (and any retention): every version's
	// object, then the rows, with an audit record.
	for _, d := range w.purgeCandidates(ctx, now) {
		if d.RetainUntil.After(now) {
			continue
		}
		versions, err := s.st.listVersions(ctx, d.Tenant, d.ID, 0, int(d.Version))
		if err != nil {
			return rep, err
		}
		for _, v := range versions {
			if err := s.blob.remove(ctx, v.ObjectKey, v.ObjectVersion, false); err != nil {
				return rep, storageErr(err)
			}
		}
		err = s.db.InTx(ctx, func(ctx context.Context) error {
			if err := s.st.deleteDocument(ctx, d.Tenant, d.ID); err != nil {
				return err
			}
			_, err := s.audit.Record(ctx, audit.Entry{
				Tenant: d.Tenant, Actor: sweepActor, Action: "documents.PurgeDocument",
				Resource: documentName(d.Tenant, d.ID), Before: d.proto(s.settings.For(d.Tenant)),
			})
			return err
		})
		if err != nil {
			return rep, err
		}
		rep.Purged++
	}
	// Objects without metadata, old enough that no upload can still be writing them.
	n, err := w.orphans(ctx, now.Add(-w.grace))
	rep.Orphans = n
	return rep, err
}

func (w *sweeper) purgeCandidates(ctx context.Context, now time.Time) []*document {
	// The restore window is per tenant; take the shortest possible cutoff (now) and
	// check each document's own window.
	docs, err := w.svc.st.purgeable(ctx, now, 1000)
	if err != nil {
		w.svc.log.WarnContext(ctx, "sweep: list deleted documents", "err", err)
		return nil
	}
	var out []*document
	for _, d := range docs {
		if now.After(d.purgeTime(w.svc.settings.For(d.Tenant))) {
			out = append(out, d)
		}
	}
	return out
}

// orphans removes object versions older than cutoff that no row refers to: staging
// objects without an upload row, and document objects without a version row (a write
// whose transaction failed). Governance retention is bypassed for these, legal holds
// never; incomplete multipart uploads are aborted too.
func (w *sweeper) orphans(ctx context.Context, cutoff time.Time) (int, error) {
	s := w.svc
	removed := 0
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.blob.client.ListObjects(lctx, s.blob.bucket, minio.ListObjectsOptions{Prefix: "tenants/", Recursive: true, WithVersions: true}) {
		if obj.Err != nil {
			return removed, storageErr(obj.Err)
		}
		if obj.LastModified.After(cutoff) {
			continue
		}
		known, err := w.known(ctx, obj)
		if err != nil {
			return removed, err
		}
		if known {
			continue
		}
		if err := s.blob.remove(ctx, obj.Key, obj.VersionID, true); err != nil {
			s.log.WarnContext(ctx, "sweep: cannot remove orphan (legal hold?)", "key", obj.Key, "version", obj.VersionID, "err", err)
			continue
		}
		removed++
	}
	for up := range s.blob.client.ListIncompleteUploads(lctx, s.blob.bucket, "tenants/", true) {
		if up.Err != nil {
			return removed, storageErr(up.Err)
		}
		if up.Initiated.Before(cutoff) {
			if err := s.blob.client.RemoveIncompleteUpload(ctx, s.blob.bucket, up.Key); err == nil {
				removed++
			}
		}
	}
	return removed, nil
}

// known reports whether a row refers to obj: tenants/<t>/uploads/<id> to an upload row,
// tenants/<t>/documents/<id>/v<n> (this object version) to a version row.
func (w *sweeper) known(ctx context.Context, obj minio.ObjectInfo) (bool, error) {
	parts := strings.Split(obj.Key, "/")
	if obj.IsDeleteMarker {
		return false, nil
	}
	if len(parts) == 4 && parts[2] == "uploads" {
		t, err := tenancy.Parse(parts[1])
		if err != nil {
			return false, nil
		}
		return w.svc.st.uploadExists(ctx, t, parts[3])
	}
	return w.svc.st.knownObject(ctx, obj.Key, obj.VersionID)
}
