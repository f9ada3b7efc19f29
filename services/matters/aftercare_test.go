package matters

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// 好差评: only the applicant rates — a clerk lacks the permission, another enterprise is
// not the applicant; a 1 opens a rectification task due in 5 working days whose clock the
// sweep watches; once it is closed the applicant rates once more, and no more.
func TestRatingRectificationFollowUp(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	h.grant("u-other-enterprise", "enterprise", district, authn.Enterprise)
	a := h.finish(h.submit(startUp(allStartUpMaterials...)))
	require.Equal(t, enterpriseUser, a.GetApplicant().GetSubject())
	rate := func(sub string, score int32) (*mattersv1.Application, error) {
		return h.client.RateApplication(h.as(sub), &mattersv1.RateApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Score: score, Comment: "多次往返"})
	}
	_, err := rate(enterpriseUser, 6)
	apptest.RequireField(t, err, "score", "INVALID_SCORE")
	_, err = rate(hallClerk, 1)
	apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = rate("u-other-enterprise", 1)
	apptest.RequireCode(t, err, codes.NotFound, "APPLICATION_NOT_FOUND") // not its own: not there for it

	a, err = rate(enterpriseUser, 1)
	require.NoError(t, err)
	require.Equal(t, int32(1), a.GetRating())
	require.True(t, a.GetRectification().GetOpen())
	// Fri 26 + 5 working days: Sun 28, Mon 29, Tue 30, Thu 9, Fri 10 (National Day off Oct 1–8).
	require.True(t, a.GetRectification().GetDueTime().AsTime().Equal(cst(2025, time.October, 11, 0)), a.GetRectification().GetDueTime().AsTime())
	_, err = rate(enterpriseUser, 5)
	apptest.RequireCode(t, err, codes.FailedPrecondition, "RECTIFICATION_PENDING")

	// The rectification's own clock: overdue on Oct 11, escalated above the district = the district.
	h.clock.Set(cst(2025, time.October, 11, 9))
	_, err = h.srv.svc.clockSweep(t.Context(), h.clock.Now(), false)
	require.NoError(t, err)
	require.Contains(t, h.alertsAs(hallClerk, a.GetName()), "rectification@100→ahz")

	_, err = h.client.RectifyApplication(h.as(hallClerk), &mattersv1.RectifyApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Note: "x"})
	apptest.RequireCode(t, err, codes.Aborted, "STALE_VERSION") // the sweep's escalation moved the version on
	a, err = h.client.GetApplication(h.as(hallClerk), &mattersv1.GetApplicationRequest{Name: a.GetName()})
	require.NoError(t, err)
	a, err = h.client.RectifyApplication(h.as(hallClerk), &mattersv1.RectifyApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Note: "已约谈窗口负责人，一次告知清单已更新"})
	require.NoError(t, err)
	require.False(t, a.GetRectification().GetOpen())
	require.Equal(t, hallClerk, a.GetRectification().GetHandler())
	_, err = h.client.RectifyApplication(h.as(hallClerk), &mattersv1.RectifyApplicationRequest{Name: a.GetName(), Etag: a.GetEtag(), Note: "again"})
	apptest.RequireCode(t, err, codes.FailedPrecondition, "NO_OPEN_RECTIFICATION")

	a, err = rate(enterpriseUser, 4)
	require.NoError(t, err)
	require.Equal(t, int32(4), a.GetFollowUpRating())
	require.Equal(t, int32(1), a.GetRating())
	_, err = rate(enterpriseUser, 5)
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ALREADY_RATED")

	// An enterprise filing online for itself is its own applicant whatever it writes.
	self := startUp(allStartUpMaterials...)
	self.Channel, self.Applicant.Subject = mattersv1.Channel_CHANNEL_ONLINE, "someone-else"
	own, err := h.client.SubmitApplication(h.as(enterpriseUser), &mattersv1.SubmitApplicationRequest{Parent: "tenants/ahz", Application: self})
	require.NoError(t, err)
	require.Equal(t, enterpriseUser, own.GetApplicant().GetSubject())
	require.Empty(t, own.GetHandler())
}

// alertsAs reads an application's alerts as sub.
func (h *harness) alertsAs(sub, name string) []string {
	saved := h.tokens[communityClerk]
	h.tokens[communityClerk] = h.tokens[sub]
	defer func() { h.tokens[communityClerk] = saved }()
	return h.alerts(name)
}

// Free mailing of a certificate is recorded on a completed application only, once, with
// a carrier and a well-formed tracking number; 帮代办 filings keep the agent and the
// authorisation, green-channel ones their priority flag.
func TestMailingAgentGreenChannel(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	agent := startUp(allStartUpMaterials...)
	agent.Channel, agent.GreenChannel = mattersv1.Channel_CHANNEL_AGENT, true
	agent.Agent = &mattersv1.Agent{Name: "王帮办", AuthorizationDocument: doc(district, "AUTH1")}
	a := h.submit(agent)
	require.Equal(t, mattersv1.Channel_CHANNEL_AGENT, a.GetChannel())
	require.Equal(t, doc(district, "AUTH1"), a.GetAgent().GetAuthorizationDocument())
	green, err := h.client.ListApplications(h.as(hallClerk), &mattersv1.ListApplicationsRequest{Parent: "tenants/ahz", GreenChannel: true})
	require.NoError(t, err)
	require.Len(t, green.GetApplications(), 1)

	mail := &mattersv1.MailCertificateRequest{Name: a.GetName(), Etag: a.GetEtag(), Carrier: "中国邮政EMS", TrackingNumber: "1178234567890"}
	_, err = h.client.MailCertificate(h.as(hallClerk), mail)
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ILLEGAL_TRANSITION")
	a = h.finish(a)
	bad := proto.Clone(mail).(*mattersv1.MailCertificateRequest)
	bad.Etag, bad.TrackingNumber = a.GetEtag(), "空格 不行"
	_, err = h.client.MailCertificate(h.as(hallClerk), bad)
	apptest.RequireField(t, err, "tracking_number", "INVALID_TRACKING_NUMBER")

	mail.Etag = a.GetEtag()
	code, body := h.post(hallClerk, "/v1/"+a.GetName()+":mail", mail)
	require.Equal(t, http.StatusOK, code, string(body))
	got, err := h.client.GetApplication(h.as(hallClerk), &mattersv1.GetApplicationRequest{Name: a.GetName()})
	require.NoError(t, err)
	require.Equal(t, "1178234567890", got.GetMailing().GetTrackingNumber())
	require.Equal(t, "中国邮政EMS", got.GetMailing().GetCarrier())
	mail.Etag = got.GetEtag()
	_, err = h.client.MailCertificate(h.as(hallClerk), mail)
	apptest.RequireCode(t, err, codes.FailedPrecondition, "ALREADY_MAILED")
}
