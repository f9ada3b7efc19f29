package documents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// service is the business logic; Server wires it to transports and infrastructure.
type service struct {
	// API serves ListAuditRecords and VerifyAuditChain over this service's chains.
	audit.API
	config.SettingsAPI[Settings]
	db       *sqlstore.DB
	audit    *audit.Sealer // records audit in db and chains it
	st       store
	blob     *storage
	settings *config.Settings[Settings]
	enforcer *authz.Enforcer
	scanner  Scanner
	cases    *cases // nil without a legalaid peer: confidential case files are refused
	log      *slog.Logger
	now      func() time.Time
}

var (
	idPattern       = regexp.MustCompile(`^[0-9a-f]{24}$`)
	categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	ownerSegment    = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)
)

// newID makes a document or upload id: 8 bytes of Unix microseconds then 4 random bytes,
// in hex, so ids sort by creation time (pages list oldest first) and never collide.
func newID(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMicro()))
	_, _ = rand.Read(b[8:])
	return hex.EncodeToString(b[:])
}

func parseParent(parent string) (tenancy.ID, error) { return resname.Parent("parent", parent) }

// parseName splits tenants/{tenant}/<collection>/{id}.
func parseName(field, name, collection string) (tenancy.ID, string, error) {
	return resname.Parse(field, name, collection, idPattern)
}

// validOwner checks an owner link: a resource name inside the same tenant, e.g.
// tenants/ahz/tickets/T-20261125-000123.
func validOwner(t tenancy.ID, owner string) error {
	rest, ok := strings.CutPrefix(owner, "tenants/"+string(t)+"/")
	parts := strings.Split(rest, "/")
	if !ok || len(owner) > 512 || len(parts) < 2 || len(parts)%2 != 0 {
		return errs.Invalid("owner", "INVALID_OWNER", "owner 应为本租户的资源名，如 tenants/{tenant}/tickets/{ticket}")
	}
	for _, p := range parts {
		if !ownerSegment.MatchString(p) {
			return errs.Invalid("owner", "INVALID_OWNER", "owner 含有不允许的字符")
		}
	}
	return nil
}

// checkClass adds the confidential check to the method's own authorization: the action
// on ConfidentialObject, and for a case file (owner a case) that the caller reaches the
// case (cases.go).
func (s *service) checkClass(ctx context.Context, t tenancy.ID, c documentsv1.Classification, owner, action string) error {
	if c != documentsv1.Classification_CLASSIFICATION_CONFIDENTIAL {
		return nil
	}
	sub, ok := authn.Subject(ctx)
	if !ok || !s.enforcer.Allowed(sub, t, ConfidentialObject, action) {
		return ErrConfidentialDenied
	}
	if caseOwnerPattern.MatchString(owner) {
		return s.cases.reaches(ctx, owner)
	}
	return nil
}

// load reads a document the caller may see with action.
func (s *service) load(ctx context.Context, name, action string) (*document, error) {
	t, id, err := parseName("name", name, "documents")
	if err != nil {
		return nil, err
	}
	d, err := s.st.getDocument(ctx, t, id)
	if err != nil {
		return nil, err
	}
	return d, s.checkClass(ctx, t, d.Classification, d.Owner, action)
}

func checkEtag(d *document, etag string) error {
	return errs.CheckEtag(etag, d.etag())
}

func (s *service) GetDocument(ctx context.Context, r *documentsv1.GetDocumentRequest) (*documentsv1.Document, error) {
	d, err := s.load(ctx, r.GetName(), "read")
	if err != nil {
		return nil, err
	}
	return d.proto(s.settings.For(d.Tenant)), nil
}

