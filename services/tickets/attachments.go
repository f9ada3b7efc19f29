package tickets

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// maxAttachments bounds the documents one ticket references.
const maxAttachments = 20

var documentID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Attachment errors.
var (
	ErrAttachmentNotFound    = errs.New(errs.InvalidArgument, "ATTACHMENT_NOT_FOUND", "附件不存在或无权查看")
	ErrAttachmentUnavailable = errs.New(errs.FailedPrecondition, "ATTACHMENT_UNAVAILABLE", "附件已删除或未通过病毒扫描")
)

// checkAttachments validates the attachment references of a ticket received at t: each
// a documents service resource name of t, no repeats; and, when the documents service
// is known, each an existing document the caller can read that is not deleted or
// infected.
func (s *service) checkAttachments(ctx context.Context, t tenancy.ID, names []string) error {
	if len(names) > maxAttachments {
		return errs.Invalid("ticket.attachments", "TOO_MANY_ATTACHMENTS", fmt.Sprintf("附件不能超过 %d 个", maxAttachments))
	}
	for i, n := range names {
		field := fmt.Sprintf("ticket.attachments[%d]", i)
		rest, ok := strings.CutPrefix(n, "tenants/")
		ten, id, ok2 := strings.Cut(rest, "/documents/")
		if !ok || !ok2 || !documentID.MatchString(id) {
			return errs.Invalid(field, "INVALID_ATTACHMENT", "附件应为 tenants/{tenant}/documents/{id}")
		}
		if tenancy.ID(ten) != t {
			return errs.Invalid(field, "ATTACHMENT_OTHER_TENANT", "附件须属于受理单位")
		}
		if slices.Contains(names[:i], n) {
			return errs.Invalid(field, "DUPLICATE_ATTACHMENT", "附件重复")
		}
		if s.docs == nil {
			continue
		}
		if err := s.docs.check(ctx, n); err != nil {
			return errs.From(err).WithField(field, errs.From(err).Code, "附件不可用: "+n)
		}
	}
	return nil
}

// docChecker checks references against the documents service over gRPC, as the caller:
// the caller's bearer token goes along, so a document it cannot read is one it cannot
// attach.
type docChecker struct {
	client documentsv1.DocumentsServiceClient
}

// bearerKey carries a token for calls that did not come in over gRPC (the Open311 façade).
type bearerKey struct{}

func withBearer(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, bearerKey{}, token)
}

func (d *docChecker) check(ctx context.Context, name string) error {
	auth := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		auth = md.Get("authorization")[0]
	}
	if tok, ok := ctx.Value(bearerKey{}).(string); ok && tok != "" {
		auth = "Bearer " + tok
	}
	out := metadata.AppendToOutgoingContext(context.WithoutCancel(ctx), "authorization", auth)
	out, cancel := context.WithTimeout(out, callTimeout)
	defer cancel()
	doc, err := d.client.GetDocument(out, &documentsv1.GetDocumentRequest{Name: name})
	switch status.Code(err) {
	case codes.OK:
	case codes.NotFound, codes.PermissionDenied, codes.InvalidArgument:
		return ErrAttachmentNotFound.WithMessage("附件不存在或无权查看: %s", name)
	default:
		return errs.New(errs.Unavailable, "DOCUMENTS_UNAVAILABLE", "材料服务暂不可用，请稍后重试").Wrap(err)
	}
	if st := doc.GetState(); st == documentsv1.State_STATE_DELETED || st == documentsv1.State_STATE_INFECTED {
		return ErrAttachmentUnavailable.WithMessage("附件已删除或未通过病毒扫描: %s", name)
	}
	return nil
}
