package matters

import (
	"context"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// Rules is who may call each method, at the tenant the request names. The catalogue is
// public to read; defining a matter is "update" on matters.matters at a district (the
// service refuses other tiers); filing is "create" on applications, acceptance decisions
// "approve", the handling "update". Rating is "create" on matters.ratings (held by
// enterprises and citizens) and the service checks that the caller is the applicant.
// 免申即享 policies and enterprise profiles are catalogue administration ("update" on
// matters.matters); grants are read like applications.
var Rules = map[string]authz.Rule{
	Name + ".GetMatter":                {Public: true},
	Name + ".ListMatters":              {Public: true},
	Name + ".UpdateMatter":             {Object: ObjectMatters, Action: "update"},
	Name + ".EnableMatter":             {Object: ObjectMatters, Action: "update"},
	Name + ".ListEnablements":          {Object: ObjectMatters, Action: "read"},
	Name + ".SubmitApplication":        {Object: ObjectApplications, Action: "create"},
	Name + ".GetApplication":           {Object: ObjectApplications, Action: "read"},
	Name + ".ListApplications":         {Object: ObjectApplications, Action: "read"},
	Name + ".AcceptApplication":        {Object: ObjectApplications, Action: "approve"},
	Name + ".AcceptDeferred":           {Object: ObjectApplications, Action: "approve"},
	Name + ".SupplyDeferred":           {Object: ObjectApplications, Action: "update"},
	Name + ".RequestCorrection":        {Object: ObjectApplications, Action: "approve"},
	Name + ".ResubmitApplication":      {Object: ObjectApplications, Action: "update"},
	Name + ".RejectApplication":        {Object: ObjectApplications, Action: "approve"},
	Name + ".CompleteStep":             {Object: ObjectApplications, Action: "update"},
	Name + ".WithdrawApplication":      {Object: ObjectApplications, Action: "update"},
	Name + ".RateApplication":          {Object: ObjectRatings, Action: "create"},
	Name + ".ReportMatters":            {Object: ObjectApplications, Action: "read"},
	Name + ".AssignApplication":        {Object: ObjectApplications, Action: "approve"},
	Name + ".ListQueue":                {Object: ObjectApplications, Action: "read"},
	Name + ".ListAlerts":               {Object: ObjectApplications, Action: "read"},
	Name + ".RectifyApplication":       {Object: ObjectApplications, Action: "approve"},
	Name + ".MailCertificate":          {Object: ObjectApplications, Action: "update"},
	Name + ".GetBundle":                {Public: true},
	Name + ".ListBundles":              {Public: true},
	Name + ".SubmitBundle":             {Object: ObjectApplications, Action: "create"},
	Name + ".GetBundleApplication":     {Object: ObjectApplications, Action: "read"},
	Name + ".UpdatePolicy":             {Object: ObjectMatters, Action: "update"},
	Name + ".ListPolicies":             {Object: ObjectMatters, Action: "read"},
	Name + ".UpsertEnterpriseProfile":  {Object: ObjectMatters, Action: "update"},
	Name + ".ImportEnterpriseProfiles": {Object: ObjectMatters, Action: "update"},
	Name + ".EvaluatePolicy":           {Object: ObjectMatters, Action: "update"},
	Name + ".ListGrants":               {Object: ObjectApplications, Action: "read"},
}

// binding is the gRPC server: one line per method, each through the kit's chain.
type binding struct {
	mattersv1.UnimplementedMattersServiceServer
	getMatter                kit.Unary[*mattersv1.GetMatterRequest, *mattersv1.Matter]
	listMatters              kit.Unary[*mattersv1.ListMattersRequest, *mattersv1.ListMattersResponse]
	updateMatter             kit.Unary[*mattersv1.UpdateMatterRequest, *mattersv1.Matter]
	enableMatter             kit.Unary[*mattersv1.EnableMatterRequest, *mattersv1.Enablement]
	listEnablements          kit.Unary[*mattersv1.ListEnablementsRequest, *mattersv1.ListEnablementsResponse]
	submitApplication        kit.Unary[*mattersv1.SubmitApplicationRequest, *mattersv1.Application]
	getApplication           kit.Unary[*mattersv1.GetApplicationRequest, *mattersv1.Application]
	listApplications         kit.Unary[*mattersv1.ListApplicationsRequest, *mattersv1.ListApplicationsResponse]
	acceptApplication        kit.Unary[*mattersv1.AcceptApplicationRequest, *mattersv1.Application]
	acceptDeferred           kit.Unary[*mattersv1.AcceptDeferredRequest, *mattersv1.Application]
	supplyDeferred           kit.Unary[*mattersv1.SupplyDeferredRequest, *mattersv1.Application]
	requestCorrection        kit.Unary[*mattersv1.RequestCorrectionRequest, *mattersv1.Application]
	resubmitApplication      kit.Unary[*mattersv1.ResubmitApplicationRequest, *mattersv1.Application]
	rejectApplication        kit.Unary[*mattersv1.RejectApplicationRequest, *mattersv1.Application]
	completeStep             kit.Unary[*mattersv1.CompleteStepRequest, *mattersv1.Application]
	withdrawApplication      kit.Unary[*mattersv1.WithdrawApplicationRequest, *mattersv1.Application]
	rateApplication          kit.Unary[*mattersv1.RateApplicationRequest, *mattersv1.Application]
	reportMatters            kit.Unary[*mattersv1.ReportMattersRequest, *mattersv1.ReportMattersResponse]
	assignApplication        kit.Unary[*mattersv1.AssignApplicationRequest, *mattersv1.Application]
	listQueue                kit.Unary[*mattersv1.ListQueueRequest, *mattersv1.ListQueueResponse]
	listAlerts               kit.Unary[*mattersv1.ListAlertsRequest, *mattersv1.ListAlertsResponse]
	rectifyApplication       kit.Unary[*mattersv1.RectifyApplicationRequest, *mattersv1.Application]
	mailCertificate          kit.Unary[*mattersv1.MailCertificateRequest, *mattersv1.Application]
	getBundle                kit.Unary[*mattersv1.GetBundleRequest, *mattersv1.Bundle]
	listBundles              kit.Unary[*mattersv1.ListBundlesRequest, *mattersv1.ListBundlesResponse]
	submitBundle             kit.Unary[*mattersv1.SubmitBundleRequest, *mattersv1.BundleApplication]
	getBundleApplication     kit.Unary[*mattersv1.GetBundleApplicationRequest, *mattersv1.BundleApplication]
	updatePolicy             kit.Unary[*mattersv1.UpdatePolicyRequest, *mattersv1.Policy]
	listPolicies             kit.Unary[*mattersv1.ListPoliciesRequest, *mattersv1.ListPoliciesResponse]
	upsertEnterpriseProfile  kit.Unary[*mattersv1.UpsertEnterpriseProfileRequest, *mattersv1.EnterpriseProfile]
	importEnterpriseProfiles kit.Unary[*mattersv1.ImportEnterpriseProfilesRequest, *mattersv1.ImportEnterpriseProfilesResponse]
	evaluatePolicy           kit.Unary[*mattersv1.EvaluatePolicyRequest, *mattersv1.EvaluatePolicyResponse]
	listGrants               kit.Unary[*mattersv1.ListGrantsRequest, *mattersv1.ListGrantsResponse]
}

func bind(k *kit.Service, s *service) *binding {
	return &binding{
		getMatter:                kit.Handle(k, "GetMatter", s.GetMatter),
		listMatters:              kit.Handle(k, "ListMatters", s.ListMatters),
		updateMatter:             kit.Handle(k, "UpdateMatter", s.UpdateMatter),
		enableMatter:             kit.Handle(k, "EnableMatter", s.EnableMatter),
		listEnablements:          kit.Handle(k, "ListEnablements", s.ListEnablements),
		submitApplication:        kit.Handle(k, "SubmitApplication", s.SubmitApplication),
		getApplication:           kit.Handle(k, "GetApplication", s.GetApplication),
		listApplications:         kit.Handle(k, "ListApplications", s.ListApplications),
		acceptApplication:        kit.Handle(k, "AcceptApplication", s.AcceptApplication),
		acceptDeferred:           kit.Handle(k, "AcceptDeferred", s.AcceptDeferred),
		supplyDeferred:           kit.Handle(k, "SupplyDeferred", s.SupplyDeferred),
		requestCorrection:        kit.Handle(k, "RequestCorrection", s.RequestCorrection),
		resubmitApplication:      kit.Handle(k, "ResubmitApplication", s.ResubmitApplication),
		rejectApplication:        kit.Handle(k, "RejectApplication", s.RejectApplication),
		completeStep:             kit.Handle(k, "CompleteStep", s.CompleteStep),
		withdrawApplication:      kit.Handle(k, "WithdrawApplication", s.WithdrawApplication),
		rateApplication:          kit.Handle(k, "RateApplication", s.RateApplication),
		reportMatters:            kit.Handle(k, "ReportMatters", s.ReportMatters),
		assignApplication:        kit.Handle(k, "AssignApplication", s.AssignApplication),
		listQueue:                kit.Handle(k, "ListQueue", s.ListQueue),
		listAlerts:               kit.Handle(k, "ListAlerts", s.ListAlerts),
		rectifyApplication:       kit.Handle(k, "RectifyApplication", s.RectifyApplication),
		mailCertificate:          kit.Handle(k, "MailCertificate", s.MailCertificate),
		getBundle:                kit.Handle(k, "GetBundle", s.GetBundle),
		listBundles:              kit.Handle(k, "ListBundles", s.ListBundles),
		submitBundle:             kit.Handle(k, "SubmitBundle", s.SubmitBundle),
		getBundleApplication:     kit.Handle(k, "GetBundleApplication", s.GetBundleApplication),
		updatePolicy:             kit.Handle(k, "UpdatePolicy", s.UpdatePolicy),
		listPolicies:             kit.Handle(k, "ListPolicies", s.ListPolicies),
		upsertEnterpriseProfile:  kit.Handle(k, "UpsertEnterpriseProfile", s.UpsertEnterpriseProfile),
		importEnterpriseProfiles: kit.Handle(k, "ImportEnterpriseProfiles", s.ImportEnterpriseProfiles),
		evaluatePolicy:           kit.Handle(k, "EvaluatePolicy", s.EvaluatePolicy),
		listGrants:               kit.Handle(k, "ListGrants", s.ListGrants),
	}
}

func (b *binding) GetMatter(ctx context.Context, r *mattersv1.GetMatterRequest) (*mattersv1.Matter, error) {
	return b.getMatter.Call(ctx, r)
}
func (b *binding) ListMatters(ctx context.Context, r *mattersv1.ListMattersRequest) (*mattersv1.ListMattersResponse, error) {
	return b.listMatters.Call(ctx, r)
}
func (b *binding) UpdateMatter(ctx context.Context, r *mattersv1.UpdateMatterRequest) (*mattersv1.Matter, error) {
	return b.updateMatter.Call(ctx, r)
}
func (b *binding) EnableMatter(ctx context.Context, r *mattersv1.EnableMatterRequest) (*mattersv1.Enablement, error) {
	return b.enableMatter.Call(ctx, r)
}
func (b *binding) ListEnablements(ctx context.Context, r *mattersv1.ListEnablementsRequest) (*mattersv1.ListEnablementsResponse, error) {
	return b.listEnablements.Call(ctx, r)
}
func (b *binding) SubmitApplication(ctx context.Context, r *mattersv1.SubmitApplicationRequest) (*mattersv1.Application, error) {
	return b.submitApplication.Call(ctx, r)
}
func (b *binding) GetApplication(ctx context.Context, r *mattersv1.GetApplicationRequest) (*mattersv1.Application, error) {
	return b.getApplication.Call(ctx, r)
}
func (b *binding) AcceptApplication(ctx context.Context, r *mattersv1.AcceptApplicationRequest) (*mattersv1.Application, error) {
	return b.acceptApplication.Call(ctx, r)
}
func (b *binding) AcceptDeferred(ctx context.Context, r *mattersv1.AcceptDeferredRequest) (*mattersv1.Application, error) {
	return b.acceptDeferred.Call(ctx, r)
}
func (b *binding) SupplyDeferred(ctx context.Context, r *mattersv1.SupplyDeferredRequest) (*mattersv1.Application, error) {
	return b.supplyDeferred.Call(ctx, r)
}
func (b *binding) RequestCorrection(ctx context.Context, r *mattersv1.RequestCorrectionRequest) (*mattersv1.Application, error) {
	return b.requestCorrection.Call(ctx, r)
}
func (b *binding) ResubmitApplication(ctx context.Context, r *mattersv1.ResubmitApplicationRequest) (*mattersv1.Application, error) {
	return b.resubmitApplication.Call(ctx, r)
}
func (b *binding) RejectApplication(ctx context.Context, r *mattersv1.RejectApplicationRequest) (*mattersv1.Application, error) {
	return b.rejectApplication.Call(ctx, r)
}
func (b *binding) CompleteStep(ctx context.Context, r *mattersv1.CompleteStepRequest) (*mattersv1.Application, error) {
	return b.completeStep.Call(ctx, r)
}
func (b *binding) WithdrawApplication(ctx context.Context, r *mattersv1.WithdrawApplicationRequest) (*mattersv1.Application, error) {
	return b.withdrawApplication.Call(ctx, r)
}
func (b *binding) RateApplication(ctx context.Context, r *mattersv1.RateApplicationRequest) (*mattersv1.Application, error) {
	return b.rateApplication.Call(ctx, r)
}
func (b *binding) ReportMatters(ctx context.Context, r *mattersv1.ReportMattersRequest) (*mattersv1.ReportMattersResponse, error) {
	return b.reportMatters.Call(ctx, r)
}
func (b *binding) ListApplications(ctx context.Context, r *mattersv1.ListApplicationsRequest) (*mattersv1.ListApplicationsResponse, error) {
	return b.listApplications.Call(ctx, r)
}
func (b *binding) AssignApplication(ctx context.Context, r *mattersv1.AssignApplicationRequest) (*mattersv1.Application, error) {
	return b.assignApplication.Call(ctx, r)
}
func (b *binding) ListQueue(ctx context.Context, r *mattersv1.ListQueueRequest) (*mattersv1.ListQueueResponse, error) {
	return b.listQueue.Call(ctx, r)
}
func (b *binding) ListAlerts(ctx context.Context, r *mattersv1.ListAlertsRequest) (*mattersv1.ListAlertsResponse, error) {
	return b.listAlerts.Call(ctx, r)
}
func (b *binding) RectifyApplication(ctx context.Context, r *mattersv1.RectifyApplicationRequest) (*mattersv1.Application, error) {
	return b.rectifyApplication.Call(ctx, r)
}
func (b *binding) MailCertificate(ctx context.Context, r *mattersv1.MailCertificateRequest) (*mattersv1.Application, error) {
	return b.mailCertificate.Call(ctx, r)
}
func (b *binding) GetBundle(ctx context.Context, r *mattersv1.GetBundleRequest) (*mattersv1.Bundle, error) {
	return b.getBundle.Call(ctx, r)
}
func (b *binding) ListBundles(ctx context.Context, r *mattersv1.ListBundlesRequest) (*mattersv1.ListBundlesResponse, error) {
	return b.listBundles.Call(ctx, r)
}
func (b *binding) SubmitBundle(ctx context.Context, r *mattersv1.SubmitBundleRequest) (*mattersv1.BundleApplication, error) {
	return b.submitBundle.Call(ctx, r)
}
func (b *binding) GetBundleApplication(ctx context.Context, r *mattersv1.GetBundleApplicationRequest) (*mattersv1.BundleApplication, error) {
	return b.getBundleApplication.Call(ctx, r)
}
func (b *binding) UpdatePolicy(ctx context.Context, r *mattersv1.UpdatePolicyRequest) (*mattersv1.Policy, error) {
	return b.updatePolicy.Call(ctx, r)
}
func (b *binding) ListPolicies(ctx context.Context, r *mattersv1.ListPoliciesRequest) (*mattersv1.ListPoliciesResponse, error) {
	return b.listPolicies.Call(ctx, r)
}
func (b *binding) UpsertEnterpriseProfile(ctx context.Context, r *mattersv1.UpsertEnterpriseProfileRequest) (*mattersv1.EnterpriseProfile, error) {
	return b.upsertEnterpriseProfile.Call(ctx, r)
}
func (b *binding) ImportEnterpriseProfiles(ctx context.Context, r *mattersv1.ImportEnterpriseProfilesRequest) (*mattersv1.ImportEnterpriseProfilesResponse, error) {
	return b.importEnterpriseProfiles.Call(ctx, r)
}
func (b *binding) EvaluatePolicy(ctx context.Context, r *mattersv1.EvaluatePolicyRequest) (*mattersv1.EvaluatePolicyResponse, error) {
	return b.evaluatePolicy.Call(ctx, r)
}
func (b *binding) ListGrants(ctx context.Context, r *mattersv1.ListGrantsRequest) (*mattersv1.ListGrantsResponse, error) {
	return b.listGrants.Call(ctx, r)
}