func (s *service) ListDocuments(ctx context.Context, r *documentsv1.ListDocumentsRequest) (*documentsv1.ListDocumentsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if r.GetOwner() != "" {
		if err := validOwner(t, r.GetOwner()); err != nil {
			return nil, err
		}
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("documents", string(t), r.GetOwner(), boolString(r.GetShowDeleted()))
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	docs, err := s.st.listDocuments(ctx, t, r.GetOwner(), after, r.GetShowDeleted(), size+1)
	if err != nil {
		return nil, err
	}
	resp := &documentsv1.ListDocumentsResponse{}
	if len(docs) > size {
		docs = docs[:size]
		resp.NextPageToken = page.Encode(docs[size-1].ID, query)
	}
	set := s.settings.For(t)
	refused := map[string]bool{} // by owner: a case is asked about once per page
	for _, d := range docs {
		// Confidential documents the caller may not read are left out, not refused:
		// a list is allowed, only some of its rows are not.
		if d.Classification == documentsv1.Classification_CLASSIFICATION_CONFIDENTIAL {
			no, asked := refused[d.Owner]
			if !asked {
				no = s.checkClass(ctx, t, d.Classification, d.Owner, "read") != nil
				refused[d.Owner] = no
			}
			if no {
				continue
			}
		}
		resp.Documents = append(resp.Documents, d.proto(set))
	}
	return resp, nil
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// target is what an upload will become, decided before any byte is stored.
type target struct {
	tenant    tenancy.ID
	docID     string
	existing  *document // nil for a new document
	number    int32
	owner     string
	filename  string
	class     documentsv1.Classification
	category  string
	limit     int64
	key       string
	lock      lock
	creator   string
	scanFirst bool
}

// uploadSpec is what a client says about an upload.
type uploadSpec struct {
	document string // existing document name for a new version, or ""
	owner    string
	filename string
	class    documentsv1.Classification
	category string
}

// plan validates spec for tenant t and decides where the bytes go.
func (s *service) plan(ctx context.Context, t tenancy.ID, spec uploadSpec) (*target, error) {
	set := s.settings.For(t)
	now := s.now()
	tg := &target{tenant: t, filename: SanitizeFilename(spec.filename), scanFirst: set.ScanRequired}
	tg.creator, _ = authn.Subject(ctx)
	if spec.filename == "" {
		return nil, errs.Invalid("filename", "REQUIRED", "请提供文件名")
	}
	if spec.document != "" {
		dt, id, err := parseName("document", spec.document, "documents")
		if err != nil {
			return nil, err
		}
		if dt != t {
			return nil, errs.Invalid("document", "TENANT_MISMATCH", "材料不属于该租户")
		}
		d, err := s.st.getDocument(ctx, t, id)
		if err != nil {
			return nil, err
		}
		if !authz.AccessFrom(ctx).Owns(d.holder()) {
			// A new version of another's document: only its holder or staff add one, and
			// an applicant does not learn that it exists.
			return nil, notFound(spec.document)
		}
		if !d.Deleted.IsZero() {
			return nil, ErrDeleted
		}
		if err := s.checkClass(ctx, t, d.Classification, d.Owner, "create"); err != nil {
			return nil, err
		}
		tg.existing, tg.docID, tg.number = d, id, d.Version+1
		tg.owner, tg.class, tg.category = d.Owner, d.Classification, d.Category
		tg.lock.hold = d.LegalHold
	} else {
		if err := validOwner(t, spec.owner); err != nil {
			return nil, err
		}
		if spec.category != "" && !categoryPattern.MatchString(spec.category) {
			return nil, errs.Invalid("category", "INVALID_CATEGORY", "类别应为小写字母、数字、下划线")
		}
		class := spec.class
		switch class {
		case documentsv1.Classification_CLASSIFICATION_UNSPECIFIED:
			class = documentsv1.Classification_CLASSIFICATION_INTERNAL
		case documentsv1.Classification_CLASSIFICATION_PUBLIC, documentsv1.Classification_CLASSIFICATION_INTERNAL,
			documentsv1.Classification_CLASSIFICATION_CONFIDENTIAL:
		default:
			return nil, errs.Invalid("classification", "INVALID_CLASSIFICATION", "密级应为 PUBLIC、INTERNAL 或 CONFIDENTIAL")
		}
		if err := s.checkClass(ctx, t, class, spec.owner, "create"); err != nil {
			return nil, err
		}
		tg.docID, tg.number = newID(now), 1
		tg.owner, tg.class, tg.category = spec.owner, class, spec.category
	}
	if days := set.RetentionDays[tg.category]; days > 0 {
		tg.lock.retainUntil = now.Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
		tg.lock.compliance = slices.Contains(set.ComplianceCategories, tg.category)
	}
	tg.limit = set.Limit(tg.category)
	tg.key = objectKey(t, tg.docID, tg.number)
	return tg, nil
}

// stored is what storage says about bytes written for a target.
type stored struct {
	objectVersion string
	contentType   string
	size          int64
	sha256        string
}

// commit records stored bytes as the target's document version, with its audit record,
// in one transaction. The bytes are already in the bucket, so a row never points at
// nothing; if the transaction fails the object is removed (or left to the sweep).
func (s *service) commit(ctx context.Context, tg *target, obj stored, extra func(ctx context.Context) error) (*document, error) {
	now := s.now()
	state := documentsv1.State_STATE_AVAILABLE
	if tg.scanFirst {
		state = documentsv1.State_STATE_PENDING_SCAN
	}
	v := &version{
		Number: tg.number, ObjectKey: tg.key, ObjectVersion: obj.objectVersion, Filename: tg.filename,
		ContentType: obj.contentType, Size: obj.size, SHA256: obj.sha256, ScanState: state, Creator: tg.creator, Created: now,
	}
	var out *document
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		if extra != nil {
			if err := extra(ctx); err != nil {
				return err
			}
		}
		var before *documentsv1.Document
		holder := authz.AccessFrom(ctx).Owner() // the uploader's, for a new document
		d := &document{
			Tenant: tg.tenant, ID: tg.docID, Owner: tg.owner, Classification: tg.class, Category: tg.category,
			Created: now, Revision: 1, HolderSubject: holder.GetSubject(), HolderOrg: holder.GetOrg(),
		}
		if tg.existing != nil {
			cur, err := s.st.getDocument(ctx, tg.tenant, tg.docID)
			if err != nil {
				return err
			}
			if cur.Version != tg.number-1 {
				return ErrVersionConflict
			}
			if !cur.Deleted.IsZero() {
				return ErrDeleted
			}
			before, d = cur.proto(s.settings.For(tg.tenant)), cur
			d.Revision++
		}
		d.Filename, d.ContentType, d.Size, d.SHA256 = tg.filename, obj.contentType, obj.size, obj.sha256
		d.Version, d.ScanState, d.Updated = tg.number, state, now
		if tg.lock.retainUntil.After(d.RetainUntil) {
			d.RetainUntil = tg.lock.retainUntil
		}
		var err error
		if tg.existing == nil {
			err = s.st.insertDocument(ctx, d, v)
		} else if err = s.st.insertVersion(ctx, tg.tenant, tg.docID, v); err == nil {
			err = s.st.updateDocument(ctx, d, d.Revision-1)
		}
		if err != nil {
			return err
		}
		_, err = s.audit.Record(ctx, audit.Entry{
			Tenant: tg.tenant, Action: "documents.AddVersion", Resource: documentName(tg.tenant, tg.docID),
			Before: before, After: d.proto(s.settings.For(tg.tenant)),
		})
		out = d
		return err
	})
	if err != nil {
		s.discard(ctx, tg.key, obj.objectVersion)
		return nil, err
	}
	if tg.scanFirst && s.scanner != nil {
		if err := s.scanner.Submit(ctx, documentName(tg.tenant, tg.docID), tg.number); err != nil {
			s.log.WarnContext(ctx, "scan submission failed; the version waits for the scanner", "document", documentName(tg.tenant, tg.docID), "err", err)
		}
	}
	return out, nil
}

