package tickets

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// serviceAttributes are the GeoReport attributes every service (category) takes, beyond
// the standard fields: the client's own id (a resend with it returns the same request),
// the area code the routing rules match, and document references.
var serviceAttributes = []map[string]any{
	{"variable": true, "code": "external_id", "datatype": "string", "required": false, "order": 1,
		"description": "来源系统的编号；同一编号重复提交返回同一工单", "datatype_description": "1–64 位字母、数字或 ._:-"},
	{"variable": true, "code": "area_code", "datatype": "string", "required": false, "order": 2,
		"description": "区划/社区代码，用于自动派单"},
	{"variable": true, "code": "attachments", "datatype": "multivaluelist", "required": false, "order": 3,
		"description": "附件：材料服务的资源名 tenants/{tenant}/documents/{id}", "values": []any{}},
}

// attachmentsOf reads attribute[attachments][] (GeoReport's multivaluelist form) and
// attribute[attachments].
func attachmentsOf(form url.Values) []string {
	return append(append([]string(nil), form["attribute[attachments][]"]...), form["attribute[attachments]"]...)
}

// getToken answers GET tokens/{token}.json: the request id the token stands for. Intake
// is immediate, so every token is the id of an existing request.
func (o *open311) getToken(w http.ResponseWriter, r *http.Request) error {
	tk, err := o.readTicket(r, "token", "token")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, []map[string]string{{"token": tk.ID, "service_request_id": tk.ID}})
	return nil
}

// geoUpdate is one entry of mySociety's servicerequestupdates feed.
type geoUpdate struct {
	UpdateID           string `json:"update_id"`
	ServiceRequestID   string `json:"service_request_id"`
	Status             string `json:"status"`
	ExternalStatusCode string `json:"external_status_code"`
	Description        string `json:"description"`
	MediaURL           string `json:"media_url"`
	Updated            string `json:"updated_datetime"`
}

// feedStatus is the state in mySociety's extended statuses.
var feedStatus = map[ticketsv1.State]string{
	ticketsv1.State_STATE_RECEIVED: "open", ticketsv1.State_STATE_DISPATCHED: "action_scheduled",
	ticketsv1.State_STATE_CLAIMED: "investigating", ticketsv1.State_STATE_IN_PROGRESS: "in_progress",
	ticketsv1.State_STATE_REPLIED: "in_progress", ticketsv1.State_STATE_CLOSED: "fixed",
	ticketsv1.State_STATE_VISITED: "closed", ticketsv1.State_STATE_RATED: "closed",
}

// updates answers GET servicerequestupdates.json (mySociety's extension): a
// jurisdiction's public status changes in [start_date, end_date) (updated_after is taken
// for start_date; default the last 90 days), oldest first, page and page_size paging.
func (o *open311) updates(w http.ResponseWriter, r *http.Request) error {
	t, err := jurisdiction(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	now := o.svc.now()
	from, to := now.AddDate(0, 0, -90), now.Add(time.Second)
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"updated_after", &from}, {"start_date", &from}, {"end_date", &to}} {
		if v := q.Get(f.name); v != "" {
			if *f.to, err = time.Parse(time.RFC3339, v); err != nil {
				return invalid("%s 应为 ISO 8601 时间（如 2026-11-25T10:00:00+08:00）", f.name)
			}
		}
	}
	pageNo, size, err := paging(q, 100)
	if err != nil {
		return err
	}
	ctx := r.Context()
	skip := (pageNo - 1) * size
	out := []geoUpdate{}
	var afterUs, afterRev int64 = from.UnixMicro() - 1, 0
	afterID := ""
	for len(out) < size {
		batch, err := o.svc.st.updates(ctx, t, from, to, afterUs, afterID, afterRev, 500)
		if err != nil {
			return err
		}
		for _, u := range batch {
			if skip > 0 {
				skip--
				continue
			}
			if len(out) < size {
				out = append(out, geoUpdate{UpdateID: u.TicketID + "-" + strconv.FormatInt(u.Revision, 10), ServiceRequestID: u.TicketID,
					Status: feedStatus[u.State], ExternalStatusCode: strings.TrimPrefix(u.State.String(), "STATE_"),
					Description: u.Description, Updated: u.At.Format(time.RFC3339)})
			}
		}
		if len(batch) < 500 {
			break
		}
		last := batch[len(batch)-1]
		afterUs, afterID, afterRev = last.At.UnixMicro(), last.TicketID, last.Revision
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Open311 paging bounds: page_size 1–1000 and at most maxOffset items skipped, so that
// no page number, however large, overflows the offset or makes a listing walk the whole
// table (narrow the dates to reach further back).
const (
	maxPageSize = 1000
	maxOffset   = 10000
)

// Paging errors of the Open311 routes, with stable codes in the GeoReport description.
var (
	ErrInvalidPage     = errs.New(errs.InvalidArgument, "INVALID_PAGE", "page 应为正整数，且翻页不能超过 10000 条")
	ErrInvalidPageSize = errs.New(errs.InvalidArgument, "INVALID_PAGE_SIZE", "page_size 应为 1 到 1000 的整数")
)

// paging reads page (from 1) and page_size (1–1000). The page is parsed as a small
// number and bounded with the size, so the offset it makes is always in range.
func paging(q url.Values, defaultSize int) (pageNo, size int, err error) {
	pageNo, size = 1, defaultSize
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 || n > maxPageSize {
			return 0, 0, ErrInvalidPageSize
		}
		size = int(n)
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 || n > maxOffset || (n-1)*int64(size) > maxOffset {
			return 0, 0, ErrInvalidPage
		}
		pageNo = int(n)
	}
	return pageNo, size, nil
}
