package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// document is one row of documents: a document and its current version.
type document struct {
	Tenant tenancy.ID
	ID     string
	Owner  string
	// Holder is whose the document is (the uploader's account, an enterprise's credit
	// code), in the owner_subject and owner_org columns.
	HolderSubject  string
	HolderOrg      string
	Filename       string
	ContentType    string
	Size           int64
	SHA256         string
	Classification documentsv1.Classification
	Category       string
	Version        int32
	ScanState      documentsv1.State // PENDING_SCAN, AVAILABLE or INFECTED
	LegalHold      bool
	RetainUntil    time.Time // zero for none
	Created        time.Time
	Updated        time.Time
	Deleted        time.Time // zero unless soft-deleted
	Revision       int64
}

// version is one row of document_versions.
type version struct {
	Number        int32
	ObjectKey     string
	ObjectVersion string
	Filename      string
	ContentType   string
	Size          int64
	SHA256        string
	ScanState     documentsv1.State
	Creator       string
	Created       time.Time
}

// upload is one row of uploads: a presigned upload not yet committed.
type upload struct {
	Tenant         tenancy.ID
	ID             string
	DocumentID     string
	NewDocument    bool
	Owner          string
	Filename       string
	Classification documentsv1.Classification
	Category       string
	Size           int64
	Creator        string
	Created        time.Time
	Expires        time.Time
}

func documentName(t tenancy.ID, id string) string { return "tenants/" + string(t) + "/documents/" + id }
func uploadName(t tenancy.ID, id string) string   { return "tenants/" + string(t) + "/uploads/" + id }

// objectKey is where a version's bytes live. Both parts are made by the service (a
// validated tenant id and a hex id), never taken from user text.
func objectKey(t tenancy.ID, id string, n int32) string {
	return fmt.Sprintf("tenants/%s/documents/%s/v%d", t, id, n)
}

func stagingKey(t tenancy.ID, uploadID string) string {
	return fmt.Sprintf("tenants/%s/uploads/%s", t, uploadID)
}

func (d *document) etag() string { return strconv.FormatInt(d.Revision, 10) }

