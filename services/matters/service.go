package matters

import (
	"context"
	"fmt"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// Name is the service's short name (/api/matters/, authz objects matters.*).
const Name = "matters"

// Authorization objects: the catalogue (事项目录) and applications (办件).
const (
	ObjectMatters      = "matters.matters"
	ObjectApplications = "matters.applications"
	ObjectRatings      = "matters.ratings"
)

// Domain errors, each with a stable code.
var (
	ErrMatterNotFound      = errs.New(errs.NotFound, "MATTER_NOT_FOUND", "事项不存在")
	ErrNotDistrict         = errs.New(errs.PermissionDenied, "DEFINED_AT_DISTRICT", "事项只能由区级定义，下级单位只能认领")
	ErrEnterpriseAtHall    = errs.New(errs.FailedPrecondition, "ENTERPRISE_MATTER_AT_DISTRICT", "涉企事项集中在区政务服务大厅办理")
	ErrNotEnabled          = errs.New(errs.FailedPrecondition, "MATTER_NOT_ENABLED", "本单位未认领该事项")
	ErrApplicationNotFound = errs.New(errs.NotFound, "APPLICATION_NOT_FOUND", "办件不存在")
	ErrIllegalTransition   = errs.New(errs.FailedPrecondition, "ILLEGAL_TRANSITION", "办件当前状态不允许此操作")
	ErrMissingMaterial     = errs.New(errs.FailedPrecondition, "MISSING_MATERIAL", "缺少必要材料")
	ErrNotDeferrable       = errs.New(errs.FailedPrecondition, "MATERIAL_NOT_DEFERRABLE", "该材料不允许容缺")
	ErrUnknownMaterial     = errs.New(errs.InvalidArgument, "UNKNOWN_MATERIAL", "该事项没有此材料")
	ErrChannelNotOffered   = errs.New(errs.FailedPrecondition, "CHANNEL_NOT_OFFERED", "该事项不支持此办理渠道")
	ErrCorrectionOnce      = errs.New(errs.FailedPrecondition, "CORRECTION_ALREADY_REQUESTED", "补正应一次性告知，不能再次要求补正")
	ErrStepClosed          = errs.New(errs.FailedPrecondition, "STEP_ALREADY_CLOSED", "该环节已办结")
	ErrDeferredPending     = errs.New(errs.FailedPrecondition, "DEFERRED_MATERIALS_PENDING", "容缺材料尚未补齐，不能办结")
	ErrCommitmentExpired   = errs.New(errs.FailedPrecondition, "COMMITMENT_EXPIRED", "容缺承诺期限已过")
	ErrNotApplicant        = errs.New(errs.PermissionDenied, "NOT_APPLICANT", "只有申请人可以评价")
	ErrAlreadyRated        = errs.New(errs.FailedPrecondition, "ALREADY_RATED", "该办件已评价")
	// ErrGreenChannelStaffOnly: the 绿色通道 is granted by staff, never claimed by an
	// applicant.
	ErrGreenChannelStaffOnly = errs.New(errs.PermissionDenied, "GREEN_CHANNEL_STAFF_ONLY", "绿色通道由工作人员设置")
	ErrRectificationOpen     = errs.New(errs.FailedPrecondition, "RECTIFICATION_PENDING", "差评整改尚未完成，完成后方可回访评价")
	ErrNoRectification       = errs.New(errs.FailedPrecondition, "NO_OPEN_RECTIFICATION", "该办件没有待办的差评整改")
	ErrAlreadyMailed         = errs.New(errs.FailedPrecondition, "ALREADY_MAILED", "该办件证照已寄出")
	ErrFormFieldMissing      = errs.New(errs.InvalidArgument, "FORM_FIELD_MISSING", "申请表缺少必填项")
	ErrBundleNotFound        = errs.New(errs.NotFound, "BUNDLE_NOT_FOUND", "一件事主题不存在")
	ErrBundleFieldMissing    = errs.New(errs.InvalidArgument, "BUNDLE_FIELD_MISSING", "一件事申请表缺少成员事项所需的填写项")
	ErrPolicyNotFound        = errs.New(errs.NotFound, "POLICY_NOT_FOUND", "政策不存在")
)

// Settings are the service's settings in pkg/config (etcd key
// /gaoxing/config/matters/global, overridden per tenant subtree).
type Settings struct {
	// RectificationDays is the deadline, in working days, of the rectification task a
	// poor rating (差评) opens.
	RectificationDays int `json:"rectification_days"`
	// MaxCommitmentDays bounds the 容缺 commitment period, in working days.
	MaxCommitmentDays int `json:"max_commitment_days"`
}

// DefaultSettings are used until etcd says otherwise.
func DefaultSettings() Settings { return Settings{RectificationDays: 5, MaxCommitmentDays: 20} }

// Validate refuses settings the service cannot work with.
func (s Settings) Validate() error {
	if s.RectificationDays <= 0 || s.RectificationDays > 60 {
		return fmt.Errorf("rectification_days must be 1-60")
	}
	if s.MaxCommitmentDays <= 0 || s.MaxCommitmentDays > 90 {
		return fmt.Errorf("max_commitment_days must be 1-90")
	}
	return nil
}

// ownerOf is whose record name is, for the owner check of applicants (authz.OwnerLookup):
// an application or a bundle application, one indexed read.
func (s *service) ownerOf(ctx context.Context, name string) (*commonv1.Owner, error) {
	if parent, id, ok := strings.Cut(name, "/bundleApplications/"); ok {
		t, err := parseParent(parent)
		if err != nil || !bundleIDPattern.MatchString(id) {
			return nil, notFound(name)
		}
		return s.st.bundleOwner(ctx, t, id)
	}
	t, id, err := parseName(name)
	if err != nil {
		return nil, err
	}
	return s.st.owner(ctx, t, id)
}

// notFound is the answer for a record an applicant may not see: the same as for one
// that does not exist.
func notFound(name string) error {
	if strings.Contains(name, "/bundleApplications/") {
		return ErrApplicationNotFound.WithMessage("一件事办件不存在: %s", name)
	}
	return ErrApplicationNotFound.WithMessage("办件不存在: %s", name)
}
