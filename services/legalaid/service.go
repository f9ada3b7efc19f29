package legalaid

import (
	"fmt"
	"regexp"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
)

// Name is the service's short name (/api/legalaid/, authz objects legalaid.*).
const Name = "legalaid"

// Object is the authorization object of every case method: intake "create", the
// adviser's, lawyer's and court's work "update", assignment "assign", fee support
// "approve", reading "read".
const Object = "legalaid.cases"

// ObjectCaseload is held (read) by those who see every case of their subtree —
// coordinators, stewards, supervisors, the discipline commission; anyone else with
// legalaid.cases sees only the cases assigned to them (lawyers) or linked to their court.
const ObjectCaseload = "legalaid.caseload"

// Domain errors, each with a stable code.
var (
	ErrCaseNotFound       = errs.New(errs.NotFound, "CASE_NOT_FOUND", "案件不存在")
	ErrIllegalTransition  = errs.New(errs.FailedPrecondition, "ILLEGAL_TRANSITION", "案件当前状态不允许此操作")
	ErrCaseClosed         = errs.New(errs.FailedPrecondition, "CASE_CLOSED", "案件已结案，不能再变更")
	ErrInvalidCaseNumber  = errs.New(errs.InvalidArgument, "INVALID_CASE_NUMBER", "案号格式不正确，应如（2026）辽0391民初123号")
	ErrDuplicateNumber    = errs.New(errs.AlreadyExists, "DUPLICATE_CASE_NUMBER", "该法院已有相同案号的案件")
	ErrCaseNumberMismatch = errs.New(errs.FailedPrecondition, "CASE_NUMBER_MISMATCH", "案号与案件已登记的案号不一致")
	ErrUnknownCourt       = errs.New(errs.InvalidArgument, "UNKNOWN_COURT", "法院不存在")
	ErrEntryPermanent     = errs.New(errs.FailedPrecondition, "DOCKET_ENTRY_PERMANENT", "卷宗登记不能删除，只能撤销或密封")
	ErrEntryNotFound      = errs.New(errs.NotFound, "DOCKET_ENTRY_NOT_FOUND", "卷宗登记不存在")
	ErrNonCourtDay        = errs.New(errs.InvalidArgument, "NON_COURT_DAY", "开庭日不是法院工作日，如确需安排请说明理由")
	ErrHearingNotFound    = errs.New(errs.NotFound, "HEARING_NOT_FOUND", "庭审不存在")
	ErrSuspensionTooLong  = errs.New(errs.InvalidArgument, "SUSPENSION_TOO_LONG", "扣除期间不能超过审理期限")
	ErrNotSuspended       = errs.New(errs.FailedPrecondition, "NOT_SUSPENDED", "审理期限未中止")
	ErrAlreadySuspended   = errs.New(errs.FailedPrecondition, "ALREADY_SUSPENDED", "审理期限已中止")
	ErrNoTrialClock       = errs.New(errs.FailedPrecondition, "NO_TRIAL_CLOCK", "该案件没有审理期限（未立案或不适用）")
	ErrReserveRequired    = errs.New(errs.InvalidArgument, "RESERVE_REQUIRED", "对生产经营、研发中的财产采取措施，须写明为企业预留的流动资金、账户或关键设备")
	ErrMeasureNotFound    = errs.New(errs.NotFound, "PRESERVATION_NOT_FOUND", "保全措施不存在")
	ErrStepNotFound       = errs.New(errs.NotFound, "STEP_NOT_FOUND", "府院联动事项不存在")
	ErrNotBankruptcy      = errs.New(errs.FailedPrecondition, "NOT_BANKRUPTCY", "只有破产案件有府院联动事项")
	ErrNotEligible        = errs.New(errs.FailedPrecondition, "NOT_ELIGIBLE", "不符合诉讼费用支持条件")
	ErrFeeDecided         = errs.New(errs.FailedPrecondition, "FEE_SUPPORT_DECIDED", "诉讼费用支持已决定")
)

// Court is one court the deployment works with.
type Court struct {
	Title string `json:"title"`
	// Code is the court's code in case numbers (辽0391): a province's short name, then 2
	// digits for an intermediate court or 4 for a basic one.
	Code string `json:"code"`
}

// Criterion is one hardship criterion of fee support (困难认定标准): the applicant's fact
// Attribute compared with Value ("revenue_drop_percent" gte 30).
type Criterion struct {
	Title     string `json:"title"`
	Attribute string `json:"attribute"`
	Operator  string `json:"operator"` // gte, lte, eq
	Value     string `json:"value"`    // a decimal
}

