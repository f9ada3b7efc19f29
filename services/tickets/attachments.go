package tickets

import (
	"context"
	"fmt"
	"slices"

	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// maxAttachments bounds the documents one ticket references.
const maxAttachments = 20

// checkAttachments validates the attachment references of a ticket received at t: each
// a documents service resource name of t, no repeats; and, when the documents service
// is known, each an existing document the caller can read that is not deleted or
// infected (docref's DOCUMENT_* codes).
func (s *service) checkAttachments(ctx context.Context, t tenancy.ID, names []string) error {
	if len(names) > maxAttachments {
		return errs.Invalid("ticket.attachments", "TOO_MANY_ATTACHMENTS", fmt.Sprintf("附件不能超过 %d 个", maxAttachments))
	}
	for i, n := range names {
		field := fmt.Sprintf("ticket.attachments[%d]", i)
		ten, _, err := docref.Parse(field, n)
		if err != nil {
			return err
		}
		if ten != t {
			return errs.Invalid(field, "ATTACHMENT_OTHER_TENANT", "附件须属于受理单位")
		}
		if slices.Contains(names[:i], n) {
			return errs.Invalid(field, "DUPLICATE_ATTACHMENT", "附件重复")
		}
		if err := s.docs.Check(ctx, field, n); err != nil {
			return err
		}
	}
	return nil
}