// discard removes an object no row refers to. It runs after a failure, possibly because
// the caller went away, so it gets a context of its own; what it cannot remove the
// sweep will.
func (s *service) discard(ctx context.Context, key, objectVersion string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), metaTimeout)
	defer cancel()
	if err := s.blob.remove(ctx, key, objectVersion, true); err != nil {
		s.log.WarnContext(ctx, "could not remove an object without metadata; the sweep will", "key", key, "err", err)
	}
}

func (s *service) CreateUpload(ctx context.Context, r *documentsv1.CreateUploadRequest) (*documentsv1.Upload, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	tg, err := s.plan(ctx, t, uploadSpec{
		document: r.GetDocument(), owner: r.GetOwner(), filename: r.GetFilename(), class: r.GetClassification(), category: r.GetCategory(),
	})
	if err != nil {
		return nil, err
	}
	if r.GetSizeBytes() <= 0 {
		return nil, errs.Invalid("size_bytes", "REQUIRED", "请提供文件大小（字节）")
	}
	if r.GetSizeBytes() > tg.limit {
		return nil, ErrTooLarge.WithMessage("文件超过 %d 字节的大小限制", tg.limit)
	}
	now := s.now()
	ttl := time.Duration(s.settings.For(t).UploadTTLSeconds) * time.Second
	u := &upload{
		Tenant: t, ID: newID(now), DocumentID: tg.docID, NewDocument: tg.existing == nil, Owner: tg.owner,
		Filename: tg.filename, Classification: tg.class, Category: tg.category, Size: r.GetSizeBytes(),
		Creator: tg.creator, Created: now, Expires: now.Add(ttl),
	}
	// The URL only works for ttl; the row says when the commit window closes.
	url, err := s.blob.presignPut(ctx, stagingKey(t, u.ID), ttl)
	if err != nil {
		return nil, err
	}
	if err := s.st.insertUpload(ctx, u); err != nil {
		return nil, err
	}
	return &documentsv1.Upload{
		Name: uploadName(t, u.ID), Url: url.String(), ExpireTime: ts(u.Expires), Document: documentName(t, u.DocumentID),
	}, nil
}

