package documents

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// errBodyTooLarge marks the request body passing the size limit while it streams.
var errBodyTooLarge = errors.New("body over the size limit")

// body wraps a request body: it counts and hashes what passes, stops with
// errBodyTooLarge at limit+1 bytes, and remembers its own failure so a storage error can
// be told from the client's.
type body struct {
	r     io.Reader
	limit int64
	n     int64
	hash  hash.Hash
	err   error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if rest := b.limit + 1 - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	b.hash.Write(p[:n])
	if b.n > b.limit {
		n, err = 0, errBodyTooLarge
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// upload is POST /v1/tenants/{tenant}/documents:upload (the route UploadDocument, which
// the chain authorizes as create at the tenant). The body is the file;
// query parameters say the rest: owner, filename, classification (PUBLIC, INTERNAL,
// CONFIDENTIAL), category, and document (an existing document's name, to add a version).
// The bytes are streamed to storage while they are hashed and counted; a body over the
// limit is refused with 413 at once when Content-Length says so, else as soon as it
// passes the limit, and what was stored is discarded.
func (s *service) upload(w http.ResponseWriter, r *http.Request) error {
	ctx := withAuthorization(r.Context(), r.Header.Get("Authorization"))
	t, err := tenancy.Parse(r.PathValue("tenant"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	class := documentsv1.Classification_CLASSIFICATION_UNSPECIFIED
	if c := q.Get("classification"); c != "" {
		v, ok := documentsv1.Classification_value["CLASSIFICATION_"+strings.ToUpper(strings.TrimPrefix(c, "CLASSIFICATION_"))]
		if !ok {
			return errs.Invalid("classification", "INVALID_CLASSIFICATION", "密级应为 PUBLIC、INTERNAL 或 CONFIDENTIAL")
		}
		class = documentsv1.Classification(v)
	}
	tg, err := s.plan(ctx, t, uploadSpec{
		document: q.Get("document"), owner: q.Get("owner"), filename: q.Get("filename"), class: class, category: q.Get("category"),
	})
	if err != nil {
		return err
	}
	tooLarge := ErrTooLarge.WithMessage("文件超过 %d 字节的大小限制", tg.limit)
	if r.ContentLength > tg.limit {
		return tooLarge
	}
	in := &body{r: r.Body, limit: tg.limit, hash: sha256.New()}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(in, head)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return tooLarge
	case err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		return errs.ErrMalformed.WithMessage("读取上传内容失败").Wrap(err)
	}
	contentType, err := sniff(head[:n], tg.filename)
	if err != nil {
		return err
	}
	size := r.ContentLength
	if size == 0 {
		size = -1 // unknown (chunked); 0 with a body is impossible after a read of n > 0
	}
	objVersion, err := s.blob.put(ctx, tg.key, io.MultiReader(bytes.NewReader(head[:n]), readerOnly{in}), size, contentType, tg.lock)
	switch {
	case errors.Is(in.err, errBodyTooLarge):
		return tooLarge
	case in.err != nil:
		return errs.ErrMalformed.WithMessage("上传中断").Wrap(in.err)
	case err != nil:
		return storageErr(err)
	}
	d, err := s.commit(ctx, tg, stored{
		objectVersion: objVersion, contentType: contentType, size: in.n, sha256: hex.EncodeToString(in.hash.Sum(nil)),
	}, nil)
	if err != nil {
		return err
	}
	out, err := protojson.Marshal(d.proto(s.settings.For(t)))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "/api/"+Name+"/v1/"+documentName(t, d.ID))
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
	return nil
}

// readerOnly hides every method but Read, so minio-go streams the body part by part
// instead of probing it for ReadAt or Seek.
type readerOnly struct{ io.Reader }

// download is GET /v1/{name=tenants/*/documents/*}:download (optional ?version=n), the
// route DownloadDocument, which the chain authorizes as read at the document's tenant:
// the bytes streamed from storage, with Range, If-Range and HEAD handled by
// http.ServeContent over the object (which reads ranges from storage on demand).
func (s *service) download(w http.ResponseWriter, r *http.Request) error {
	ctx := withAuthorization(r.Context(), r.Header.Get("Authorization"))
	// The class of the document decides too (a confidential one needs more): that
	// check reads the record, so it is the service's, as in GetDocument.
	d, err := s.load(ctx, r.PathValue("name"), "read")
	if err != nil {
		return err
	}
	var number int32
	if v := r.URL.Query().Get("version"); v != "" {
		n, ok := parseVersion(v)
		if !ok {
			return errs.Invalid("version", "INVALID_VERSION", "版本号应为正整数")
		}
		number = n
	}
	v, err := s.downloadable(ctx, d, number)
	if err != nil {
		return err
	}
	obj, err := s.blob.open(ctx, v.ObjectKey, v.ObjectVersion)
	if err != nil {
		return err
	}
	defer func() { _ = obj.Close() }()
	if _, err := obj.Stat(); err != nil {
		return storageErr(err)
	}
	h := w.Header()
	h.Set("Content-Type", v.ContentType)
	h.Set("Content-Disposition", contentDisposition(v.Filename))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+v.SHA256+`"`)
	http.ServeContent(w, r, "", v.Created, obj)
	return nil
}

func parseVersion(s string) (int32, bool) {
	var n int32
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + c - '0'
	}
	return n, n > 0
}
