package matters

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// Document reference errors: materials, the 容缺 commitment, the 帮代办 authorisation and
// result documents are documents stored in the documents service (bytes in MinIO).
var (
	ErrDocumentNotFound    = errs.New(errs.InvalidArgument, "DOCUMENT_NOT_FOUND", "文档不存在或无权查看")
	ErrDocumentUnavailable = errs.New(errs.FailedPrecondition, "DOCUMENT_UNAVAILABLE", "文档已删除或未通过病毒扫描")
	ErrDocumentsDown       = errs.New(errs.Unavailable, "DOCUMENTS_UNAVAILABLE", "材料服务暂不可用，请稍后重试")
)

// documentCallTimeout bounds one call to the documents service.
const documentCallTimeout = 5 * time.Second

// document checks a document reference: its form always, and, when the documents
// service is known, that the caller can read it and it is neither deleted nor infected.
// It is called before any transaction opens.
func (s *service) document(ctx context.Context, field, v string) error {
	if !documentPattern.MatchString(v) {
		return errs.Invalid(field, "INVALID_DOCUMENT", field+" 应为文档名 tenants/{tenant}/documents/{id}")
	}
	if s.docs == nil {
		return nil
	}
	if err := s.docs.check(ctx, v); err != nil {
		e := errs.From(err)
		return e.WithField(field, e.Code, "文档不可用: "+v)
	}
	return nil
}

// docChecker asks the documents service over gRPC, as the caller: the caller's bearer
// token goes along, so a document it cannot read is one it cannot hand in.
type docChecker struct {
	client documentsv1.DocumentsServiceClient
}

func (d *docChecker) check(ctx context.Context, name string) error {
	auth := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		auth = md.Get("authorization")[0]
	}
	out := metadata.AppendToOutgoingContext(context.WithoutCancel(ctx), "authorization", auth)
	out, cancel := context.WithTimeout(out, documentCallTimeout)
	defer cancel()
	doc, err := d.client.GetDocument(out, &documentsv1.GetDocumentRequest{Name: name})
	switch status.Code(err) {
	case codes.OK:
	case codes.NotFound, codes.PermissionDenied, codes.InvalidArgument:
		return ErrDocumentNotFound.WithMessage("文档不存在或无权查看: %s", name)
	default:
		return ErrDocumentsDown.Wrap(err)
	}
	if st := doc.GetState(); st == documentsv1.State_STATE_DELETED || st == documentsv1.State_STATE_INFECTED {
		return ErrDocumentUnavailable.WithMessage("文档已删除或未通过病毒扫描: %s", name)
	}
	return nil
}