func (s *service) CommitUpload(ctx context.Context, r *documentsv1.CommitUploadRequest) (*documentsv1.Document, error) {
	t, id, err := parseName("name", r.GetName(), "uploads")
	if err != nil {
		return nil, err
	}
	want := strings.ToLower(r.GetSha256())
	if len(want) != 64 || strings.Trim(want, "0123456789abcdef") != "" {
		return nil, errs.Invalid("sha256", "INVALID_SHA256", "sha256 应为 64 位十六进制")
	}
	u, err := s.st.getUpload(ctx, t, id)
	if err != nil {
		return nil, err
	}
	staging := stagingKey(t, id)
	if s.now().After(u.Expires) {
		return nil, ErrUploadExpired
	}
	spec := uploadSpec{owner: u.Owner, filename: u.Filename, class: u.Classification, category: u.Category}
	if !u.NewDocument {
		spec.document = documentName(t, u.DocumentID)
	}
	tg, err := s.plan(ctx, t, spec)
	if err != nil {
		return nil, err
	}
	if u.NewDocument {
		tg.docID, tg.key = u.DocumentID, objectKey(t, u.DocumentID, 1)
	}
	info, ok, err := s.blob.stat(ctx, staging)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrUploadMissing
	}
	if info.Size != r.GetSizeBytes() {
		return nil, ErrSizeMismatch.WithMessage("文件大小不一致：声明 %d 字节，收到 %d 字节", r.GetSizeBytes(), info.Size)
	}
	if info.Size > tg.limit {
		s.discard(ctx, staging, "")
		return nil, ErrTooLarge.WithMessage("文件超过 %d 字节的大小限制", tg.limit)
	}
	// Read the object back: sniff its head and hash all of it, never trusting the client.
	obj, err := s.blob.open(ctx, staging, "")
	if err != nil {
		return nil, err
	}
	defer func() { _ = obj.Close() }()
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(obj, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, storageErr(err)
	}
	contentType, err := sniff(head[:n], tg.filename)
	if err != nil {
		s.discard(ctx, staging, "")
		return nil, err
	}
	h := sha256.New()
	h.Write(head[:n])
	if _, err := io.Copy(h, obj); err != nil {
		return nil, storageErr(err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		// The bytes are not what the client meant to send: drop them; the client may PUT
		// again to the same URL while the upload lasts.
		s.discard(ctx, staging, "")
		return nil, ErrChecksumMismatch
	}
	objVersion, err := s.blob.copy(ctx, staging, tg.key, contentType, tg.lock)
	if err != nil {
		return nil, err
	}
	d, err := s.commit(ctx, tg, stored{objectVersion: objVersion, contentType: contentType, size: info.Size, sha256: want},
		func(ctx context.Context) error {
			ok, err := s.st.deleteUpload(ctx, t, id)
			if err == nil && !ok {
				err = ErrUploadNotFound // committed by a concurrent call
			}
			return err
		})
	if err != nil {
		return nil, err
	}
	s.discard(ctx, staging, "")
	return d.proto(s.settings.For(t)), nil
}

