package docref

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// Errors about a reference that is well formed but cannot be used. A violation naming
// the caller's field is added to each (Checker.Check).
var (
	// ErrNotFound: no such document, or the caller may not read it; the two are not told
	// apart so a reference reveals nothing the caller could not see.
	ErrNotFound = errs.New(errs.InvalidArgument, "DOCUMENT_NOT_FOUND", "文档不存在或无权查看")
	// ErrUnavailable: the document was deleted or failed the virus scan.
	ErrUnavailable = errs.New(errs.FailedPrecondition, "DOCUMENT_UNAVAILABLE", "文档已删除或未通过病毒扫描")
	// ErrServiceDown: the documents service did not answer; the request may be retried.
	ErrServiceDown = errs.New(errs.Unavailable, "DOCUMENTS_UNAVAILABLE", "材料服务暂不可用，请稍后重试")
)

// ErrInTransaction is a Check made while the context holds a SQL transaction: the call to
// the documents service would hold it (on SQLite, the one writer) for as long as the
// network takes. It is a bug of the caller, so callers see INTERNAL: check references
// before the transaction opens.
var ErrInTransaction = errors.New("docref: document check inside a SQL transaction: check references before InTx")

// InvalidCode is the violation code of a reference that is not of the form
// tenants/{tenant}/documents/{id}.
const InvalidCode = "INVALID_DOCUMENT"

// DefaultTimeout bounds one call to the documents service.
const DefaultTimeout = 5 * time.Second

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Name is the reference of document id in tenant t.
func Name(t tenancy.ID, id string) string { return resname.Name(t, "documents", id) }

// Parse splits a reference tenants/{tenant}/documents/{id} into its tenant and id. A
// malformed reference is an INVALID_ARGUMENT error with an INVALID_DOCUMENT violation on
// field (the request field that held it, e.g. "materials[0].document").
func Parse(field, name string) (tenancy.ID, string, error) {
	if t, id, ok := resname.Split(name, "documents"); ok && idPattern.MatchString(id) {
		return t, id, nil
	}
	return "", "", errs.Invalid(field, InvalidCode, field+" 应为文档名 tenants/{tenant}/documents/{id}")
}

// Checker checks references against the documents service over gRPC, as the caller:
// the caller's token goes along, so a document the caller cannot read is one it cannot
// hand in. A nil *Checker checks the form only.
type Checker struct {
	client  documentsv1.DocumentsServiceClient
	conn    *grpc.ClientConn // set by Dial, closed by Close
	timeout time.Duration
}

// New returns a Checker that asks client.
func New(client documentsv1.DocumentsServiceClient) *Checker {
	return &Checker{client: client, timeout: DefaultTimeout}
}

// Dial connects to the documents service at addr (the "documents" peer). With addr ""
// the service runs without one: Dial logs a warning and returns a nil Checker, which
// checks the form only. Close the Checker when done.
func Dial(addr string, log *slog.Logger) (*Checker, error) {
	if addr == "" {
		log.Warn("no documents peer; document references are checked for form only")
		return nil, nil
	}
	conn, err := kit.Dial(addr)
	if err != nil {
		return nil, fmt.Errorf("documents at %s: %w", addr, err)
	}
	c := New(documentsv1.NewDocumentsServiceClient(conn))
	c.conn = conn
	return c, nil
}

// Close closes the connection Dial made; it does nothing for a nil Checker or one from New.
func (c *Checker) Close() error {
	if c == nil || c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// bearerKey carries a token for calls that did not arrive over gRPC.
type bearerKey struct{}

// WithBearer makes the Checker present token for calls made with ctx, for requests that
// arrived over plain HTTP (the Open311 façade) and so carry no incoming gRPC metadata.
func WithBearer(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, bearerKey{}, token)
}

// Check checks the reference in request field field: its form always; when c is not
// nil, also that the caller can read the document and that it is neither deleted nor
// infected. Errors carry a violation on field with their stable code. Called while ctx
// holds a SQL transaction it returns ErrInTransaction, even when c is nil, so that a
// check misplaced inside a transaction is found without a documents service.
func (c *Checker) Check(ctx context.Context, field, name string) error {
	if sqlstore.HasAnyTx(ctx) {
		return ErrInTransaction
	}
	if _, _, err := Parse(field, name); err != nil {
		return err
	}
	if c == nil {
		return nil
	}
	if err := c.get(ctx, name); err != nil {
		return err.WithField(field, err.Code, "文档不可用: "+name)
	}
	return nil
}

func (c *Checker) get(ctx context.Context, name string) *errs.Error {
	auth := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		auth = md.Get("authorization")[0]
	}
	if tok, ok := ctx.Value(bearerKey{}).(string); ok && tok != "" {
		auth = "Bearer " + tok
	}
	// The caller's cancellation must not turn into "documents service down": the call
	// gets its own deadline.
	out := metadata.AppendToOutgoingContext(context.WithoutCancel(ctx), "authorization", auth)
	out, cancel := context.WithTimeout(out, c.timeout)
	defer cancel()
	doc, err := c.client.GetDocument(out, &documentsv1.GetDocumentRequest{Name: name})
	switch status.Code(err) {
	case codes.OK:
	case codes.NotFound, codes.PermissionDenied, codes.InvalidArgument:
		return ErrNotFound.WithMessage("文档不存在或无权查看: %s", name)
	default:
		return ErrServiceDown.Wrap(err)
	}
	if st := doc.GetState(); st == documentsv1.State_STATE_DELETED || st == documentsv1.State_STATE_INFECTED {
		return ErrUnavailable.WithMessage("文档已删除或未通过病毒扫描: %s", name)
	}
	return nil
}
