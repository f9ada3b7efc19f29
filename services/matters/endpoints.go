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
// "approve", the handling "update". Rating is "update" and the service checks that the
// caller is the one who submitted.
var Rules = map[string]authz.Rule{
	Name + ".GetMatter":           {Public: true},
	Name + ".ListMatters":         {Public: true},
	Name + ".UpdateMatter":        {Object: ObjectMatters, Action: "update"},
	Name + ".EnableMatter":        {Object: ObjectMatters, Action: "update"},
	Name + ".ListEnablements":     {Object: ObjectMatters, Action: "read"},
	Name + ".SubmitApplication":   {Object: ObjectApplications, Action: "create"},
	Name + ".GetApplication":      {Object: ObjectApplications, Action: "read"},
	Name + ".ListApplications":    {Object: ObjectApplications, Action: "read"},
	Name + ".AcceptApplication":   {Object: ObjectApplications, Action: "approve"},
	Name + ".AcceptDeferred":      {Object: ObjectApplications, Action: "approve"},
	Name + ".SupplyDeferred":      {Object: ObjectApplications, Action: "update"},
	Name + ".RequestCorrection":   {Object: ObjectApplications, Action: "approve"},
	Name + ".ResubmitApplication": {Object: ObjectApplications, Action: "update"},
	Name + ".RejectApplication":   {Object: ObjectApplications, Action: "approve"},
	Name + ".CompleteStep":        {Object: ObjectApplications, Action: "update"},
	Name + ".WithdrawApplication": {Object: ObjectApplications, Action: "update"},
	Name + ".RateApplication":     {Object: ObjectApplications, Action: "update"},
	Name + ".ReportMatters":       {Object: ObjectApplications, Action: "read"},
}

// binding is the gRPC server: one line per method, each through the kit's chain.
type binding struct {
	mattersv1.UnimplementedMattersServiceServer
	getMatter           kit.Unary[*mattersv1.GetMatterRequest, *mattersv1.Matter]
	listMatters         kit.Unary[*mattersv1.ListMattersRequest, *mattersv1.ListMattersResponse]
	updateMatter        kit.Unary[*mattersv1.UpdateMatterRequest, *mattersv1.Matter]
	enableMatter        kit.Unary[*mattersv1.EnableMatterRequest, *mattersv1.Enablement]
	listEnablements     kit.Unary[*mattersv1.ListEnablementsRequest, *mattersv1.ListEnablementsResponse]
	submitApplication   kit.Unary[*mattersv1.SubmitApplicationRequest, *mattersv1.Application]
	getApplication      kit.Unary[*mattersv1.GetApplicationRequest, *mattersv1.Application]
	listApplications    kit.Unary[*mattersv1.ListApplicationsRequest, *mattersv1.ListApplicationsResponse]
	acceptApplication   kit.Unary[*mattersv1.AcceptApplicationRequest, *mattersv1.Application]
	acceptDeferred      kit.Unary[*mattersv1.AcceptDeferredRequest, *mattersv1.Application]
	supplyDeferred      kit.Unary[*mattersv1.SupplyDeferredRequest, *mattersv1.Application]
	requestCorrection   kit.Unary[*mattersv1.RequestCorrectionRequest, *mattersv1.Application]
	resubmitApplication kit.Unary[*mattersv1.ResubmitApplicationRequest, *mattersv1.Application]
	rejectApplication   kit.Unary[*mattersv1.RejectApplicationRequest, *mattersv1.Application]
	completeStep        kit.Unary[*mattersv1.CompleteStepRequest, *mattersv1.Application]
	withdrawApplication kit.Unary[*mattersv1.WithdrawApplicationRequest, *mattersv1.Application]
	rateApplication     kit.Unary[*mattersv1.RateApplicationRequest, *mattersv1.Application]
	reportMatters       kit.Unary[*mattersv1.ReportMattersRequest, *mattersv1.ReportMattersResponse]
}

func bind(k *kit.Service, s *service) *binding {
	return &binding{
		getMatter:           kit.Handle(k, "GetMatter", s.GetMatter),
		listMatters:         kit.Handle(k, "ListMatters", s.ListMatters),
		updateMatter:        kit.Handle(k, "UpdateMatter", s.UpdateMatter),
		enableMatter:        kit.Handle(k, "EnableMatter", s.EnableMatter),
		listEnablements:     kit.Handle(k, "ListEnablements", s.ListEnablements),
		submitApplication:   kit.Handle(k, "SubmitApplication", s.SubmitApplication),
		getApplication:      kit.Handle(k, "GetApplication", s.GetApplication),
		listApplications:    kit.Handle(k, "ListApplications", s.ListApplications),
		acceptApplication:   kit.Handle(k, "AcceptApplication", s.AcceptApplication),
		acceptDeferred:      kit.Handle(k, "AcceptDeferred", s.AcceptDeferred),
		supplyDeferred:      kit.Handle(k, "SupplyDeferred", s.SupplyDeferred),
		requestCorrection:   kit.Handle(k, "RequestCorrection", s.RequestCorrection),
		resubmitApplication: kit.Handle(k, "ResubmitApplication", s.ResubmitApplication),
		rejectApplication:   kit.Handle(k, "RejectApplication", s.RejectApplication),
		completeStep:        kit.Handle(k, "CompleteStep", s.CompleteStep),
		withdrawApplication: kit.Handle(k, "WithdrawApplication", s.WithdrawApplication),
		rateApplication:     kit.Handle(k, "RateApplication", s.RateApplication),
		reportMatters:       kit.Handle(k, "ReportMatters", s.ReportMatters),
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