// downloadable returns the version to serve, or why it cannot be served.
func (s *service) downloadable(ctx context.Context, d *document, number int32) (*version, error) {
	if !d.Deleted.IsZero() {
		return nil, ErrDeleted
	}
	if number == 0 {
		number = d.Version
	}
	v, err := s.st.getVersion(ctx, d.Tenant, d.ID, number)
	if err != nil {
		return nil, err
	}
	switch v.ScanState {
	case documentsv1.State_STATE_PENDING_SCAN:
		return nil, ErrPendingScan
	case documentsv1.State_STATE_INFECTED:
		return nil, ErrInfected
	}
	return v, nil
}

func (s *service) GetDownloadURL(ctx context.Context, r *documentsv1.GetDownloadURLRequest) (*documentsv1.DownloadURL, error) {
	d, err := s.load(ctx, r.GetName(), "read")
	if err != nil {
		return nil, err
	}
	if r.GetVersion() < 0 {
		return nil, errs.Invalid("version", "INVALID_VERSION", "版本号不能为负数")
	}
	v, err := s.downloadable(ctx, d, r.GetVersion())
	if err != nil {
		return nil, err
	}
	ttl := time.Duration(s.settings.For(d.Tenant).DownloadTTLSeconds) * time.Second
	u, err := s.blob.presignGet(ctx, v.ObjectKey, v.ObjectVersion, v.Filename, v.ContentType, ttl)
	if err != nil {
		return nil, err
	}
	return &documentsv1.DownloadURL{Url: u.String(), ExpireTime: ts(s.now().Add(ttl)), Version: v.Number}, nil
}

