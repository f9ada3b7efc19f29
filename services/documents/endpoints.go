package documents

import (
	"context"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// Rules is who may call each method: the action on documents.documents at the tenant the
// request names. Adding a version is "create" (clerks re-upload corrected materials
// without update rights); legal holds and the scanner's verdict are "admin". Methods on a
// CONFIDENTIAL document also need the action on documents.confidential (service.checkClass).
var Rules = map[string]authz.Rule{
	Name + ".GetDocument":      {Object: Object, Action: "read"},
	Name + ".ListDocuments":    {Object: Object, Action: "read"},
	Name + ".CreateUpload":     {Object: Object, Action: "create"},
	Name + ".CommitUpload":     {Object: Object, Action: "create"},
	Name + ".GetDownloadURL":   {Object: Object, Action: "read"},
	Name + ".DeleteDocument":   {Object: Object, Action: "delete"},
	Name + ".UndeleteDocument": {Object: Object, Action: "delete"},
	Name + ".SetLegalHold":     {Object: Object, Action: "admin"},
	Name + ".ReleaseLegalHold": {Object: Object, Action: "admin"},
	Name + ".MarkScanned":      {Object: Object, Action: "admin"},
	Name + ".ListVersions":     {Object: Object, Action: "read"},
}

// binding is the gRPC server: one line per method, each through the kit's chain.
type binding struct {
	documentsv1.UnimplementedDocumentsServiceServer
	get      kit.Unary[*documentsv1.GetDocumentRequest, *documentsv1.Document]
	list     kit.Unary[*documentsv1.ListDocumentsRequest, *documentsv1.ListDocumentsResponse]
	create   kit.Unary[*documentsv1.CreateUploadRequest, *documentsv1.Upload]
	commit   kit.Unary[*documentsv1.CommitUploadRequest, *documentsv1.Document]
	url      kit.Unary[*documentsv1.GetDownloadURLRequest, *documentsv1.DownloadURL]
	del      kit.Unary[*documentsv1.DeleteDocumentRequest, *documentsv1.Document]
	undel    kit.Unary[*documentsv1.UndeleteDocumentRequest, *documentsv1.Document]
	hold     kit.Unary[*documentsv1.SetLegalHoldRequest, *documentsv1.Document]
	release  kit.Unary[*documentsv1.ReleaseLegalHoldRequest, *documentsv1.Document]
	scanned  kit.Unary[*documentsv1.MarkScannedRequest, *documentsv1.Document]
	versions kit.Unary[*documentsv1.ListVersionsRequest, *documentsv1.ListVersionsResponse]
}

func bind(k *kit.Service, s *service) *binding {
	return &binding{
		get:      kit.Handle(k, "GetDocument", s.GetDocument),
		list:     kit.Handle(k, "ListDocuments", s.ListDocuments),
		create:   kit.Handle(k, "CreateUpload", s.CreateUpload),
		commit:   kit.Handle(k, "CommitUpload", s.CommitUpload),
		url:      kit.Handle(k, "GetDownloadURL", s.GetDownloadURL),
		del:      kit.Handle(k, "DeleteDocument", s.DeleteDocument),
		undel:    kit.Handle(k, "UndeleteDocument", s.UndeleteDocument),
		hold:     kit.Handle(k, "SetLegalHold", s.SetLegalHold),
		release:  kit.Handle(k, "ReleaseLegalHold", s.ReleaseLegalHold),
		scanned:  kit.Handle(k, "MarkScanned", s.MarkScanned),
		versions: kit.Handle(k, "ListVersions", s.ListVersions),
	}
}

func (b *binding) GetDocument(ctx context.Context, r *documentsv1.GetDocumentRequest) (*documentsv1.Document, error) {
	return b.get.Call(ctx, r)
}
func (b *binding) ListDocuments(ctx context.Context, r *documentsv1.ListDocumentsRequest) (*documentsv1.ListDocumentsResponse, error) {
	return b.list.Call(ctx, r)
}
func (b *binding) CreateUpload(ctx context.Context, r *documentsv1.CreateUploadRequest) (*documentsv1.Upload, error) {
	return b.create.Call(ctx, r)
}
func (b *binding) CommitUpload(ctx context.Context, r *documentsv1.CommitUploadRequest) (*documentsv1.Document, error) {
	return b.commit.Call(ctx, r)
}
func (b *binding) GetDownloadURL(ctx context.Context, r *documentsv1.GetDownloadURLRequest) (*documentsv1.DownloadURL, error) {
	return b.url.Call(ctx, r)
}
func (b *binding) DeleteDocument(ctx context.Context, r *documentsv1.DeleteDocumentRequest) (*documentsv1.Document, error) {
	return b.del.Call(ctx, r)
}
func (b *binding) UndeleteDocument(ctx context.Context, r *documentsv1.UndeleteDocumentRequest) (*documentsv1.Document, error) {
	return b.undel.Call(ctx, r)
}
func (b *binding) SetLegalHold(ctx context.Context, r *documentsv1.SetLegalHoldRequest) (*documentsv1.Document, error) {
	return b.hold.Call(ctx, r)
}
func (b *binding) ReleaseLegalHold(ctx context.Context, r *documentsv1.ReleaseLegalHoldRequest) (*documentsv1.Document, error) {
	return b.release.Call(ctx, r)
}
func (b *binding) MarkScanned(ctx context.Context, r *documentsv1.MarkScannedRequest) (*documentsv1.Document, error) {
	return b.scanned.Call(ctx, r)
}
func (b *binding) ListVersions(ctx context.Context, r *documentsv1.ListVersionsRequest) (*documentsv1.ListVersionsResponse, error) {
	return b.versions.Call(ctx, r)
}
