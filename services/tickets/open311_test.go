package tickets

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// geoCall makes one GeoReport v2 call and decodes its JSON answer into out.
func (h *harness) geoCall(method, path string, form url.Values, out any) int {
	h.t.Helper()
	var body io.Reader
	u := h.base + "/open311/v2/" + path
	if method == http.MethodGet {
		u += "?" + form.Encode()
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(h.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	require.Contains(h.t, resp.Header.Get("Content-Type"), "application/json")
	require.NoError(h.t, json.Unmarshal(b, out), string(b))
	return resp.StatusCode
}

// TestOpen311: an Open311 client lists services, posts a request with its api key,
// reads it back singly and by filters, and sees it closed once the loop closes it;
// malformed requests get GeoReport-style errors and create nothing.
func TestOpen311(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	key := h.tokens[hotline]

	var services []map[string]any
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "services.json", url.Values{"jurisdiction_id": {"ahz"}}, &services))
	require.NotEmpty(t, services)
	codes := []string{}
	for _, s := range services {
		codes = append(codes, s["service_code"].(string))
	}
	require.Contains(t, codes, "general")
	var def map[string]any
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "services/general.json", url.Values{"jurisdiction_id": {"ahz"}}, &def))
	require.Equal(t, "general", def["service_code"])

	// Malformed: no service_code; no location; no api key; unknown service.
	var errsOut []geoError
	post := url.Values{"api_key": {key}, "jurisdiction_id": {"ahz"}, "service_code": {"general"},
		"lat": {"30.274085"}, "long": {"120.155070"}, "description": {"人行道井盖缺失，存在安全隐患"},
		"first_name": {"三丰"}, "last_name": {"张"}, "phone": {"13812345678"}}
	for _, c := range []struct {
		drop   []string
		set    map[string]string
		status int
		code   string // the stable code the description starts with, when checked
	}{
		{drop: []string{"service_code"}, status: http.StatusBadRequest},
		{drop: []string{"lat", "long"}, status: http.StatusBadRequest},
		{set: map[string]string{"lat": "95"}, status: http.StatusBadRequest},
		{drop: []string{"api_key"}, status: http.StatusUnauthorized},
		{set: map[string]string{"api_key": h.tokens[center]}, status: http.StatusForbidden, code: "API_KEY_NOT_APPLICATION"}, // a person
		{set: map[string]string{"service_code": "ufo"}, status: http.StatusBadRequest},
	} {
		f := url.Values{}
		for k, v := range post {
			f[k] = v
		}
		for _, d := range c.drop {
			f.Del(d)
		}
		for k, v := range c.set {
			f.Set(k, v)
		}
		errsOut = nil
		require.Equal(t, c.status, h.geoCall(http.MethodPost, "requests.json", f, &errsOut), "%v", c)
		require.Len(t, errsOut, 1)
		require.Equal(t, c.status, errsOut[0].Code)
		require.NotEmpty(t, errsOut[0].Description)
		require.True(t, strings.HasPrefix(errsOut[0].Description, c.code), errsOut[0].Description)
	}
	require.Equal(t, 0, h.count(`SELECT COUNT(*) FROM tickets`))

	var created []map[string]string
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodPost, "requests.json", post, &created))
	require.Len(t, created, 1)
	id := created[0]["service_request_id"]
	require.Equal(t, "T-20261125-000001", id)

	var got []geoRequest
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "requests/"+id+".json", url.Values{"jurisdiction_id": {"ahz"}, "api_key": {key}}, &got))
	require.Len(t, got, 1)
	require.Equal(t, "open", got[0].Status)
	require.Equal(t, "general", got[0].ServiceCode)
	require.InDelta(t, 30.274085, got[0].Lat, 1e-6)
	expected, err := time.Parse(time.RFC3339, got[0].Expected)
	require.NoError(t, err)
	require.True(t, expected.Equal(cst(2026, time.December, 1, 0)), expected)

	// Take it through the loop; the façade then reports it closed with the agency.
	name := "tenants/ahz/tickets/" + id
	tk, err := h.client.DispatchTicket(h.as(center), &ticketsv1.DispatchTicketRequest{Name: name, AssigneeTenant: "ahz.s01.c01", AssigneeDepartment: "城管中队"})
	require.NoError(t, err)
	for _, step := range []func() (*ticketsv1.Ticket, error){
		func() (*ticketsv1.Ticket, error) {
			return h.client.ClaimTicket(h.as(community), &ticketsv1.ClaimTicketRequest{Ticket: name})
		},
		func() (*ticketsv1.Ticket, error) {
			return h.client.StartTicket(h.as(community), &ticketsv1.StartTicketRequest{Ticket: name})
		},
		func() (*ticketsv1.Ticket, error) {
			return h.client.ReplyTicket(h.as(community), &ticketsv1.ReplyTicketRequest{Ticket: name, Reply: "已补装井盖"})
		},
		func() (*ticketsv1.Ticket, error) {
			return h.client.CloseTicket(h.as(center), &ticketsv1.CloseTicketRequest{Name: name, Summary: "已办结"})
		},
	} {
		tk, err = step()
		require.NoError(t, err)
	}
	require.Equal(t, ticketsv1.State_STATE_CLOSED, tk.GetState())

	var list []geoRequest
	q := url.Values{"jurisdiction_id": {"ahz"}, "api_key": {key}}
	q.Set("status", "closed")
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "requests.json", q, &list))
	require.Len(t, list, 1)
	require.Equal(t, id, list[0].ID)
	require.Equal(t, "城管中队", list[0].AgencyResponsible)
	require.Contains(t, list[0].StatusNotes, "CLOSED")
	q.Set("status", "open")
	list = nil
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "requests.json", q, &list))
	require.Empty(t, list)
	q.Set("status", "pending")
	errsOut = nil
	require.Equal(t, http.StatusBadRequest, h.geoCall(http.MethodGet, "requests.json", q, &errsOut))
	require.Equal(t, 400, errsOut[0].Code)

	// Another jurisdiction's client cannot read it.
	errsOut = nil
	require.Equal(t, http.StatusForbidden, h.geoCall(http.MethodGet, "requests/"+id+".json",
		url.Values{"jurisdiction_id": {"ahz"}, "api_key": {h.tokens[sibling]}}, &errsOut))
}