// change applies fn to the document named name in one transaction with its audit record,
// after the etag check; fn may refuse.
func (s *service) change(ctx context.Context, name, etag, action, verb string, fn func(d *document) error, inTx func(ctx context.Context, d *document) error) (*documentsv1.Document, error) {
	d, err := s.load(ctx, name, action)
	if err != nil {
		return nil, err
	}
	if err := checkEtag(d, etag); err != nil {
		return nil, err
	}
	set := s.settings.For(d.Tenant)
	before := d.proto(set)
	prev := d.Revision
	if err := fn(d); err != nil {
		return nil, err
	}
	d.Revision, d.Updated = prev+1, s.now()
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.updateDocument(ctx, d, prev); err != nil {
			if errors.Is(err, ErrVersionConflict) {
				return errs.ErrStaleVersion
			}
			return err
		}
		if inTx != nil {
			if err := inTx(ctx, d); err != nil {
				return err
			}
		}
		_, err := s.audit.Record(ctx, audit.Entry{
			Tenant: d.Tenant, Action: verb, Resource: documentName(d.Tenant, d.ID), Before: before, After: d.proto(set),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.proto(set), nil
}

func (s *service) DeleteDocument(ctx context.Context, r *documentsv1.DeleteDocumentRequest) (*documentsv1.Document, error) {
	return s.change(ctx, r.GetName(), r.GetEtag(), "delete", "documents.DeleteDocument", func(d *document) error {
		switch {
		case !d.Deleted.IsZero():
			return ErrDeleted
		case d.LegalHold:
			return ErrLegalHold
		case d.RetainUntil.After(s.now()):
			return ErrRetained.WithMessage("材料须保存至 %s，不能删除", d.RetainUntil.Format(time.DateOnly))
		}
		d.Deleted = s.now()
		return nil
	}, nil)
}

func (s *service) UndeleteDocument(ctx context.Context, r *documentsv1.UndeleteDocumentRequest) (*documentsv1.Document, error) {
	return s.change(ctx, r.GetName(), r.GetEtag(), "delete", "documents.UndeleteDocument", func(d *document) error {
		switch {
		case d.Deleted.IsZero():
			return ErrNotDeleted
		case s.now().After(d.purgeTime(s.settings.For(d.Tenant))):
			return ErrRestoreExpired
		}
		d.Deleted = time.Time{}
		return nil
	}, nil)
}

// setHold turns the legal hold on every version's object on or off, then records it.
// Storage goes first: if it fails nothing is recorded; if the record then fails, a held
// object with an unheld row is the safe way round (storage still refuses deletion).
func (s *service) setHold(ctx context.Context, name, etag string, on bool) (*documentsv1.Document, error) {
	verb := "documents.ReleaseLegalHold"
	if on {
		verb = "documents.SetLegalHold"
	}
	// The method's rule asked for documents.holds; of a confidential document the caller
	// must also be one who reads it (for a case file: one who reaches the case).
	return s.change(ctx, name, etag, "read", verb, func(d *document) error {
		if d.LegalHold == on {
			if on {
				return ErrAlreadyHeld
			}
			return ErrNotHeld
		}
		versions, err := s.st.listVersions(ctx, d.Tenant, d.ID, 0, int(d.Version))
		if err != nil {
			return err
		}
		for _, v := range versions {
			if err := s.blob.setHold(ctx, v.ObjectKey, v.ObjectVersion, on); err != nil {
				return err
			}
		}
		d.LegalHold = on
		return nil
	}, nil)
}

func (s *service) SetLegalHold(ctx context.Context, r *documentsv1.SetLegalHoldRequest) (*documentsv1.Document, error) {
	return s.setHold(ctx, r.GetName(), r.GetEtag(), true)
}

func (s *service) ReleaseLegalHold(ctx context.Context, r *documentsv1.ReleaseLegalHoldRequest) (*documentsv1.Document, error) {
	return s.setHold(ctx, r.GetName(), r.GetEtag(), false)
}

func (s *service) MarkScanned(ctx context.Context, r *documentsv1.MarkScannedRequest) (*documentsv1.Document, error) {
	state := documentsv1.State_STATE_INFECTED
	if r.GetClean() {
		state = documentsv1.State_STATE_AVAILABLE
	}
	return s.change(ctx, r.GetName(), "", "admin", "documents.MarkScanned", func(d *document) error {
		if r.GetVersion() != d.Version {
			return errs.Invalid("version", "NOT_CURRENT_VERSION", "只能标记当前版本")
		}
		if d.ScanState != documentsv1.State_STATE_PENDING_SCAN {
			return ErrNotPendingScan
		}
		d.ScanState = state
		return nil
	}, func(ctx context.Context, d *document) error {
		return s.st.setVersionScan(ctx, d.Tenant, d.ID, d.Version, state)
	})
}

func (s *service) ListVersions(ctx context.Context, r *documentsv1.ListVersionsRequest) (*documentsv1.ListVersionsResponse, error) {
	d, err := s.load(ctx, r.GetParent(), "read")
	if err != nil {
		return nil, err
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("versions", r.GetParent())
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	var before int32
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 32)
		if err != nil {
			return nil, page.ErrInvalidToken
		}
		before = int32(n)
	}
	versions, err := s.st.listVersions(ctx, d.Tenant, d.ID, before, size+1)
	if err != nil {
		return nil, err
	}
	resp := &documentsv1.ListVersionsResponse{}
	if len(versions) > size {
		versions = versions[:size]
		resp.NextPageToken = page.Encode(itoa(versions[size-1].Number), query)
	}
	for _, v := range versions {
		resp.Versions = append(resp.Versions, &documentsv1.DocumentVersion{
			Name:    r.GetParent() + "/versions/" + itoa(v.Number),
			Version: v.Number, Filename: v.Filename, ContentType: v.ContentType, SizeBytes: v.Size, Sha256: v.SHA256,
			State: v.ScanState, CreateTime: ts(v.Created), Creator: v.Creator,
		})
	}
	return resp, nil
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