// FeeSupportRules decide litigation-fee support: an applicant meeting any criterion is
// eligible for Percent of the estimated court fee, at most MaxAmount yuan.
type FeeSupportRules struct {
	Criteria  []Criterion `json:"criteria"`
	Percent   int         `json:"percent"`
	MaxAmount string      `json:"max_amount"`
}

// Settings are the service's settings in pkg/config (etcd key
// /gaoxing/config/legalaid/global, overridden per tenant subtree).
type Settings struct {
	// Courts by id (lowercase, e.g. "gaoxin_court").
	Courts map[string]Court `json:"courts"`
	// CourtClients maps a court's machine client (the subject of its client-credentials
	// token) to the court it is; read from the global settings only.
	CourtClients map[string]string `json:"court_clients"`
	// RegistrationDays is the registration limit in working days from a complete intake
	// (the seed's 1).
	RegistrationDays int `json:"registration_days"`
	// TrialDays is the local trial limit in natural days per case type ("civil": 90);
	// types without one have no trial clock.
	TrialDays  map[string]int  `json:"trial_days"`
	FeeSupport FeeSupportRules `json:"fee_support"`
}

// DefaultSettings are used until etcd says otherwise.
func DefaultSettings() Settings {
	return Settings{
		Courts:           map[string]Court{},
		CourtClients:     map[string]string{},
		RegistrationDays: 1,
		TrialDays:        map[string]int{"civil": 90, "commercial": 90},
		FeeSupport: FeeSupportRules{Percent: 50, MaxAmount: "50000.00", Criteria: []Criterion{
			{Title: "营业收入同比下降30%以上", Attribute: "revenue_drop_percent", Operator: "gte", Value: "30"},
			{Title: "连续3个月以上欠缴社保或工资", Attribute: "months_in_arrears", Operator: "gte", Value: "3"},
			{Title: "资产负债率超过90%", Attribute: "debt_ratio_percent", Operator: "gte", Value: "90"},
		}},
	}
}

var (
	courtIDPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	courtCodePattern = regexp.MustCompile(`^\p{Han}([0-9]{2}|[0-9]{4})?$`)
	attrPattern      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// Validate refuses settings the service cannot work with.
func (s Settings) Validate() error {
	for id, c := range s.Courts {
		if !courtIDPattern.MatchString(id) {
			return fmt.Errorf("court %q: id must match %s", id, courtIDPattern)
		}
		if !courtCodePattern.MatchString(c.Code) {
			return fmt.Errorf("court %q: code %q is not a case-number court code such as 辽0391", id, c.Code)
		}
	}
	for client, court := range s.CourtClients {
		if _, ok := s.Courts[court]; !ok {
			return fmt.Errorf("court client %q: unknown court %q", client, court)
		}
	}
	if s.RegistrationDays < 0 || s.RegistrationDays > 30 {
		return fmt.Errorf("registration_days must be 0–30")
	}
	for typ, d := range s.TrialDays {
		if _, ok := caseTypes[typ]; !ok || d <= 0 || d > 3650 {
			return fmt.Errorf("trial_days %q: unknown case type or days out of 1–3650", typ)
		}
	}
	f := s.FeeSupport
	if f.Percent < 0 || f.Percent > 100 {
		return fmt.Errorf("fee_support.percent must be 0–100")
	}
	if _, err := parseYuan("fee_support.max_amount", f.MaxAmount); err != nil {
		return fmt.Errorf("fee_support.max_amount: %w", err)
	}
	for _, c := range f.Criteria {
		if !attrPattern.MatchString(c.Attribute) || (c.Operator != "gte" && c.Operator != "lte" && c.Operator != "eq") {
			return fmt.Errorf("fee_support criterion %q: attribute must match %s, operator gte, lte or eq", c.Title, attrPattern)
		}
		if _, err := parseDecimal("value", c.Value); err != nil {
			return fmt.Errorf("fee_support criterion %q: %w", c.Title, err)
		}
	}
	return nil
}

// checkCredit normalizes and checks a unified social credit code.
func checkCredit(field, code string) (string, error) {
	c := govid.NormalizeCreditCode(code)
	if err := govid.ValidateCreditCode(c); err != nil {
		return "", errs.From(err).WithField(field, "INVALID_CREDIT_CODE", "统一社会信用代码不正确")
	}
	return c, nil
}
