package documents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/objstore"
)

// DefaultBucket is the deployment's one bucket; tenants are separated by key prefix.
const DefaultBucket = "gaoxing-documents"

// Streamed uploads go to storage in parts of partSize, partThreads at a time: while one
// part is sent the next is read from the client. minio-go holds partSize × partThreads of
// buffer per upload, which is what bounds an upload's memory (left to itself, for an
// unknown size, it would pick parts of hundreds of MiB). With 8 MiB parts an upload may
// reach 78 GiB, far above any configured limit. Measured on the 2-core test machine
// (BenchmarkUpload64MiB), two 8 MiB parts in flight were at least as fast as one 16 MiB
// part at a time, with the same memory.
const (
	partSize    = 8 << 20
	partThreads = 2
)

// Timeouts that make a storage outage a fast 503: a refused or silent connection fails
// within dialTimeout, a stalled server within headerTimeout of a request being sent.
const (
	dialTimeout   = 2 * time.Second
	headerTimeout = 30 * time.Second
	metaTimeout   = 10 * time.Second // for small calls (stat, lock, presign, remove)
)

// storage is the bucket as the service uses it. Every error it returns is ErrStorage
// (503) unless it is one the caller asked about (not found, locked).
type storage struct {
	client *minio.Client
	// presigner signs the URLs browsers use: for objstore.Config.PublicURL when set
	// (signing is local: no request goes to that address), else client.
	presigner *minio.Client
	bucket    string
}

func newStorage(cfg objstore.Config, bucket string) (*storage, error) {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
		// The bytes are already compressed or not worth it; never let the transport
		// ask for gzip and change sizes.
		DisableCompression: true,
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.UseSSL,
		Transport: objstore.Traced(transport),
		// One retry at most: a caller waiting on a dead server should hear 503 at once.
		MaxRetries: 2,
		// With DisableContentSha256 on puts (see put), parts carry a CRC32C trailer that
		// storage verifies instead of a SHA-256 chunk signature.
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fmt.Errorf("documents: minio client: %w", err)
	}
	st := &storage{client: c, presigner: c, bucket: bucket}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("documents: minio public URL %q: want scheme://host[:port]", cfg.PublicURL)
		}
		region := cfg.Region
		if region == "" {
			region = "us-east-1"
		}
		st.presigner, err = minio.New(u.Host, &minio.Options{
			Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
			Secure:       u.Scheme == "https",
			Region:       region, // known, so presigning never looks the bucket's location up
			BucketLookup: minio.BucketLookupPath,
		})
		if err != nil {
			return nil, fmt.Errorf("documents: minio presigner: %w", err)
		}
	}
	return st, nil
}

// ensureBucket creates the bucket with object locking (needed for legal hold and
// retention; it also turns versioning on, so every write is its own object version).
func (s *storage) ensureBucket(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, metaTimeout)
	defer cancel()
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return storageErr(err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{ObjectLocking: true})
	if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
		return storageErr(err)
	}
	return nil
}

// ping checks the bucket answers (readiness).
func (s *storage) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, metaTimeout)
	defer cancel()
	_, err := s.client.BucketExists(ctx, s.bucket)
	return err
}

// lock is what object lock to put on a new object.
type lock struct {
	hold        bool
	retainUntil time.Time // zero for none
	compliance  bool      // COMPLIANCE retention (Settings.ComplianceCategories), else GOVERNANCE
}

func (l lock) mode() minio.RetentionMode {
	if l.compliance {
		return minio.Compliance
	}
	return minio.Governance
}

func (l lock) putOptions(o *minio.PutObjectOptions) {
	if l.hold {
		o.LegalHold = minio.LegalHoldEnabled
	}
	if !l.retainUntil.IsZero() {
		o.Mode = l.mode()
		o.RetainUntilDate = l.retainUntil
	}
}

// put streams r (size bytes, or -1 when unknown) to key and returns the object version.
func (s *storage) put(ctx context.Context, key string, r io.Reader, size int64, contentType string, l lock) (string, error) {
	// The service already hashes every byte once (SHA-256, the document's checksum).
	// Signing the payload would hash it a second time; a CRC32C trailer, checked by
	// storage, guards the hop to storage for a fraction of the cost.
	opts := minio.PutObjectOptions{
		ContentType: contentType, DisableContentSha256: true,
		PartSize: partSize, NumThreads: partThreads, ConcurrentStreamParts: true,
	}
	l.putOptions(&opts)
	info, err := s.client.PutObject(ctx, s.bucket, key, r, size, opts)
	if err != nil {
		return "", err
	}
	return info.VersionID, nil
}

