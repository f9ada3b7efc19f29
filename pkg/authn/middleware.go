package authn

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
	"google.golang.org/grpc/metadata"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
)

// Middleware returns the go-kit middleware that authenticates every call from the
// "authorization" entry of the incoming gRPC metadata (where the HTTP gateway puts the
// Authorization header) and puts the Principal in the context. Methods named in public
// (full names, "<service>.<Method>") also pass without a token; a bearer token they do
// carry is still checked, so a public method can know its caller.
func (v *Verifier) Middleware(public ...string) kit.Middleware {
	open := make(map[string]bool, len(public))
	for _, name := range public {
		open[name] = true
	}
	return func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
		optional := open[m.FullName()]
		return func(ctx context.Context, req any) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			ctx, err := v.authenticate(ctx, md.Get("authorization"), optional)
			if err != nil {
				return nil, err
			}
			return next(ctx, req)
		}
	}
}

// Handler guards a plain-HTTP route with the same rules; failures are written with
// errs.WriteHTTP (401 and a WWW-Authenticate challenge).
func (v *Verifier) Handler(next http.Handler) http.Handler { return v.handler(next, false) }

// OptionalHandler is Handler for a public route: it passes without a token, and only
// checks a bearer token that is sent.
func (v *Verifier) OptionalHandler(next http.Handler) http.Handler { return v.handler(next, true) }

func (v *Verifier) handler(next http.Handler, optional bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := v.authenticate(r.Context(), r.Header.Values("Authorization"), optional)
		if err != nil {
			errs.WriteHTTP(r.Context(), w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

var errNotBearer = ErrTokenInvalid.WithMessage("仅支持 Bearer 访问令牌")

// authenticate applies the rules to the Authorization values of one call. An optional
// call passes without credentials, and with credentials of another scheme (Basic client
// authentication at a token endpoint is not ours to judge).
func (v *Verifier) authenticate(ctx context.Context, values []string, optional bool) (context.Context, error) {
	if len(values) == 0 || (len(values) == 1 && strings.TrimSpace(values[0]) == "") {
		if optional {
			return ctx, nil
		}
		return ctx, ErrTokenMissing
	}
	if len(values) > 1 {
		return ctx, ErrTokenInvalid.Wrap(errors.New("more than one Authorization value"))
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if optional {
			return ctx, nil
		}
		return ctx, errNotBearer
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return ctx, ErrTokenMissing
	}
	p, err := v.Verify(ctx, token)
	if err != nil {
		return ctx, err
	}
	return NewContext(ctx, p), nil
}
