package kit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
)

var errThingNotFound = errs.New(errs.NotFound, "THING_NOT_FOUND", "没有这个东西")

// TestRoutesRunThroughTheChain: a plain-HTTP route is a method like an RPC: one span
// named after it with its tenant, RED metrics with its outcome code, a panic answered as
// INTERNAL, errors written by the kit (or the route's own writer) unless the answer began.
func TestRoutesRunThroughTheChain(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	svc := kit.New("routes")
	svc.Route("GET /v1/tenants/{tenant}/things:echo", "EchoThing", open, func(w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprint(w, r.PathValue("tenant"))
		return err
	})
	svc.Route("GET /v1/{name=tenants/*/things/*}:show", "ShowThing", open, func(w http.ResponseWriter, r *http.Request) error {
		if strings.HasSuffix(r.PathValue("name"), "/missing") {
			return errThingNotFound
		}
		_, err := fmt.Fprint(w, r.PathValue("name"))
		return err
	})
	svc.Route("GET /v1/tenants/{tenant}/things:boom", "BoomThing", open, func(http.ResponseWriter, *http.Request) error {
		panic("boom")
	})
	svc.Route("GET /v1/tenants/{tenant}/things:began", "BeganThing", open, func(w http.ResponseWriter, _ *http.Request) error {
		_, _ = w.Write([]byte("partial"))
		return errThingNotFound
	})
	svc.Route("POST /v1/things:form", "FormThing", open, func(w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprint(w, r.PostFormValue("text"))
		return err
	}, kit.ParseForm(64), kit.TenantFrom(func(r *http.Request) string { return r.FormValue("j") }),
		kit.WriteErrors(func(_ context.Context, w http.ResponseWriter, err error) {
			w.WriteHeader(errs.From(err).Kind.HTTPStatus())
			_, _ = fmt.Fprint(w, "own:", errs.From(err).Code)
		}))
	srv := kittest.Serve(t, svc)
	base := srv.URL + "/api/routes/v1/"
	form := func(text string) string { return url.Values{"j": {"ahz"}, "text": {text}}.Encode() }

	for _, c := range []struct {
		name, method, path, body string
		status                   int
		want                     string // the body, or the stable code of an error body
		span, tenant, code       string
	}{
		{name: "echo", method: "GET", path: "tenants/ahz/things:echo", status: 200, want: "ahz", span: "routes.EchoThing", tenant: "ahz"},
		{name: "gateway template", method: "GET", path: "tenants/ahz.s01/things/t1:show", status: 200, want: "tenants/ahz.s01/things/t1",
			span: "routes.ShowThing", tenant: "ahz.s01"},
		{name: "error", method: "GET", path: "tenants/ahz/things/missing:show", status: 404, want: "THING_NOT_FOUND",
			span: "routes.ShowThing", tenant: "ahz", code: "THING_NOT_FOUND"},
		{name: "panic", method: "GET", path: "tenants/ahz/things:boom", status: 500, want: "INTERNAL",
			span: "routes.BoomThing", tenant: "ahz", code: "INTERNAL"},
		{name: "answer began", method: "GET", path: "tenants/ahz/things:began", status: 200, want: "partial",
			span: "routes.BeganThing", tenant: "ahz", code: "THING_NOT_FOUND"},
		{name: "form", method: "POST", path: "things:form", body: form("你好"), status: 200, want: "你好", span: "routes.FormThing", tenant: "ahz"},
		{name: "form too large", method: "POST", path: "things:form", body: form(strings.Repeat("x", 100)), status: 413, want: "own:REQUEST_TOO_LARGE",
			span: "routes.FormThing", code: "REQUEST_TOO_LARGE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec.Reset()
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			var r httpResult
			if body != nil {
				r = call(t, c.method, base+c.path, body, "Content-Type", "application/x-www-form-urlencoded")
			} else {
				r = call(t, c.method, base+c.path, nil)
			}
			require.Equal(t, c.status, r.status, "%s", r.body)
			if c.status >= 400 && !strings.HasPrefix(c.want, "own:") {
				require.Equal(t, c.want, errorBody(t, r).GetCode())
			} else {
				require.Equal(t, c.want, string(r.body))
			}
			var got sdktrace.ReadOnlySpan
			for _, s := range rec.Ended() {
				if s.Name() == c.span {
					got = s
				}
			}
			require.NotNil(t, got, "a span named after the route's method")
			attrs := map[string]string{}
			for _, kv := range got.Attributes() {
				attrs[string(kv.Key)] = kv.Value.String()
			}
			require.Equal(t, c.tenant, attrs["gaoxing.tenant"])
			require.Equal(t, c.code, attrs["gaoxing.error_code"])
		})
	}

	// Metrics label a tenant only once the tenant check admitted it (tenancy.Guard, not
	// in this bare chain): until then a named tenant is "unchecked".
	m := call(t, "GET", srv.URL+"/metrics", nil)
	require.Regexp(t, `gaoxing_rpc_calls_total\{[^}]*code="INTERNAL"[^}]*method="BoomThing"[^}]*service="routes"[^}]*tenant="unchecked"[^}]*\} 1`, string(m.body))
	require.Regexp(t, `gaoxing_rpc_calls_total\{[^}]*code="OK"[^}]*method="EchoThing"[^}]*service="routes"[^}]*tenant="unchecked"[^}]*\} 1`, string(m.body))
}

// TestRoutesMustBeDocumented: the OpenAPI document must have an operation for every route,
// with the route's method name as its operationId.
func TestRoutesMustBeDocumented(t *testing.T) {
	svc := kit.New("undocumented")
	svc.Route("GET /open311/v2/services.json", "Open311.ListServices", open, func(http.ResponseWriter, *http.Request) error { return nil })
	svc.Route("GET /v1/things", "ListThings", open, func(http.ResponseWriter, *http.Request) error { return nil })
	spec := []byte(`{"paths": {"/open311/v2/services.json": {"parameters": [], "get": {"operationId": "Open311_ListServices"}}}}`)
	require.Equal(t, []string{"undocumented.ListThings"},
		kit.Undocumented(spec, []kit.Method{{Service: "undocumented", Name: "Open311.ListServices"}, {Service: "undocumented", Name: "ListThings"}}))
	require.PanicsWithValue(t, "kit: undocumented: routes missing from the OpenAPI document: undocumented.ListThings", func() { svc.OpenAPI(spec) })
}

// open is the rule of the test routes: anyone may call them (the chain here has no authz).
var open = kit.Rule{Public: true}