// TestOpen311RoutesAreMethods: each Open311 call passes the kit's chain (a span named
// after the route's method, with the jurisdiction as tenant) and is in the OpenAPI
// document. Not parallel: it swaps the global tracer provider.
func TestOpen311RoutesAreMethods(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	h := startHarness(t, "")
	var out []map[string]any
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "services.json", url.Values{"jurisdiction_id": {"ahz"}}, &out))
	out = nil
	require.Equal(t, http.StatusOK, h.geoCall(http.MethodGet, "requests.json", url.Values{"jurisdiction_id": {"ahz"}, "api_key": {h.tokens[hotline]}}, &out))
	var gerr []geoError
	require.Equal(t, http.StatusUnauthorized, h.geoCall(http.MethodGet, "requests.json", url.Values{"jurisdiction_id": {"ahz"}}, &gerr))
	codes := map[string][]string{}
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == "gaoxing.tenant" && strings.HasPrefix(s.Name(), "tickets.Open311.") {
				code := "OK"
				for _, a := range s.Attributes() {
					if a.Key == "gaoxing.error_code" {
						code = a.Value.String()
					}
				}
				require.Equal(t, "ahz", kv.Value.String(), s.Name())
				codes[s.Name()] = append(codes[s.Name()], code)
			}
		}
	}
	require.Equal(t, []string{"OK"}, codes["tickets.Open311.ListServices"])
	require.Equal(t, []string{"OK", "TOKEN_MISSING"}, codes["tickets.Open311.GetServiceRequests"])

	resp, err := http.Get(h.base + "/openapi.json")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var spec struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&spec))
	for path, ops := range map[string]map[string]string{
		"/open311/v2/services.json":                      {"get": "Open311_ListServices"},
		"/open311/v2/services/{service_code}.json":       {"get": "Open311_GetServiceDefinition"},
		"/open311/v2/requests.json":                      {"get": "Open311_GetServiceRequests", "post": "Open311_CreateServiceRequest"},
		"/open311/v2/requests/{service_request_id}.json": {"get": "Open311_GetServiceRequest"},
		"/open311/v2/tokens/{token}.json":                {"get": "Open311_GetToken"},
		"/open311/v2/servicerequestupdates.json":         {"get": "Open311_GetServiceRequestUpdates"},
		"/v1/tenants/{tenant}/tickets":                   {"get": "TicketsService_ListTickets"},
	} {
		for method, id := range ops {
			require.Equal(t, id, spec.Paths[path][method].OperationID, "%s %s", method, path)
		}
	}
}
