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
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// open311 is the Open311 GeoReport v2 façade (JSON only) under /api/tickets/open311/v2/:
// jurisdiction_id is the tenant, a service is a category, a service request a ticket
// (source ONLINE). Writes and request reads need the caller's access token, as the
// api_key parameter or a bearer header; the service list is public.
type open311 struct {
	svc      *service
	verifier *authn.Verifier
}

// routes registers the façade on the kit.
func (o *open311) routes(handle func(pattern string, h http.Handler)) {
	handle("GET /open311/v2/services.json", http.HandlerFunc(o.services))
	handle("GET /open311/v2/services/{code}", http.HandlerFunc(o.definition))
	handle("POST /open311/v2/requests.json", http.HandlerFunc(o.postRequest))
	handle("GET /open311/v2/requests.json", http.HandlerFunc(o.getRequests))
	handle("GET /open311/v2/requests/{id}", http.HandlerFunc(o.getRequest))
	handle("GET /open311/v2/tokens/{token}", http.HandlerFunc(o.getToken))
	handle("GET /open311/v2/servicerequestupdates.json", http.HandlerFunc(o.updates))
}

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

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, []geoError{{Code: status, Description: fmt.Sprintf(format, args...)}})
}

// failErr answers a domain error with its HTTP status in GeoReport's shape.
func failErr(w http.ResponseWriter, err error) {
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
		return "", errors.New("jurisdiction_id 缺失或不正确")
	}
	return t, nil
}

// authorize checks the api key (an access token) and the caller's action at t, and
// returns a context carrying the caller for the service methods.
func (o *open311) authorize(r *http.Request, t tenancy.ID, action string) (context.Context, error) {
	token := r.FormValue("api_key")
	if h := r.Header.Get("Authorization"); token == "" && strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	if token == "" {
		return nil, authn.ErrTokenMissing
	}
	p, err := o.verifier.Verify(r.Context(), token)
	if err != nil {
		return nil, err
	}
	if !o.svc.enforcer.Allowed(p.Subject, t, Object, action) {
		return nil, authz.ErrDenied
	}
	// The token goes along to the documents service when attachments are checked.
	return docref.WithBearer(authn.NewContext(r.Context(), p), token), nil
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

func (o *open311) services(w http.ResponseWriter, r *http.Request) {
	t, err := jurisdiction(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
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
}

func cmpName(code string) string {
	if n, ok := categoryNames[code]; ok {
		return n
	}
	return code
}

func (o *open311) definition(w http.ResponseWriter, r *http.Request) {
	code, ok := strings.CutSuffix(r.PathValue("code"), ".json")
	t, err := jurisdiction(r)
	if err != nil || !ok {
		fail(w, http.StatusBadRequest, "jurisdiction_id 缺失或不正确，或格式不是 .json")
		return
	}
	if _, known := o.svc.settings.For(t).Categories[code]; !known {
		fail(w, http.StatusNotFound, "service_code %q 不存在", code)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"service_code": code, "attributes": serviceAttributes})
}

// postRequest creates a ticket from a GeoReport service request (form-encoded).
func (o *open311) postRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, "请求格式不正确")
		return
	}
	t, err := jurisdiction(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	code := r.PostFormValue("service_code")
	if code == "" {
		fail(w, http.StatusBadRequest, "service_code 不能为空")
		return
	}
	address := r.PostFormValue("address_string")
	lat, long := r.PostFormValue("lat"), r.PostFormValue("long")
	if address == "" && r.PostFormValue("address_id") == "" && (lat == "" || long == "") {
		fail(w, http.StatusBadRequest, "缺少位置：请提供 lat 和 long，或 address_string，或 address_id")
		return
	}
	if lat != "" || long != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			fail(w, http.StatusBadRequest, "lat/long 不正确")
			return
		}
		if address == "" {
			address = fmt.Sprintf("%.6f,%.6f", la, lo)
		}
	}
	if address == "" {
		address = "address_id:" + r.PostFormValue("address_id")
	}
	ctx, err := o.authorize(r, t, "create")
	if err != nil {
		failErr(w, err)
		return
	}
	// GeoReport's api_key identifies the application posting; people post through the
	// platform's own APIs.
	if p, _ := authn.FromContext(ctx); p.Kind != authn.Service {
		failErr(w, ErrNotAnApplication)
		return
	}
	desc := r.PostFormValue("description")
	title := []rune(desc)
	if len(title) > 40 {
		title = title[:40]
	}
	name := strings.TrimSpace(r.PostFormValue("last_name") + r.PostFormValue("first_name"))
	tk, err := o.svc.CreateTicket(ctx, &ticketsv1.CreateTicketRequest{Parent: "tenants/" + string(t), Ticket: &ticketsv1.Ticket{
		Source: ticketsv1.Source_SOURCE_ONLINE, Category: code, Title: string(title), Description: desc, Address: address,
		Complainant: &ticketsv1.Complainant{Name: name, Phone: r.PostFormValue("phone")},
		ExternalId:  r.PostFormValue("attribute[external_id]"), AreaCode: r.PostFormValue("attribute[area_code]"),
		Attachments: attachmentsOf(r.PostForm),
	}})
	if err != nil {
		failErr(w, err)
		return
	}
	id := tk.GetName()[strings.LastIndex(tk.GetName(), "/")+1:]
	// Intake is immediate, so the token is the request id itself; GET tokens/{token} answers it.
	writeJSON(w, http.StatusOK, []map[string]string{{"service_request_id": id, "token": id,
		"service_notice": "已受理，办结时限 " + tk.GetCloseDue().AsTime().In(time.FixedZone("CST", 8*3600)).Format(time.DateTime)}})
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

