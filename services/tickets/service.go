package tickets

import (
	"regexp"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Name is the service's short name (/api/tickets/, authz objects tickets.*).
const Name = "tickets"

// Object is the authorization object of every method. Intake is "create"; dispatch
// "assign"; the assignee's work "update"; closing, urging (督办) and deciding extensions
// "approve"; reading "read".
const Object = "tickets.tickets"

// Domain errors, each with a stable code.
var (
	ErrTicketNotFound    = errs.New(errs.NotFound, "TICKET_NOT_FOUND", "工单不存在")
	ErrIllegalTransition = errs.New(errs.FailedPrecondition, "ILLEGAL_TRANSITION", "工单当前状态不允许此操作")
	ErrUnknownCategory   = errs.New(errs.InvalidArgument, "UNKNOWN_CATEGORY", "诉求类别不存在")
	ErrOutsideSubtree    = errs.New(errs.InvalidArgument, "DISPATCH_OUTSIDE_SUBTREE", "只能派单到本单位及下级单位")
	ErrNotAssignee       = errs.New(errs.PermissionDenied, "NOT_ASSIGNEE", "您不是该工单的承办单位")
	ErrAlreadyHard       = errs.New(errs.FailedPrecondition, "ALREADY_HARD_CASE", "该工单已标记为疑难件")
	ErrNotHardCase       = errs.New(errs.FailedPrecondition, "NOT_HARD_CASE", "只有疑难件需要情况说明")
	ErrAlreadyExplained  = errs.New(errs.FailedPrecondition, "ALREADY_EXPLAINED", "情况说明已提交")
	ErrNotAnApplication  = errs.New(errs.PermissionDenied, "API_KEY_NOT_APPLICATION", "api_key 须为已登记接入应用的令牌")
	ErrExtensionExpired  = errs.New(errs.FailedPrecondition, "EXTENSION_AFTER_EXPIRY", "办结时限已过，不能再申请延期")
	ErrExtensionPending  = errs.New(errs.FailedPrecondition, "EXTENSION_PENDING", "已有待审批的延期申请")
	ErrNoExtension       = errs.New(errs.FailedPrecondition, "NO_PENDING_EXTENSION", "没有待审批的延期申请")
	ErrNotUnsatisfied    = errs.New(errs.FailedPrecondition, "NOT_UNSATISFIED", "只有评价为不满意的工单可以重新办理")
	ErrAlreadyPaused     = errs.New(errs.FailedPrecondition, "ALREADY_PAUSED", "工单已暂停计时")
	ErrNotPaused         = errs.New(errs.FailedPrecondition, "NOT_PAUSED", "工单未暂停计时")
	ErrPartsPending      = errs.New(errs.FailedPrecondition, "CO_HANDLERS_PENDING", "联办单位尚未全部办结")
	ErrNoSuchPart        = errs.New(errs.NotFound, "CO_HANDLER_NOT_FOUND", "该工单没有此联办单位")
	ErrMergeNotVisible   = errs.New(errs.PermissionDenied, "MERGE_NOT_VISIBLE", "您无权合并到该工单")
)

// SLA is the time limits (时限) of one category of tickets.
type SLA struct {
	// Response is the limit for the first response (签收); default the same day (即办).
	Response calendar.Duration `json:"response"`
	// Close is the limit for closing; default 3 working days.
	Close calendar.Duration `json:"close"`
	// Explain is, for a hard case (疑难件), the limit from intake for explaining the case to
	// the complainant (情况说明); default 3 working days.
	Explain calendar.Duration `json:"explain"`
	// HardClose is a hard case's close limit from intake, replacing Close; default 15
	// working days.
	HardClose calendar.Duration `json:"hard_close"`
}

// Settings are the service's settings in pkg/config (etcd key
// /gaoxing/config/tickets/global, overridden per tenant subtree).
type Settings struct {
	// Categories are the known categories (诉求类别) and their SLAs; a ticket of another
	// category is refused.
	Categories map[string]SLA `json:"categories"`
	// MaxExtensionDays bounds one extension request, in working days.
	MaxExtensionDays int `json:"max_extension_days"`
	// Routing dispatches new tickets automatically by location and category.
	Routing Routing `json:"routing"`
	// SourceClients registers the integration sources: a machine client's id (the
	// subject of its client-credentials token, as identity issues it) → the source it is
	// ("hotline_12345", "business_platform", "petition"). Only these clients file as
	// those sources; read from the global settings only, as a source is platform-wide.
	SourceClients map[string]string `json:"source_clients"`
	// MaxBackdateDays bounds how far back a source client's received_time may lie
	// (default DefaultMaxBackdateDays).
	MaxBackdateDays int `json:"max_backdate_days"`
}

// DefaultSLA is the seed's rule: answered the same day, closed within 3 working days.
func DefaultSLA() SLA {
	return SLA{Response: calendar.SameDay(), Close: calendar.Duration{N: 3, Unit: calendar.WorkingDays},
		Explain: calendar.Duration{N: 3, Unit: calendar.WorkingDays}, HardClose: calendar.Duration{N: 15, Unit: calendar.WorkingDays}}
}

// DefaultSettings are used until etcd says otherwise.
func DefaultSettings() Settings {
	cats := map[string]SLA{}
	for _, c := range []string{"general", "enterprise", "market", "environment", "construction", "consultation", "suggestion"} {
		cats[c] = DefaultSLA()
	}
	return Settings{Categories: cats, MaxExtensionDays: 10, MaxBackdateDays: DefaultMaxBackdateDays}
}

var categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Validate refuses settings the service cannot work with.
func (s Settings) Validate() error {
	if len(s.Categories) == 0 {
		return config.Field("categories", errs.New(errs.InvalidArgument, "CATEGORIES_EMPTY", "诉求类别不能为空"))
	}
	for c, sla := range s.Categories {
		if !categoryPattern.MatchString(c) {
			return config.Field("categories."+c, errs.Newf(errs.InvalidArgument, "INVALID_CATEGORY", "类别名 %q 应为小写字母、数字和下划线", c))
		}
		for name, d := range map[string]calendar.Duration{"response": sla.Response, "close": sla.Close, "explain": sla.Explain, "hard_close": sla.HardClose} {
			if d == (calendar.Duration{}) && (name == "explain" || name == "hard_close") {
				continue // optional
			}
			if err := d.Validate(); err != nil {
				return config.Field("categories."+c+"."+name, err)
			}
		}
	}
	if s.MaxExtensionDays <= 0 {
		return config.Field("max_extension_days", errs.New(errs.InvalidArgument, "NOT_POSITIVE", "单次延期天数应为正数"))
	}
	if err := s.validateSources(); err != nil {
		return err
	}
	return s.Routing.Validate()
}
