package kit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/kit/kittest"
	"github.com/gaoxing-gov/gaoxing/pkg/telemetry"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	samplev1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/sample/v1"
)

// TestMain sets telemetry up as a service binary does (no exporter configured: traces
// get ids, metrics go to /metrics) and stops the shared PostgreSQL at the end.
func TestMain(m *testing.M) {
	if _, err := telemetry.Setup(context.Background(), telemetry.Options{Service: "kit-test", LogLevel: slog.LevelError, LogWriter: os.Stderr}); err != nil {
		panic(err)
	}
	testenv.Main(m)
}

// startSample serves the sample service on loopback with a database from dsn
// ("" → a SQLite file in a temp dir).
func startSample(t *testing.T, dsn string, peer samplev1.NotesServiceClient) (*kittest.Server, samplev1.NotesServiceClient) {
	t.Helper()
	if dsn == "" {
		dsn = "sqlite:" + t.TempDir() + "/sample.db"
	}
	svc, db, err := newSample(t.Context(), dsn, peer)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	srv := kittest.Serve(t, svc)
	return srv, samplev1.NewNotesServiceClient(srv.Conn)
}

type httpResult struct {
	status int
	body   []byte
}

func call(t *testing.T, method, url string, body io.Reader, header ...string) httpResult {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return httpResult{resp.StatusCode, b}
}

