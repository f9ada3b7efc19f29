package stewardship

import (
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Name is the service's short name (/api/stewardship/, authz objects stewardship.*).
const Name = "stewardship"

// The authorization objects of its methods (see the contract).
const (
	ObjEnterprises   = "stewardship.enterprises"
	ObjStewards      = "stewardship.stewards"
	ObjVisits        = "stewardship.visits"
	ObjArrears       = "stewardship.arrears"
	ObjOpportunities = "stewardship.opportunities"
)

// Domain errors, each with a stable code.
var (
	ErrEnterpriseNotFound  = errs.New(errs.NotFound, "ENTERPRISE_NOT_FOUND", "企业不存在")
	ErrHistoryRewrite      = errs.New(errs.FailedPrecondition, "HISTORY_REWRITE", "导入会改写企业的历史信息，已拒绝")
	ErrStewardOutside      = errs.New(errs.InvalidArgument, "STEWARD_OUTSIDE_SUBTREE", "管家须在企业所属辖区或其上级单位任职")
	ErrProblemNotFound     = errs.New(errs.NotFound, "PROBLEM_NOT_FOUND", "问题不存在")
	ErrTicketsUnavailable  = errs.New(errs.Unavailable, "TICKETS_UNAVAILABLE", "诉求服务暂不可用，请稍后重试")
	ErrProblemBeingOpened  = errs.New(errs.Aborted, "PROBLEM_BEING_OPENED", "另一位同事正在将该问题转为诉求工单，请稍后刷新查看")
	ErrDebtNotFound        = errs.New(errs.NotFound, "DEBT_NOT_FOUND", "欠款记录不存在")
	ErrDebtChanged         = errs.New(errs.FailedPrecondition, "DEBT_RECORD_CHANGED", "重新导入会改变已登记的欠款，已拒绝")
	ErrPlanMismatch        = errs.New(errs.InvalidArgument, "PLAN_MISMATCH", "分期计划合计须等于欠款余额")
	ErrOverBalance         = errs.New(errs.InvalidArgument, "PAYMENT_OVER_BALANCE", "付款金额超过欠款余额")
	ErrDebtDisputed        = errs.New(errs.FailedPrecondition, "DEBT_DISPUTED", "有争议的欠款不能制定分期计划或付款")
	ErrIllegalTransition   = errs.New(errs.FailedPrecondition, "ILLEGAL_TRANSITION", "当前状态不允许此操作")
	ErrOpportunityNotFound = errs.New(errs.NotFound, "OPPORTUNITY_NOT_FOUND", "机会清单条目不存在")
	ErrPeriodRequired      = errs.New(errs.InvalidArgument, "PERIOD_REQUIRED", "发布前须填写清单期次")
	ErrRateLimited         = errs.New(errs.ResourceExhausted, "RATE_LIMITED", "请求过于频繁，请稍后再试")
)
