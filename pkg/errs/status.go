package errs

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// GRPCStatus lets gRPC (status.FromError) turn an *Error, however deeply wrapped, into a
// status with a commonv1.Error detail.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Kind.GRPCCode(), e.Message)
	if d, err := st.WithDetails(e.proto(context.Background())); err == nil {
		return d
	}
	return st
}

// Proto is the wire form of err, with the trace id of ctx's span.
func Proto(ctx context.Context, err error) *commonv1.Error {
	return From(err).proto(ctx)
}

func (e *Error) proto(ctx context.Context) *commonv1.Error {
	p := &commonv1.Error{
		HttpStatus: int32(e.Kind.HTTPStatus()),
		Status:     e.Kind.GRPCCode().String(),
		Code:       e.Code,
		Message:    e.Message,
	}
	if p.Code == "" {
		p.Code = e.Kind.String()
	}
	p.Status = upperSnake(p.Status)
	for _, v := range e.Violations {
		p.FieldViolations = append(p.FieldViolations, &commonv1.FieldViolation{Field: v.Field, Code: v.Code, Description: v.Description})
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		p.TraceId = sc.TraceID().String()
	}
	return p
}

// statusError rebuilds an *Error from a gRPC status: the detail when a Gaoxing service
// sent one, otherwise the code's Kind with the status message.
func statusError(err error) (*Error, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() == codes.OK || st.Code() == codes.Unknown {
		return nil, false
	}
	for _, d := range st.Details() {
		if p, ok := d.(*commonv1.Error); ok {
			e := &Error{Kind: kindOf(st.Code()), Code: p.GetCode(), Message: p.GetMessage(), Err: err}
			if p.GetHttpStatus() == http.StatusRequestEntityTooLarge {
				e.Kind = TooLarge
			}
			for _, v := range p.GetFieldViolations() {
				e.Violations = append(e.Violations, FieldViolation{v.GetField(), v.GetCode(), v.GetDescription()})
			}
			return e, true
		}
	}
	k := kindOf(st.Code())
	return &Error{Kind: k, Code: k.String(), Message: st.Message(), Err: err}, true
}

var jsonOut = protojson.MarshalOptions{}

// WriteHTTP writes err as {"error": {...}} with its HTTP status. Internal details stay out
// of the body; callers log them (the kit's logging middleware does).
func WriteHTTP(ctx context.Context, w http.ResponseWriter, err error) {
	p := Proto(ctx, err)
	body, merr := jsonOut.Marshal(&commonv1.ErrorResponse{Error: p})
	if merr != nil {
		body = []byte(`{"error":{"code":"INTERNAL"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if p.GetHttpStatus() == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="gaoxing"`)
	}
	w.WriteHeader(int(p.GetHttpStatus()))
	_, _ = w.Write(append(body, '\n'))
}

// IsKind reports whether err is a domain error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// upperSnake turns a codes.Code name such as "NotFound" into "NOT_FOUND".
func upperSnake(s string) string {
	out := make([]byte, 0, len(s)+4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				out = append(out, '_')
			}
			out = append(out, c)
			continue
		}
		out = append(out, c-('a'-'A'))
	}
	return string(out)
}
