package matters

import (
	"context"
	"regexp"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
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
	sub := subject(ctx)
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.RateApplication", func(a *application, _ *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "评价", mattersv1.State_STATE_COMPLETED); err != nil {
			return err
		}
		if sub == "" || sub != a.App.GetApplicant().GetSubject() {
			return ErrNotApplicant
		}
		rect := a.App.GetRectification()
		switch {
		case a.App.GetRating() == 0:
			a.App.Rating, a.App.RatingComment = r.GetScore(), r.GetComment()
			if r.GetScore() <= 2 {
				a.Clocks.Rectification = calendar.NewClock(now, calendar.Duration{N: s.settings.For(a.Tenant).RectificationDays, Unit: calendar.WorkingDays})
				a.App.Rectification = &mattersv1.Rectification{Open: true}
			}
		case rect.GetOpen():
			return ErrRectificationOpen
		case rect != nil && a.App.GetFollowUpRating() == 0:
			a.App.FollowUpRating, a.App.FollowUpComment = r.GetScore(), r.GetComment()
		default:
			return ErrAlreadyRated
		}
		return nil
	})
}

// RectifyApplication closes the rectification task of a poor rating with what was done.
func (s *service) RectifyApplication(ctx context.Context, r *mattersv1.RectifyApplicationRequest) (*mattersv1.Application, error) {
	if err := text("note", r.GetNote(), true, 2000); err != nil {
		return nil, err
	}
	sub := subject(ctx)
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.RectifyApplication", func(a *application, _ *mattersv1.Matter, now time.Time) error {
		if !a.App.GetRectification().GetOpen() {
			return ErrNoRectification
		}
		rect := a.App.Rectification
		rect.Open, rect.Note, rect.Handler, rect.CloseTime = false, r.GetNote(), sub, ts(now)
		a.Clocks.Rectification = calendar.Clock{}
		return nil
	})
}

// MailCertificate records the free mailing of a completed application's certificate.
func (s *service) MailCertificate(ctx context.Context, r *mattersv1.MailCertificateRequest) (*mattersv1.Application, error) {
	if err := text("carrier", r.GetCarrier(), true, 50); err != nil {
		return nil, err
	}
	if !trackingPattern.MatchString(r.GetTrackingNumber()) {
		return nil, errs.Invalid("tracking_number", "INVALID_TRACKING_NUMBER", "运单号应为 6—40 位字母、数字或连字符")
	}
	return s.change(ctx, r.GetName(), r.GetEtag(), "matters.MailCertificate", func(a *application, _ *mattersv1.Matter, now time.Time) error {
		if err := inState(a, "邮寄证照", mattersv1.State_STATE_COMPLETED); err != nil {
			return err
		}
		if a.App.GetMailing() != nil {
			return ErrAlreadyMailed
		}
		a.App.Mailing = &mattersv1.Mailing{Carrier: r.GetCarrier(), TrackingNumber: r.GetTrackingNumber(), MailTime: ts(now)}
		return nil
	})
}
