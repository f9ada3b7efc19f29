package documents

import (
	"context"
	"errors"
	"fmt"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Name is the service's short name (/api/documents/, authz objects documents.*).
const Name = "documents"

// Authorization objects. Every method needs its action on Object; a CONFIDENTIAL document
// (涉密/敏感材料) needs the same action on ConfidentialObject as well, so a role sees such
// files only when it is granted them explicitly (platform_admin's "*" and supervisor's
// read-all reach them; clerks' documents.documents grants do not).
const (
	Object             = "documents.documents"
	ConfidentialObject = "documents.confidential"
)

// Domain errors, each with a stable code.
var (
	ErrDocumentNotFound   = errs.New(errs.NotFound, "DOCUMENT_NOT_FOUND", "材料不存在")
	ErrUploadNotFound     = errs.New(errs.NotFound, "UPLOAD_NOT_FOUND", "上传任务不存在或已提交")
	ErrUploadExpired      = errs.New(errs.FailedPrecondition, "UPLOAD_EXPIRED", "上传任务已过期，请重新上传")
	ErrUploadMissing      = errs.New(errs.FailedPrecondition, "UPLOAD_OBJECT_MISSING", "尚未收到上传的文件内容")
	ErrSizeMismatch       = errs.New(errs.InvalidArgument, "SIZE_MISMATCH", "文件大小与声明不一致")
	ErrChecksumMismatch   = errs.New(errs.InvalidArgument, "CHECKSUM_MISMATCH", "文件校验值（SHA-256）与声明不一致")
	ErrTooLarge           = errs.New(errs.TooLarge, "DOCUMENT_TOO_LARGE", "文件超过大小限制")
	ErrEmpty              = errs.New(errs.InvalidArgument, "DOCUMENT_EMPTY", "文件内容为空")
	ErrTypeNotAllowed     = errs.New(errs.InvalidArgument, "CONTENT_TYPE_NOT_ALLOWED", "不支持的文件类型")
	ErrStorage            = errs.New(errs.Unavailable, "STORAGE_UNAVAILABLE", "文件存储暂不可用，请稍后重试")
	ErrDeleted            = errs.New(errs.FailedPrecondition, "DOCUMENT_DELETED", "材料已删除")
	ErrNotDeleted         = errs.New(errs.FailedPrecondition, "DOCUMENT_NOT_DELETED", "材料未被删除")
	ErrRestoreExpired     = errs.New(errs.FailedPrecondition, "RESTORE_WINDOW_PASSED", "已超过可恢复期限")
	ErrLegalHold          = errs.New(errs.FailedPrecondition, "DOCUMENT_LEGAL_HOLD", "材料处于法律保全状态，不能删除")
	ErrRetained           = errs.New(errs.FailedPrecondition, "DOCUMENT_RETAINED", "材料在保存期限内，不能删除")
	ErrPendingScan        = errs.New(errs.FailedPrecondition, "DOCUMENT_PENDING_SCAN", "材料正在安全检查，暂不能下载")
	ErrInfected           = errs.New(errs.FailedPrecondition, "DOCUMENT_INFECTED", "材料未通过安全检查，不能下载")
	ErrNotPendingScan     = errs.New(errs.FailedPrecondition, "DOCUMENT_NOT_PENDING_SCAN", "该版本不在待检查状态")
	ErrVersionConflict    = errs.New(errs.Aborted, "VERSION_CONFLICT", "该材料同时有其他新版本上传，请重试")
	ErrVersionNotFound    = errs.New(errs.NotFound, "VERSION_NOT_FOUND", "材料版本不存在")
	ErrAlreadyHeld        = errs.New(errs.FailedPrecondition, "LEGAL_HOLD_ALREADY_SET", "材料已处于法律保全状态")
	ErrNotHeld            = errs.New(errs.FailedPrecondition, "LEGAL_HOLD_NOT_SET", "材料未处于法律保全状态")
	ErrConfidentialDenied = errs.New(errs.PermissionDenied, "CONFIDENTIAL_DENIED", "您无权访问涉密材料")
)

// Scanner is the scan hook (病毒扫描): when scanning is on (Settings.ScanRequired), it is
// told about every new version, which stays PENDING_SCAN until the scanner calls
// MarkScanned. Submit must not block for long; a failure is logged and the version
// waits for a scanner that polls, or for a later submission.
type Scanner interface {
	Submit(ctx context.Context, document string, version int32) error
}

// Settings are the service's settings in pkg/config (etcd key
// /gaoxing/config/documents/global, overridden per tenant subtree).
type Settings struct {
	// MaxBytes is the largest file by default.
	MaxBytes int64 `json:"max_bytes"`
	// CategoryMaxBytes overrides MaxBytes for a category ("case": 1 GiB).
	CategoryMaxBytes map[string]int64 `json:"category_max_bytes,omitempty"`
	// ScanRequired keeps new versions PENDING_SCAN until a scanner marks them clean.
	ScanRequired bool `json:"scan_required"`
	// RetentionDays locks every version of a category's documents for that many days
	// from upload (object-lock retention, GOVERNANCE mode).
	RetentionDays map[string]int `json:"retention_days,omitempty"`
	// ComplianceCategories are the categories whose retention the law requires (case
	// files, 案卷): locked in COMPLIANCE mode, which no credential lifts before the date,
	// not the storage root user and not the service; GOVERNANCE for the others, which
	// only the orphan sweep may lift.
	ComplianceCategories []string `json:"compliance_categories,omitempty"`
	// RestoreWindowHours is how long a deleted document can be restored before purge.
	RestoreWindowHours int `json:"restore_window_hours"`
	// UploadTTLSeconds is how long a presigned upload may take until its commit.
	UploadTTLSeconds int `json:"upload_ttl_seconds"`
	// DownloadTTLSeconds is how long a presigned download URL works.
	DownloadTTLSeconds int `json:"download_ttl_seconds"`
}

// DefaultSettings are used until etcd says otherwise.
func DefaultSettings() Settings {
	return Settings{
		MaxBytes:             200 << 20,
		RetentionDays:        map[string]int{"case": 3650},
		ComplianceCategories: []string{"case"},
		RestoreWindowHours:   30 * 24,
		UploadTTLSeconds:     15 * 60,
		DownloadTTLSeconds:   5 * 60,
	}
}

// Validate refuses settings the service cannot work with.
func (s Settings) Validate() error {
	if s.MaxBytes <= 0 {
		return errors.New("max_bytes must be positive")
	}
	for c, n := range s.CategoryMaxBytes {
		if n <= 0 {
			return fmt.Errorf("category_max_bytes[%q] must be positive", c)
		}
	}
	for c, d := range s.RetentionDays {
		if d < 0 {
			return fmt.Errorf("retention_days[%q] must not be negative", c)
		}
	}
	if s.RestoreWindowHours < 0 || s.UploadTTLSeconds <= 0 || s.DownloadTTLSeconds <= 0 {
		return errors.New("restore_window_hours, upload_ttl_seconds and download_ttl_seconds must be positive")
	}
	return nil
}

// Limit is the largest file of category.
func (s Settings) Limit(category string) int64 {
	if n, ok := s.CategoryMaxBytes[category]; ok {
		return n
	}
	return s.MaxBytes
}