// errorBody decodes the {"error": {...}} body every failed HTTP call has.
func errorBody(t *testing.T, r httpResult) *commonv1.Error {
	t.Helper()
	var body struct {
		Error struct {
			HTTPStatus      int32  `json:"httpStatus"`
			Status          string `json:"status"`
			Code            string `json:"code"`
			Message         string `json:"message"`
			FieldViolations []struct {
				Field, Code, Description string
			} `json:"fieldViolations"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.body, &body), "body: %s", r.body)
	e := &commonv1.Error{HttpStatus: body.Error.HTTPStatus, Status: body.Error.Status, Code: body.Error.Code, Message: body.Error.Message}
	for _, v := range body.Error.FieldViolations {
		e.FieldViolations = append(e.FieldViolations, &commonv1.FieldViolation{Field: v.Field, Code: v.Code, Description: v.Description})
	}
	require.Equal(t, int32(r.status), e.HttpStatus, "status line and body agree")
	return e
}

func TestSameEndpointOverGRPCAndHTTP(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		srv, client := startSample(t, dsn, nil)

		created := call(t, "POST", srv.URL+"/api/sample/v1/tenants/ahz.s01/notes", strings.NewReader(`{"text":"窗口受理测试"}`))
		require.Equal(t, http.StatusOK, created.status, "%s", created.body)
		var note struct{ Name, Text string }
		require.NoError(t, json.Unmarshal(created.body, &note))
		require.Equal(t, "tenants/ahz.s01/notes/N000001", note.Name)

		got, err := client.GetNote(t.Context(), &samplev1.GetNoteRequest{Name: note.Name})
		require.NoError(t, err)
		require.Equal(t, "窗口受理测试", got.GetText())

		viaHTTP := call(t, "GET", srv.URL+"/api/sample/v1/"+note.Name, nil)
		require.Equal(t, http.StatusOK, viaHTTP.status)
		require.Contains(t, string(viaHTTP.body), "窗口受理测试")
	})
}

func TestErrorTableOnBothTransports(t *testing.T) {
	srv, client := startSample(t, "", nil)

	// A wrapped domain error keeps its status and code on both transports.
	_, err := client.GetNote(t.Context(), &samplev1.GetNoteRequest{Name: "tenants/ahz/notes/N999999"})
	st := status.Convert(err)
	require.Equal(t, codes.NotFound, st.Code())
	require.Len(t, st.Details(), 1)
	require.Equal(t, "NOTE_NOT_FOUND", st.Details()[0].(*commonv1.Error).GetCode())

	r := call(t, "GET", srv.URL+"/api/sample/v1/tenants/ahz/notes/N999999", nil)
	e := errorBody(t, r)
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "NOTE_NOT_FOUND", e.GetCode())
	require.Equal(t, "NOT_FOUND", e.GetStatus())
	require.Equal(t, "便签不存在", e.GetMessage())

	// Field violations reach the caller.
	r = call(t, "POST", srv.URL+"/api/sample/v1/tenants/ahz/notes", strings.NewReader(`{"text":""}`))
	e = errorBody(t, r)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, "note.text", e.GetFieldViolations()[0].GetField())

	// A bad tenant in the path is refused before anything is stored.
	r = call(t, "POST", srv.URL+"/api/sample/v1/tenants/AHZ_1/notes", strings.NewReader(`{"text":"x"}`))
	require.Equal(t, "INVALID_PARENT", errorBody(t, r).GetFieldViolations()[0].GetCode())
	list, err := client.ListNotes(t.Context(), &samplev1.ListNotesRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.Empty(t, list.GetNotes())
}

func TestInternalErrorsHideTheirCause(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/sample.db"
	svc, db, err := newSample(t.Context(), dsn, nil)
	require.NoError(t, err)
	srv := kittest.Serve(t, svc)
	require.NoError(t, db.Close()) // every query now fails inside the service

	r := call(t, "GET", srv.URL+"/api/sample/v1/tenants/ahz/notes/N000001", nil)
	e := errorBody(t, r)
	require.Equal(t, http.StatusInternalServerError, r.status)
	require.Equal(t, "INTERNAL", e.GetCode())
	require.NotContains(t, strings.ToLower(string(r.body)), "sql", "the cause stays in the logs")

	r = call(t, "GET", srv.URL+"/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.status, "readiness reports the closed database")
}

func TestRequestBodiesAreChecked(t *testing.T) {
	srv, client := startSample(t, "", nil)
	url := srv.URL + "/api/sample/v1/tenants/ahz/notes"
	huge := `{"text":"` + strings.Repeat("长", 1<<20) + `"}`

	for _, tc := range []struct {
		name   string
		body   io.Reader
		status int
		code   string
	}{
		{"oversize with length", strings.NewReader(huge), http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"},
		{"oversize chunked", io.MultiReader(strings.NewReader(huge)), http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"},
		{"unknown field", strings.NewReader(`{"text":"a","colour":"red"}`), http.StatusBadRequest, "MALFORMED_REQUEST"},
		{"not JSON", strings.NewReader(`text=a`), http.StatusBadRequest, "MALFORMED_REQUEST"},
		{"wrong type", strings.NewReader(`{"text":42}`), http.StatusBadRequest, "MALFORMED_REQUEST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, "POST", url, tc.body)
			require.Equal(t, tc.status, r.status, "%s", r.body)
			require.Equal(t, tc.code, errorBody(t, r).GetCode())
		})
	}
	list, err := client.ListNotes(t.Context(), &samplev1.ListNotesRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.Empty(t, list.GetNotes(), "no rejected body stored anything")

	r := call(t, "GET", srv.URL+"/api/sample/v1/nowhere", nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.Equal(t, "ROUTE_NOT_FOUND", errorBody(t, r).GetCode())
	r = call(t, "DELETE", srv.URL+"/api/sample/v1/tenants/ahz/notes", nil)
	require.Equal(t, "METHOD_NOT_ALLOWED", errorBody(t, r).GetCode())
}

func TestIdempotentRetryReturnsFirstResult(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		srv, client := startSample(t, dsn, nil)
		url := srv.URL + "/api/sample/v1/tenants/ahz.s02/notes"

		first := call(t, "POST", url, strings.NewReader(`{"text":"补正材料"}`), "Idempotency-Key", "k-1")
		require.Equal(t, http.StatusOK, first.status, "%s", first.body)
		again := call(t, "POST", url, strings.NewReader(`{"text":"补正材料"}`), "Idempotency-Key", "k-1")
		require.Equal(t, http.StatusOK, again.status)
		require.JSONEq(t, string(first.body), string(again.body), "the retry returns the first result")

		// The same key over gRPC reaches the same record.
		ctx := metadata.AppendToOutgoingContext(t.Context(), "idempotency-key", "k-1")
		viaGRPC, err := client.CreateNote(ctx, &samplev1.CreateNoteRequest{Parent: "tenants/ahz.s02", Note: &samplev1.Note{Text: "补正材料"}})
		require.NoError(t, err)
		require.Contains(t, string(first.body), viaGRPC.GetName())

		// Reusing the key for another request is refused and stores nothing.
		other := call(t, "POST", url, strings.NewReader(`{"text":"另一件事"}`), "Idempotency-Key", "k-1")
		require.GreaterOrEqual(t, other.status, 400)
		require.Equal(t, "IDEMPOTENCY_KEY_REUSED", errorBody(t, other).GetCode())

		list, err := client.ListNotes(t.Context(), &samplev1.ListNotesRequest{Parent: "tenants/ahz.s02"})
		require.NoError(t, err)
		require.Len(t, list.GetNotes(), 1, "one note, never a duplicate")
	})
}

func TestPagingWalksEveryNoteOnce(t *testing.T) {
	srv, client := startSample(t, "", nil)
	for i := range 7 {
		_, err := client.CreateNote(t.Context(), &samplev1.CreateNoteRequest{Parent: "tenants/ahz", Note: &samplev1.Note{Text: fmt.Sprint("n", i)}})
		require.NoError(t, err)
	}
	var seen []string
	token := ""
	for {
		resp, err := client.ListNotes(t.Context(), &samplev1.ListNotesRequest{Parent: "tenants/ahz", PageSize: 3, PageToken: token})
		require.NoError(t, err)
		for _, n := range resp.GetNotes() {
			seen = append(seen, n.GetText())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
		// A token is only good for the query that made it.
		r := call(t, "GET", srv.URL+"/api/sample/v1/tenants/ahz.s01/notes?pageToken="+token, nil)
		require.Equal(t, "INVALID_PAGE_TOKEN", errorBody(t, r).GetCode())
	}
	require.Equal(t, []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6"}, seen)

	_, err := client.ListNotes(t.Context(), &samplev1.ListNotesRequest{Parent: "tenants/ahz", PageSize: -1})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestTraceContextCrossesAGRPCHop(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })

	_, back := startSample(t, "", nil)
	front, _ := startSample(t, "", back) // front forwards creates to back over gRPC

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	r := call(t, "POST", front.URL+"/api/sample/v1/tenants/ahz/notes", bytes.NewReader([]byte(`{"text":"跨服务"}`)),
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Contains(t, string(r.body), traceID, "the back service saw the caller's trace")

	require.NoError(t, tp.ForceFlush(t.Context()))
	var names []string
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() == traceID {
			names = append(names, s.Name())
		}
	}
	// HTTP server span, front endpoint, gRPC client, gRPC server, back endpoint: one trace.
	require.Contains(t, names, "sample.CreateNote")
	require.Contains(t, names, "gaoxing.sample.v1.NotesService/CreateNote")
	require.GreaterOrEqual(t, countOf(names, "sample.CreateNote"), 2, "both services' endpoint spans: %v", names)
}

func countOf(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func TestHealthMetricsAndOpenAPI(t *testing.T) {
	srv, client := startSample(t, "", nil)
	_, err := client.Ping(t.Context(), &samplev1.PingRequest{})
	require.NoError(t, err)

	require.Equal(t, http.StatusOK, call(t, "GET", srv.URL+"/healthz", nil).status)
	ready := call(t, "GET", srv.URL+"/readyz", nil)
	require.Equal(t, http.StatusOK, ready.status)
	require.JSONEq(t, `{"ready":true,"checks":{"sql":""}}`, string(ready.body))

	h, err := healthpb.NewHealthClient(srv.Conn).Check(t.Context(), &healthpb.HealthCheckRequest{Service: "sample"})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, h.GetStatus())

	spec := call(t, "GET", srv.URL+"/api/sample/openapi.json", nil)
	require.Equal(t, http.StatusOK, spec.status)
	require.Contains(t, string(spec.body), `"basePath": "/api/sample"`)
	require.Contains(t, string(spec.body), `/v1/tenants/{tenant}/notes`)

	m := call(t, "GET", srv.URL+"/metrics", nil)
	require.Equal(t, http.StatusOK, m.status)
	require.Regexp(t, `gaoxing_rpc_calls_total\{[^}]*code="OK"[^}]*method="Ping"[^}]*service="sample"[^}]*\} [1-9]`, string(m.body),
		"RED metrics per method reach /metrics")
	require.Contains(t, string(m.body), "gaoxing_rpc_duration_seconds_bucket")
}
