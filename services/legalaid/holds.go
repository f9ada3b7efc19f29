package legalaid

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

// Legal hold (法律保全) of case files. While a case is open its files are held in the
// documents service, so nobody deletes them; when it closes the holds this case set are
// released. Both are done as the caller (who needs documents.holds, which the legal
// roles have and nothing else of documents' administration) and outside any
// transaction, in the order that keeps the record true:
//
//   - adding a file: hold first, then record the file as held; if the record cannot be
//     written, the hold just set is released again.
//   - closing: release first, then record the case closed (a case never closes while it
//     still holds a file); if a release fails the close is refused (DOCUMENTS_UNAVAILABLE,
//     retryable) and what was released is held again; a file that could not be held
//     again is recorded as not held, so an open case never claims a hold it lacks.
//
// A hold the case did not set (the document was already held, e.g. by another case) is
// recorded as held but not the case's own, and is left to whoever set it.

// ErrHoldDenied is a caller who may add case files but not hold documents.
var ErrHoldDenied = errs.New(errs.PermissionDenied, "HOLD_DENIED", "您无权对案件材料设置或解除法律保全")

// holdTimeout bounds one call to the documents service.
const holdTimeout = 5 * time.Second

// holds sets and lifts legal holds as the caller. A nil *holds (no documents peer) holds
// nothing, and case files are recorded as not held.
type holds struct {
	client documentsv1.DocumentsServiceClient
	conn   *grpc.ClientConn
	log    *slog.Logger
}

func dialHolds(addr string, log *slog.Logger) (*holds, error) {
	if addr == "" {
		return nil, nil // docref.Dial has said so
	}
	conn, err := kit.Dial(addr)
	if err != nil {
		return nil, fmt.Errorf("documents at %s: %w", addr, err)
	}
	return &holds{client: documentsv1.NewDocumentsServiceClient(conn), conn: conn, log: log}, nil
}

func (h *holds) close() {
	if h != nil {
		_ = h.conn.Close()
	}
}

// asCaller is a context for a call to documents carrying the caller's token, with a
// deadline of its own (the caller's cancellation must not leave a hold half done).
func asCaller(ctx context.Context) (context.Context, context.CancelFunc) {
	auth := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		auth = md.Get("authorization")[0]
	}
	out := metadata.NewOutgoingContext(context.WithoutCancel(ctx), metadata.Pairs("authorization", auth))
	return context.WithTimeout(out, holdTimeout)
}

// hold puts document under legal hold for the case reason; ours is false when it was
// held already (by someone else).
func (h *holds) hold(ctx context.Context, document, reason string) (ours bool, err error) {
	if sqlstore.HasAnyTx(ctx) {
		return false, docref.ErrInTransaction
	}
	out, cancel := asCaller(ctx)
	defer cancel()
	_, err = h.client.SetLegalHold(out, &documentsv1.SetLegalHoldRequest{Name: document, Reason: reason})
	if err != nil && errs.From(err).Code == "LEGAL_HOLD_ALREADY_SET" {
		return false, nil
	}
	return err == nil, holdError(err)
}

// release lifts the hold of document; one already lifted counts as released.
func (h *holds) release(ctx context.Context, document string) error {
	if sqlstore.HasAnyTx(ctx) {
		return docref.ErrInTransaction
	}
	out, cancel := asCaller(ctx)
	defer cancel()
	_, err := h.client.ReleaseLegalHold(out, &documentsv1.ReleaseLegalHoldRequest{Name: document})
	if err != nil && errs.From(err).Code == "LEGAL_HOLD_NOT_SET" {
		return nil
	}
	return holdError(err)
}

func holdError(err error) error {
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.PermissionDenied, codes.Unauthenticated:
		return ErrHoldDenied.Wrap(err)
	case codes.NotFound, codes.InvalidArgument:
		return docref.ErrNotFound.WithField("document", docref.ErrNotFound.Code, "文档不可用")
	}
	return docref.ErrServiceDown.Wrap(err)
}

// ownHolds are the documents of lc held by its own hold.
func ownHolds(lc *legalCase) []string {
	var out []string
	for _, f := range lc.Files {
		if f.Hold && f.Own {
			out = append(out, f.Document)
		}
	}
	return out
}

// releaseAll releases documents in order; on failure it holds again what it released
// and returns, with the error, those it could not hold again.
func (h *holds) releaseAll(ctx context.Context, documents []string, reason string) (lost []string, err error) {
	if h == nil { // started without documents since the files were held: nothing to undo
		return nil, docref.ErrServiceDown
	}
	for i, d := range documents {
		if err = h.release(ctx, d); err != nil {
			return h.rehold(ctx, documents[:i], reason), err
		}
	}
	return nil, nil
}

// rehold holds documents again after an undone release, returning those it could not.
func (h *holds) rehold(ctx context.Context, documents []string, reason string) (lost []string) {
	if h == nil {
		return documents
	}
	for _, d := range documents {
		if _, err := h.hold(ctx, d, reason); err != nil {
			h.log.ErrorContext(ctx, "a case file released for a close that did not happen could not be held again; it is recorded as not held",
				"case", reason, "document", d, "err", err)
			lost = append(lost, d)
		}
	}
	return lost
}
