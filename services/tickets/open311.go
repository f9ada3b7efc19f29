package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// open311 is the Open311 GeoReport v2 façade (JSON only) under /api/tickets/open311/v2/:
// jurisdiction_id is the tenant, a service is a category, a service request a ticket
// (source ONLINE). Every call is a kit route, through the same chain as the RPCs, with its
// rule beside it: writes and request reads need the caller's access token (as the api_key
// parameter or a bearer header) and create or read at the jurisdiction; the service list
// and definitions are public. Errors are answered in GeoReport's shape.
type open311 struct {
	svc *service
}

// route is kit.Service.Route.
type route func(pattern, name string, rule authz.Rule, h kit.RouteFunc, opts ...kit.RouteOption)

// routes registers the façade on the kit.
func (o *open311) routes(add route) {
	public := authz.Rule{Public: true}
	// Applicants read the requests they filed (the list is filtered, one request is
	// checked in readTicket); the feed of updates across requests is staff's.
	read := authz.Rule{Object: Object, Action: "read", Applicants: kit.ApplicantsOwn}
	feed := authz.Rule{Object: Object, Action: "read"}
	create := authz.Rule{Object: Object, Action: "create", Applicants: kit.ApplicantsFile}
	geo := []kit.RouteOption{kit.ParseForm(64 << 10), kit.TenantFrom(jurisdictionID), kit.WriteErrors(writeGeoError)}
	keyed := append(slices.Clip(geo), kit.TokenFrom(apiKey))
	add("GET /open311/v2/services.json", "Open311.ListServices", public, o.services, geo...)
	add("GET /open311/v2/services/{code}", "Open311.GetServiceDefinition", public, o.definition, geo...)
	add("POST /open311/v2/requests.json", "Open311.CreateServiceRequest", create, o.postRequest, keyed...)
	add("GET /open311/v2/requests.json", "Open311.GetServiceRequests", read, o.getRequests, keyed...)
	add("GET /open311/v2/requests/{id}", "Open311.GetServiceRequest", read, o.getRequest, keyed...)
	add("GET /open311/v2/tokens/{token}", "Open311.GetToken", read, o.getToken, keyed...)
	add("GET /open311/v2/servicerequestupdates.json", "Open311.GetServiceRequestUpdates", feed, o.updates, keyed...)
}

// jurisdictionID is the tenant a call addresses, for the chain's authorization.
func jurisdictionID(r *http.Request) string { return r.FormValue("jurisdiction_id") }

// apiKey is the caller's access token: GeoReport's api_key, else a bearer header (which
// the kit reads when this finds none).
func apiKey(r *http.Request) string { return r.FormValue("api_key") }

// geoError is GeoReport's error shape; responses carry a list of them.
type geoError struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// The façade's own failures. Clients see their descriptions alone, as GeoReport's
// examples do; the codes are for the chain's logs and metrics.
var (
	errGeoInvalid  = errs.New(errs.InvalidArgument, "OPEN311_INVALID", "请求参数不正确")
	errGeoNotFound = errs.New(errs.NotFound, "OPEN311_NOT_FOUND", "请求的对象不存在")
)

// geoFail is a failure described in the façade's own words.
type geoFail struct{ e *errs.Error }

func (g geoFail) Error() string { return g.e.Error() }
func (g geoFail) Unwrap() error { return g.e }

// invalid is a 400 described by format.
func invalid(format string, args ...any) error {
	return geoFail{errGeoInvalid.WithMessage(format, args...)}
}

// writeGeoError answers an error with its HTTP status in GeoReport's shape: the façade's
// own failures with their description, domain errors with their stable code first.
func writeGeoError(_ context.Context, w http.ResponseWriter, err error) {
	var g geoFail
	if errors.As(err, &g) {
		status := g.e.Kind.HTTPStatus()
		writeJSON(w, status, []geoError{{Code: status, Description: g.e.Message}})
		return
	}
	e := errs.From(err)
	status := e.Kind.HTTPStatus()
	desc := e.Message
	for _, v := range e.Violations {
		desc += "; " + v.Field + ": " + v.Description
	}
	writeJSON(w, status, []geoError{{Code: status, Description: e.Code + ": " + desc}})
}

// jurisdiction reads jurisdiction_id (required: every tenant is a jurisdiction).
func jurisdiction(r *http.Request) (tenancy.ID, error) {
	t, err := tenancy.Parse(r.FormValue("jurisdiction_id"))
	if err != nil {
		return "", invalid("jurisdiction_id 缺失或不正确")
	}
	return t, nil
}