// purgeTime is when a deleted document may be purged.
func (d *document) purgeTime(s Settings) time.Time {
	return d.Deleted.Add(time.Duration(s.RestoreWindowHours) * time.Hour)
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// holder is whose d is.
func (d *document) holder() *commonv1.Owner {
	return &commonv1.Owner{Subject: d.HolderSubject, Org: d.HolderOrg}
}

// ownerOf is whose record name is, for the owner check of applicants
// (authz.OwnerLookup): a document's holder, or an upload's creator. One indexed read.
func (s *store) ownerOf(ctx context.Context, name string) (*commonv1.Owner, error) {
	var o commonv1.Owner
	var err error
	if t, id, perr := parseName("name", name, "uploads"); perr == nil {
		err = s.db.QueryRow(ctx, `SELECT creator FROM uploads WHERE tenant = $1 AND id = $2`, string(t), id).Scan(&o.Subject)
	} else if t, id, perr := parseName("name", name, "documents"); perr == nil {
		err = s.db.QueryRow(ctx, `SELECT owner_subject, owner_org FROM documents WHERE tenant = $1 AND id = $2`, string(t), id).
			Scan(&o.Subject, &o.Org)
	} else {
		return nil, perr
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(name)
	}
	return &o, err
}

// notFound is the answer for a record an applicant may not see: the same as for one
// that does not exist.
func notFound(name string) error {
	if strings.Contains(name, "/uploads/") {
		return ErrUploadNotFound.WithMessage("上传任务不存在或已提交: %s", name)
	}
	return ErrDocumentNotFound.WithMessage("材料不存在: %s", name)
}

// proto is the API view of d.
func (d *document) proto(s Settings) *documentsv1.Document {
	p := &documentsv1.Document{
		Name:           documentName(d.Tenant, d.ID),
		Owner:          d.Owner,
		Filename:       d.Filename,
		ContentType:    d.ContentType,
		SizeBytes:      d.Size,
		Sha256:         d.SHA256,
		Classification: d.Classification,
		Category:       d.Category,
		Version:        d.Version,
		State:          d.ScanState,
		LegalHold:      d.LegalHold,
		RetainUntil:    ts(d.RetainUntil),
		CreateTime:     ts(d.Created),
		UpdateTime:     ts(d.Updated),
		Etag:           d.etag(),
		Holder:         d.holder(),
	}
	if !d.Deleted.IsZero() {
		p.State = documentsv1.State_STATE_DELETED
		p.DeleteTime = ts(d.Deleted)
		p.PurgeTime = ts(d.purgeTime(s))
	}
	return p
}

// store is the service's SQL: every query names the tenant.
type store struct{ db *sqlstore.DB }

const documentColumns = `tenant, id, owner, filename, content_type, size_bytes, sha256, classification, category,
	version, scan_state, legal_hold, retain_until_us, create_us, update_us, delete_us, revision, owner_subject, owner_org`

func scanDocument(row interface{ Scan(...any) error }) (*document, error) {
	var d document
	var tenant string
	var class, state, ver int64
	var retain, created, updated, deleted int64
	err := row.Scan(&tenant, &d.ID, &d.Owner, &d.Filename, &d.ContentType, &d.Size, &d.SHA256, &class, &d.Category,
		&ver, &state, &d.LegalHold, &retain, &created, &updated, &deleted, &d.Revision, &d.HolderSubject, &d.HolderOrg)
	if err != nil {
		return nil, err
	}
	d.Tenant = tenancy.ID(tenant)
	d.Classification = documentsv1.Classification(class)
	d.Version = int32(ver)
	d.ScanState = documentsv1.State(state)
	d.RetainUntil, d.Created, d.Updated, d.Deleted = fromMicros(retain), fromMicros(created), fromMicros(updated), fromMicros(deleted)
	return &d, nil
}

func (s *store) getDocument(ctx context.Context, t tenancy.ID, id string) (*document, error) {
	d, err := scanDocument(s.db.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE tenant = $1 AND id = $2`, string(t), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrDocumentNotFound.WithMessage("材料不存在: %s", documentName(t, id))
	}
	return d, err
}

// listDocuments returns up to limit documents of t after the id after, in id (creation)
// order, optionally of one owner and with deleted ones.
func (s *store) listDocuments(ctx context.Context, t tenancy.ID, owner, after string, showDeleted bool, limit int) ([]*document, error) {
	// An applicant lists its own documents only (its enterprise's, for an enterprise).
	mine, more := authz.AccessFrom(ctx).OwnerFilter("owner_subject", "owner_org", 6)
	q := `SELECT ` + documentColumns + ` FROM documents WHERE tenant = $1 AND id > $2 AND ($3 = '' OR owner = $3) AND ($4 OR delete_us = 0)` +
		mine + ` ORDER BY id LIMIT $5`
	return sqlstore.QueryAll(ctx, s.db, scanDocument, q, append([]any{string(t), after, owner, showDeleted, limit}, more...)...)
}

// insertDocument adds a new document with its first version.
func (s *store) insertDocument(ctx context.Context, d *document, v *version) error {
	_, err := s.db.Exec(ctx, `INSERT INTO documents (`+documentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		string(d.Tenant), d.ID, d.Owner, d.Filename, d.ContentType, d.Size, d.SHA256, int64(d.Classification), d.Category,
		int64(d.Version), int64(d.ScanState), d.LegalHold, micros(d.RetainUntil), micros(d.Created), micros(d.Updated),
		micros(d.Deleted), d.Revision, d.HolderSubject, d.HolderOrg)
	if err != nil {
		return err
	}
	return s.insertVersion(ctx, d.Tenant, d.ID, v)
}

func (s *store) insertVersion(ctx context.Context, t tenancy.ID, id string, v *version) error {
	_, err := s.db.Exec(ctx, `INSERT INTO document_versions (tenant, document_id, version, object_key, object_version,
		filename, content_type, size_bytes, sha256, scan_state, creator, create_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		string(t), id, int64(v.Number), v.ObjectKey, v.ObjectVersion, v.Filename, v.ContentType, v.Size, v.SHA256,
		int64(v.ScanState), v.Creator, micros(v.Created))
	if errors.Is(err, sqlstore.ErrDuplicate) {
		return ErrVersionConflict.Wrap(err)
	}
	return err
}

// updateDocument writes d's mutable columns if its revision is still prev, and bumps it.
func (s *store) updateDocument(ctx context.Context, d *document, prev int64) error {
	res, err := s.db.Exec(ctx, `UPDATE documents SET filename = $3, content_type = $4, size_bytes = $5, sha256 = $6,
		version = $7, scan_state = $8, legal_hold = $9, retain_until_us = $10, update_us = $11, delete_us = $12,
		revision = $13 WHERE tenant = $1 AND id = $2 AND revision = $14`,
		string(d.Tenant), d.ID, d.Filename, d.ContentType, d.Size, d.SHA256, int64(d.Version), int64(d.ScanState),
		d.LegalHold, micros(d.RetainUntil), micros(d.Updated), micros(d.Deleted), d.Revision, prev)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrVersionConflict
	}
	return nil
}

func (s *store) setVersionScan(ctx context.Context, t tenancy.ID, id string, n int32, state documentsv1.State) error {
	_, err := s.db.Exec(ctx, `UPDATE document_versions SET scan_state = $4 WHERE tenant = $1 AND document_id = $2 AND version = $3`,
		string(t), id, int64(n), int64(state))
	return err
}

const versionColumns = `version, object_key, object_version, filename, content_type, size_bytes, sha256, scan_state, creator, create_us`

func scanVersion(row interface{ Scan(...any) error }) (*version, error) {
	var v version
	var n, state, created int64
	if err := row.Scan(&n, &v.ObjectKey, &v.ObjectVersion, &v.Filename, &v.ContentType, &v.Size, &v.SHA256, &state, &v.Creator, &created); err != nil {
		return nil, err
	}
	v.Number, v.ScanState, v.Created = int32(n), documentsv1.State(state), fromMicros(created)
	return &v, nil
}

func (s *store) getVersion(ctx context.Context, t tenancy.ID, id string, n int32) (*version, error) {
	v, err := scanVersion(s.db.QueryRow(ctx, `SELECT `+versionColumns+` FROM document_versions
		WHERE tenant = $1 AND document_id = $2 AND version = $3`, string(t), id, int64(n)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrVersionNotFound
	}
	return v, err
}

// listVersions returns up to limit versions below before (0: from the newest), newest first.
func (s *store) listVersions(ctx context.Context, t tenancy.ID, id string, before int32, limit int) ([]*version, error) {
	if before <= 0 {
		before = 1 << 30
	}
	return sqlstore.QueryAll(ctx, s.db, scanVersion, `SELECT `+versionColumns+` FROM document_versions
		WHERE tenant = $1 AND document_id = $2 AND version < $3 ORDER BY version DESC LIMIT $4`,
		string(t), id, int64(before), limit)
}

func (s *store) insertUpload(ctx context.Context, u *upload) error {
	_, err := s.db.Exec(ctx, `INSERT INTO uploads (tenant, id, document_id, new_document, owner, filename, classification,
		category, size_bytes, creator, create_us, expire_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		string(u.Tenant), u.ID, u.DocumentID, u.NewDocument, u.Owner, u.Filename, int64(u.Classification), u.Category,
		u.Size, u.Creator, micros(u.Created), micros(u.Expires))
	return err
}

const uploadColumns = `tenant, id, document_id, new_document, owner, filename, classification, category, size_bytes, creator, create_us, expire_us`

func scanUpload(row interface{ Scan(...any) error }) (*upload, error) {
	var u upload
	var tenant string
	var class, created, expires int64
	if err := row.Scan(&tenant, &u.ID, &u.DocumentID, &u.NewDocument, &u.Owner, &u.Filename, &class, &u.Category,
		&u.Size, &u.Creator, &created, &expires); err != nil {
		return nil, err
	}
	u.Tenant, u.Classification = tenancy.ID(tenant), documentsv1.Classification(class)
	u.Created, u.Expires = fromMicros(created), fromMicros(expires)
	return &u, nil
}

func (s *store) getUpload(ctx context.Context, t tenancy.ID, id string) (*upload, error) {
	u, err := scanUpload(s.db.QueryRow(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE tenant = $1 AND id = $2`, string(t), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUploadNotFound
	}
	return u, err
}

// deleteUpload removes an upload row; it reports whether there was one, so two commits
// racing for the same upload cannot both succeed.
func (s *store) deleteUpload(ctx context.Context, t tenancy.ID, id string) (bool, error) {
	res, err := s.db.Exec(ctx, `DELETE FROM uploads WHERE tenant = $1 AND id = $2`, string(t), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// expiredUploads lists uploads that expired before now (across tenants: the sweep's view).
func (s *store) expiredUploads(ctx context.Context, now time.Time, limit int) ([]*upload, error) {
	return sqlstore.QueryAll(ctx, s.db, scanUpload, `SELECT `+uploadColumns+` FROM uploads WHERE expire_us < $1 ORDER BY expire_us LIMIT $2`, micros(now), limit)
}

// knownObject reports whether a version row refers to this object version.
func (s *store) knownObject(ctx context.Context, key, objectVersion string) (bool, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM document_versions WHERE object_key = $1 AND object_version = $2`, key, objectVersion).Scan(&n)
	return n > 0, err
}

// uploadExists reports whether an upload row (of any expiry) exists.
func (s *store) uploadExists(ctx context.Context, t tenancy.ID, id string) (bool, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM uploads WHERE tenant = $1 AND id = $2`, string(t), id).Scan(&n)
	return n > 0, err
}

// purgeable lists documents deleted before cutoff and not held (across tenants).
func (s *store) purgeable(ctx context.Context, cutoff time.Time, limit int) ([]*document, error) {
	return sqlstore.QueryAll(ctx, s.db, scanDocument, `SELECT `+documentColumns+` FROM documents
		WHERE delete_us > 0 AND delete_us < $1 AND legal_hold = FALSE ORDER BY delete_us LIMIT $2`, micros(cutoff), limit)
}

func (s *store) deleteDocument(ctx context.Context, t tenancy.ID, id string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM document_versions WHERE tenant = $1 AND document_id = $2`, string(t), id); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, `DELETE FROM documents WHERE tenant = $1 AND id = $2`, string(t), id)
	return err
}