// copy makes a new object at dst from src (server side) and returns its version.
func (s *storage) copy(ctx context.Context, src, dst, contentType string, l lock) (string, error) {
	dest := minio.CopyDestOptions{Bucket: s.bucket, Object: dst, ContentType: contentType, ReplaceMetadata: true}
	if l.hold {
		dest.LegalHold = minio.LegalHoldEnabled
	}
	if !l.retainUntil.IsZero() {
		dest.Mode = l.mode()
		dest.RetainUntilDate = l.retainUntil
	}
	info, err := s.client.CopyObject(ctx, dest, minio.CopySrcOptions{Bucket: s.bucket, Object: src})
	if err != nil {
		return "", storageErr(err)
	}
	return info.VersionID, nil
}

// open returns a reader over one object version (a ReadSeeker for http.ServeContent).
func (s *storage) open(ctx context.Context, key, version string) (*minio.Object, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: version})
	if err != nil {
		return nil, storageErr(err)
	}
	return obj, nil
}

// stat returns an object's info; ok is false when it does not exist.
func (s *storage) stat(ctx context.Context, key string) (minio.ObjectInfo, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, metaTimeout)
	defer cancel()
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusNotFound {
			return info, false, nil
		}
		return info, false, storageErr(err)
	}
	return info, true, nil
}

// remove deletes one object version for good. bypass lifts GOVERNANCE retention, which
// only the sweep does, for objects that no document row refers to; legal holds and
// COMPLIANCE retention are never lifted (such an orphan stays until its date). version "" removes the latest (for staging objects, which carry no lock).
func (s *storage) remove(ctx context.Context, key, version string, bypass bool) error {
	ctx, cancel := context.WithTimeout(ctx, metaTimeout)
	defer cancel()
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: version, GovernanceBypass: bypass})
	if err != nil && minio.ToErrorResponse(err).StatusCode != http.StatusNotFound {
		return err
	}
	if version == "" {
		// A versioned bucket keeps a delete marker and the old versions: remove those too.
		for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
			if obj.Err != nil {
				return obj.Err
			}
			if obj.Key != key {
				continue
			}
			if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: obj.VersionID}); err != nil {
				return err
			}
		}
	}
	return nil
}

// setHold turns the legal hold of one object version on or off.
func (s *storage) setHold(ctx context.Context, key, version string, on bool) error {
	ctx, cancel := context.WithTimeout(ctx, metaTimeout)
	defer cancel()
	status := minio.LegalHoldDisabled
	if on {
		status = minio.LegalHoldEnabled
	}
	err := s.client.PutObjectLegalHold(ctx, s.bucket, key, minio.PutObjectLegalHoldOptions{VersionID: version, Status: &status})
	return storageErr(err)
}

// presignGet mints a GET URL for one object version that names the file for the browser.
func (s *storage) presignGet(ctx context.Context, key, version, filename, contentType string, ttl time.Duration) (*url.URL, error) {
	params := url.Values{}
	if version != "" {
		params.Set("versionId", version)
	}
	params.Set("response-content-disposition", contentDisposition(filename))
	params.Set("response-content-type", contentType)
	u, err := s.presigner.PresignedGetObject(ctx, s.bucket, key, ttl, params)
	return u, storageErr(err)
}

func (s *storage) presignPut(ctx context.Context, key string, ttl time.Duration) (*url.URL, error) {
	u, err := s.presigner.PresignedPutObject(ctx, s.bucket, key, ttl)
	return u, storageErr(err)
}

// storageErr turns a storage failure into ErrStorage (503), keeping the cause for logs.
func storageErr(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return ErrStorage.Wrap(err)
}

// contentDisposition is an attachment header value that carries any file name safely:
// an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987).
func contentDisposition(filename string) string {
	fallback := make([]rune, 0, len(filename))
	for _, r := range filename {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			r = '_'
		}
		fallback = append(fallback, r)
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, string(fallback), url.PathEscape(filename))
}