func (o *open311) getRequest(w http.ResponseWriter, r *http.Request) {
	if tk, ok := o.readTicket(w, r, "id", "service_request_id"); ok {
		writeJSON(w, http.StatusOK, []geoRequest{geoView(tk)})
	}
}

// readTicket reads the ticket the path parameter param names ("{id}.json"), in the
// jurisdiction, for a caller who may read there; otherwise it answers the error (naming
// the parameter as the client knows it, what) and returns false.
func (o *open311) readTicket(w http.ResponseWriter, r *http.Request, param, what string) (*ticket, bool) {
	id, ok := strings.CutSuffix(r.PathValue(param), ".json")
	t, err := jurisdiction(r)
	if err != nil || !ok || !idPattern.MatchString(id) {
		fail(w, http.StatusBadRequest, "jurisdiction_id 或 %s 不正确", what)
		return nil, false
	}
	ctx, err := o.authorize(r, t, "read")
	if err != nil {
		failErr(w, err)
		return nil, false
	}
	tk, err := o.svc.st.get(ctx, t, id)
	if err != nil {
		failErr(w, err)
		return nil, false
	}
	return tk, true
}

// getRequests lists a jurisdiction's requests, filtered as GeoReport defines
// (service_request_id list, service_code, status, start_date, end_date; by default the
// last 90 days), newest first, at most 1000; page and page_size page through them.
func (o *open311) getRequests(w http.ResponseWriter, r *http.Request) {
	t, err := jurisdiction(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	q := r.URL.Query()
	var start, end time.Time
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"start_date", &start}, {"end_date", &end}} {
		if v := q.Get(f.name); v != "" {
			if *f.to, err = time.Parse(time.RFC3339, v); err != nil {
				fail(w, http.StatusBadRequest, "%s 应为 ISO 8601 时间（如 2026-11-25T10:00:00+08:00）", f.name)
				return
			}
		}
	}
	status := q.Get("status")
	if status != "" && status != "open" && status != "closed" {
		fail(w, http.StatusBadRequest, "status 只能是 open 或 closed")
		return
	}
	pageNo, size, ok := paging(w, q, 100)
	if !ok {
		return
	}
	ctx, err := o.authorize(r, t, "read")
	if err != nil {
		failErr(w, err)
		return
	}
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
			failErr(w, err)
			return
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
}
