package errs

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/grpc/codes"
)

// Kind is the class of a failure. Each Kind has one gRPC code and one HTTP status.
type Kind int

// The kinds, in the order of the table below.
const (
	Internal           Kind = iota // a bug or an unexpected fault; details stay in the logs
	InvalidArgument                // malformed input: bad field, bad JSON, bad token
	NotFound                       // no such resource, or not visible to the caller
	AlreadyExists                  // a create that would duplicate a unique resource
	FailedPrecondition             // the resource is in the wrong state (illegal transition)
	Aborted                        // concurrency conflict: stale version, idempotency race
	PermissionDenied               // authenticated, but not allowed
	Unauthenticated                // no or bad credentials
	ResourceExhausted              // rate or quota exceeded
	TooLarge                       // request body or file over the limit
	Unavailable                    // a dependency is down; retry later
	DeadlineExceeded               // the call ran out of time
	Unimplemented                  // no such method or route
)

type row struct {
	grpc codes.Code
	http int
	code string // default stable code when an error has none of its own
}

var table = [...]row{
	Internal:           {codes.Internal, http.StatusInternalServerError, "INTERNAL"},
	InvalidArgument:    {codes.InvalidArgument, http.StatusBadRequest, "INVALID_ARGUMENT"},
	NotFound:           {codes.NotFound, http.StatusNotFound, "NOT_FOUND"},
	AlreadyExists:      {codes.AlreadyExists, http.StatusConflict, "ALREADY_EXISTS"},
	FailedPrecondition: {codes.FailedPrecondition, http.StatusUnprocessableEntity, "FAILED_PRECONDITION"},
	Aborted:            {codes.Aborted, http.StatusConflict, "ABORTED"},
	PermissionDenied:   {codes.PermissionDenied, http.StatusForbidden, "PERMISSION_DENIED"},
	Unauthenticated:    {codes.Unauthenticated, http.StatusUnauthorized, "UNAUTHENTICATED"},
	ResourceExhausted:  {codes.ResourceExhausted, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED"},
	TooLarge:           {codes.ResourceExhausted, http.StatusRequestEntityTooLarge, "TOO_LARGE"},
	Unavailable:        {codes.Unavailable, http.StatusServiceUnavailable, "UNAVAILABLE"},
	DeadlineExceeded:   {codes.DeadlineExceeded, http.StatusGatewayTimeout, "DEADLINE_EXCEEDED"},
	Unimplemented:      {codes.Unimplemented, http.StatusNotImplemented, "UNIMPLEMENTED"},
}

// GRPCCode is the gRPC status code of k.
func (k Kind) GRPCCode() codes.Code { return table[k].grpc }

// HTTPStatus is the HTTP status of k.
func (k Kind) HTTPStatus() int { return table[k].http }

func (k Kind) String() string { return table[k].code }

// kindOf maps a gRPC code back to a Kind, for errors that arrive from another service
// or from the gateway itself without a Gaoxing detail.
func kindOf(c codes.Code) Kind {
	switch c {
	case codes.OK:
		return Internal
	case codes.Canceled:
		return Unavailable
	case codes.OutOfRange:
		return InvalidArgument
	case codes.DataLoss, codes.Unknown:
		return Internal
	}
	for k, r := range table {
		if r.grpc == c && Kind(k) != TooLarge {
			return Kind(k)
		}
	}
	return Internal
}

// FieldViolation says which request field is wrong and why.
type FieldViolation struct {
	Field       string // path in the request, e.g. "note.text"
	Code        string // stable, e.g. "REQUIRED"
	Description string // human-readable
}

// Error is a domain error: a Kind, a stable Code, a message for people, optional field
// violations, and optionally the error it wraps (for logs; never shown to callers).
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Violations []FieldViolation
	Err        error
}

// New returns a sentinel-style error. Code is stable and upper snake case.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Newf is New with a formatted message.
func Newf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code, so a copy made by With*
// still matches its sentinel: errors.Is(err, ErrNoteNotFound).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Kind == e.Kind
}

// WithMessage returns a copy of e with another message (same Kind and Code).
func (e *Error) WithMessage(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// WithField returns a copy of e with one more field violation.
func (e *Error) WithField(field, code, description string) *Error {
	c := *e
	c.Violations = append(append([]FieldViolation(nil), e.Violations...), FieldViolation{field, code, description})
	return &c
}

// Wrap returns a copy of e that wraps cause (kept for logs, hidden from callers).
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// Common errors shared by every service. Services add their own beside their Service.
var (
	ErrInternal       = New(Internal, "INTERNAL", "服务内部错误，请稍后重试")
	ErrMalformed      = New(InvalidArgument, "MALFORMED_REQUEST", "请求格式不正确")
	ErrTooLarge       = New(TooLarge, "REQUEST_TOO_LARGE", "请求内容超过大小限制")
	ErrNotFound       = New(NotFound, "NOT_FOUND", "资源不存在")
	ErrRouteNotFound  = New(NotFound, "ROUTE_NOT_FOUND", "接口不存在")
	ErrMethodNotAllow = New(Unimplemented, "METHOD_NOT_ALLOWED", "不支持该请求方法")
	ErrStaleVersion   = New(Aborted, "STALE_VERSION", "数据已被他人修改，请刷新后重试")
	ErrUnavailable    = New(Unavailable, "UNAVAILABLE", "依赖服务暂不可用，请稍后重试")
)

// Invalid returns an INVALID_ARGUMENT error about one field.
func Invalid(field, code, description string) *Error {
	return (&Error{Kind: InvalidArgument, Code: "INVALID_ARGUMENT", Message: description}).WithField(field, code, description)
}

// From finds the *Error in err's chain. Errors without one are INTERNAL, wrapping err.
// Context cancellation and deadlines keep their meaning.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if se, ok := statusError(err); ok {
		return se
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return New(DeadlineExceeded, "DEADLINE_EXCEEDED", "请求超时").Wrap(err)
	case errors.Is(err, context.Canceled):
		return New(Unavailable, "CANCELED", "请求已取消").Wrap(err)
	}
	return ErrInternal.Wrap(err)
}

// CheckEtag applies the etag rule of every service (gaoxing.common.v1, etag.proto) to a
// request: an etag that is given must equal current, else ErrStaleVersion (ABORTED,
// STALE_VERSION); an empty one skips the check.
func CheckEtag(given, current string) error {
	if given == "" {
		return nil
	}
	return RequireEtag(given, current)
}

// RequireEtag is the rule for methods whose contract requires the etag: an empty or a
// different one is ErrStaleVersion.
func RequireEtag(given, current string) error {
	if given != current {
		return ErrStaleVersion
	}
	return nil
}
