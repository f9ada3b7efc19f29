package matters

import (
	"context"
	"regexp"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

var trackingPattern = regexp.MustCompile(`^[A-Za-z0-9-]{6,40}$`)

// RateApplication is 好差评 by the applicant (the account named in applicant.subject).
// A first rating of 1–2 (差评) opens a rectification task due in
// Settings.RectificationDays working days; once it is closed the applicant rates once
// more (回访评价).
func (s *service) RateApplication(ctx context.Context, r *mattersv1.RateApplicationRequest) (*mattersv1.Application, error) {
	if r.GetScore() < 1 || r.GetScore() > 5 {
		return nil, errs.Invalid("score", "INVALID_SCORE", "评分应为 1—5")
	}
	if err := text("comment", r.GetComment(), false, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), rateCmd{Score: r.GetScore(), Comment: r.GetComment()})
}

// RectifyApplication closes the rectification task of a poor rating with what was done.
func (s *service) RectifyApplication(ctx context.Context, r *mattersv1.RectifyApplicationRequest) (*mattersv1.Application, error) {
	if err := text("note", r.GetNote(), true, 2000); err != nil {
		return nil, err
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), rectifyCmd{Note: r.GetNote()})
}

// MailCertificate records the free mailing of a completed application's certificate.
func (s *service) MailCertificate(ctx context.Context, r *mattersv1.MailCertificateRequest) (*mattersv1.Application, error) {
	if err := text("carrier", r.GetCarrier(), true, 50); err != nil {
		return nil, err
	}
	if !trackingPattern.MatchString(r.GetTrackingNumber()) {
		return nil, errs.Invalid("tracking_number", "INVALID_TRACKING_NUMBER", "运单号应为 6—40 位字母、数字或连字符")
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), mailCmd{Carrier: r.GetCarrier(), TrackingNumber: r.GetTrackingNumber()})
}
