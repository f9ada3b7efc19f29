package authn

import "github.com/gaoxing-gov/gaoxing/pkg/errs"

// Errors returned to callers. Causes are wrapped for the logs and never shown.
var (
	ErrTokenMissing = errs.New(errs.Unauthenticated, "TOKEN_MISSING", "缺少访问令牌，请先登录")
	ErrTokenInvalid = errs.New(errs.Unauthenticated, "TOKEN_INVALID", "访问令牌无效，请重新登录")
	ErrTokenExpired = errs.New(errs.Unauthenticated, "TOKEN_EXPIRED", "登录已过期，请重新登录")
	ErrTokenRevoked = errs.New(errs.Unauthenticated, "TOKEN_REVOKED", "访问令牌已被撤销，请重新登录")
	// ErrKeysUnavailable means the signing keys could not be fetched, so no token can be
	// checked: a fault on our side, worth a retry, not the caller's.
	ErrKeysUnavailable = errs.New(errs.Unavailable, "AUTH_KEYS_UNAVAILABLE", "认证服务暂不可用，请稍后重试")
)