type geoService struct {
	Code        string   `json:"service_code"`
	Name        string   `json:"service_name"`
	Description string   `json:"description"`
	Metadata    bool     `json:"metadata"`
	Type        string   `json:"type"`
	Keywords    string   `json:"keywords"`
	Group       string   `json:"group"`
	Attributes  []string `json:"-"`
}

// categoryNames are the display names of the default categories.
var categoryNames = map[string]string{
	"general": "综合诉求", "enterprise": "涉企诉求", "market": "市场监管", "environment": "生态环境",
	"construction": "城乡建设", "consultation": "政策咨询", "suggestion": "建言献策",
}

func (o *open311) services(w http.ResponseWriter, r *http.Request) error {
	t, err := jurisdiction(r)
	if err != nil {
		return err
	}
	cats := o.svc.settings.For(t).Categories
	codes := make([]string, 0, len(cats))
	for c := range cats {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	out := make([]geoService, 0, len(codes))
	for _, c := range codes {
		sla := cats[c]
		out = append(out, geoService{Code: c, Name: cmpName(c), Metadata: false, Type: "realtime", Group: "诉求",
			Description: fmt.Sprintf("响应时限 %s，办结时限 %s", sla.Response, sla.Close)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func cmpName(code string) string {
	if n, ok := categoryNames[code]; ok {
		return n
	}
	return code
}

func (o *open311) definition(w http.ResponseWriter, r *http.Request) error {
	code, ok := strings.CutSuffix(r.PathValue("code"), ".json")
	t, err := jurisdiction(r)
	if err != nil || !ok {
		return invalid("jurisdiction_id 缺失或不正确，或格式不是 .json")
	}
	if _, known := o.svc.settings.For(t).Categories[code]; !known {
		return geoFail{errGeoNotFound.WithMessage("service_code %q 不存在", code)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"service_code": code, "attributes": serviceAttributes})
	return nil
}

// postRequest creates a ticket from a GeoReport service request (form-encoded; the kit
// parsed the form and the chain checked the caller may create at the jurisdiction).
func (o *open311) postRequest(w http.ResponseWriter, r *http.Request) error {
	t, err := jurisdiction(r)
	if err != nil {
		return err
	}
	code := r.PostFormValue("service_code")
	if code == "" {
		return invalid("service_code 不能为空")
	}
	address := r.PostFormValue("address_string")
	lat, long := r.PostFormValue("lat"), r.PostFormValue("long")
	if address == "" && r.PostFormValue("address_id") == "" && (lat == "" || long == "") {
		return invalid("缺少位置：请提供 lat 和 long，或 address_string，或 address_id")
	}
	if lat != "" || long != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			return invalid("lat/long 不正确")
		}
		if address == "" {
			address = fmt.Sprintf("%.6f,%.6f", la, lo)
		}
	}
	if address == "" {
		address = "address_id:" + r.PostFormValue("address_id")
	}
	ctx := r.Context()
	// GeoReport's api_key identifies the application posting; people post through the
	// platform's own APIs. (The token goes along in the call's metadata to the documents
	// service when attachments are checked.)
	if p, _ := authn.FromContext(ctx); p.Kind != authn.Service {
		return ErrNotAnApplication
	}
	desc := r.PostFormValue("description")
	title := []rune(desc)
	if len(title) > 40 {
		title = title[:40]
	}
	name := strings.TrimSpace(r.PostFormValue("last_name") + r.PostFormValue("first_name"))
	tk, err := o.svc.CreateTicket(ctx, &ticketsv1.CreateTicketRequest{Parent: "tenants/" + string(t), Ticket: &ticketsv1.Ticket{
		Category: code, Title: string(title), Description: desc, Address: address,
		Complainant: &ticketsv1.Complainant{Name: name, Phone: r.PostFormValue("phone")},
		ExternalId:  r.PostFormValue("attribute[external_id]"), AreaCode: r.PostFormValue("attribute[area_code]"),
		Attachments: attachmentsOf(r.PostForm),
	}})
	if err != nil {
		return err
	}
	id := tk.GetName()[strings.LastIndex(tk.GetName(), "/")+1:]
	// Intake is immediate, so the token is the request id itself; GET tokens/{token} answers it.
	writeJSON(w, http.StatusOK, []map[string]string{{"service_request_id": id, "token": id,
		"service_notice": "已受理，办结时限 " + tk.GetCloseDue().AsTime().In(time.FixedZone("CST", 8*3600)).Format(time.DateTime)}})
	return nil
}

type geoRequest struct {
	ID                string  `json:"service_request_id"`
	Status            string  `json:"status"`
	StatusNotes       string  `json:"status_notes"`
	ServiceName       string  `json:"service_name"`
	ServiceCode       string  `json:"service_code"`
	Description       string  `json:"description"`
	AgencyResponsible string  `json:"agency_responsible"`
	ServiceNotice     string  `json:"service_notice"`
	Requested         string  `json:"requested_datetime"`
	Updated           string  `json:"updated_datetime"`
	Expected          string  `json:"expected_datetime"`
	Address           string  `json:"address"`
	Lat               float64 `json:"lat,omitempty"`
	Long              float64 `json:"long,omitempty"`
}

func geoView(tk *ticket) geoRequest {
	status := "open"
	if !tk.open() {
		status = "closed"
	}
	g := geoRequest{
		ID: tk.ID, Status: status, StatusNotes: strings.TrimPrefix(tk.State.String(), "STATE_") + " " + stateLabel[tk.State],
		ServiceName: cmpName(tk.Category), ServiceCode: tk.Category, Description: tk.Description,
		AgencyResponsible: tk.AssigneeDept, Requested: tk.Created.Format(time.RFC3339),
		Updated: tk.Updated.Format(time.RFC3339), Expected: tk.CloseDue.At.Format(time.RFC3339), Address: tk.Address,
	}
	if la, lo, ok := strings.Cut(tk.Address, ","); ok {
		g.Lat, _ = strconv.ParseFloat(la, 64)
		g.Long, _ = strconv.ParseFloat(lo, 64)
	}
	return g
}

func (o *open311) getRequest(w http.ResponseWriter, r *http.Request) error {
	tk, err := o.readTicket(r, "id", "service_request_id")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, []geoRequest{geoView(tk)})
	return nil
}

// readTicket reads the ticket the path parameter param names ("{id}.json") in the
// jurisdiction (where the chain checked the caller may read); a malformed one is an
// error naming the parameter as the client knows it, what.
func (o *open311) readTicket(r *http.Request, param, what string) (*ticket, error) {
	id, ok := strings.CutSuffix(r.PathValue(param), ".json")
	t, err := jurisdiction(r)
	if err != nil || !ok || !idPattern.MatchString(id) {
		return nil, invalid("jurisdiction_id 或 %s 不正确", what)
	}
	tk, err := o.svc.st.get(r.Context(), t, id)
	if err != nil {
		return nil, err
	}
	if !authz.AccessFrom(r.Context()).Owns(tk.owner()) {
		return nil, ticketNotFound(tk.name()) // another's request is not there for an applicant
	}
	return tk, nil
}

// getRequests lists a jurisdiction's requests, filtered as GeoReport defines
// (service_request_id list, service_code, status, start_date, end_date; by default the
// last 90 days), newest first, at most 1000; page and page_size page through them.
func (o *open311) getRequests(w http.ResponseWriter, r *http.Request) error {
	t, err := jurisdiction(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var start, end time.Time
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"start_date", &start}, {"end_date", &end}} {
		if v := q.Get(f.name); v != "" {
			if *f.to, err = time.Parse(time.RFC3339, v); err != nil {
				return invalid("%s 应为 ISO 8601 时间（如 2026-11-25T10:00:00+08:00）", f.name)
			}
		}
	}
	status := q.Get("status")
	if status != "" && status != "open" && status != "closed" {
		return invalid("status 只能是 open 或 closed")
	}
	pageNo, size, err := paging(q, 100)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ids := map[string]bool{}
	for _, id := range strings.Split(q.Get("service_request_id"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids[id] = true
		}
	}
	now := o.svc.now()
	if start.IsZero() && len(ids) == 0 {
		start = now.AddDate(0, 0, -90)
	}
	var out []geoRequest
	after := ""
	for len(out) < 1000 {
		batch, err := o.svc.st.list(ctx, t, listFilter{}, after, 500)
		if err != nil {
			return err
		}
		for _, tk := range batch {
			g := geoView(tk)
			switch {
			case tk.Tenant != t, len(ids) > 0 && !ids[tk.ID], q.Get("service_code") != "" && tk.Category != q.Get("service_code"),
				status != "" && g.Status != status, !start.IsZero() && tk.Created.Before(start), !end.IsZero() && tk.Created.After(end):
				continue
			}
			out = append(out, g)
		}
		if len(batch) < 500 {
			break
		}
		after = batch[len(batch)-1].ID
	}
	slices.Reverse(out) // ids sort by day and number: newest first
	from := min((pageNo-1)*size, len(out))
	writeJSON(w, http.StatusOK, out[from:min(from+size, len(out))])
	return nil
}
