package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// The ops pages read traces from Jaeger's query API and metrics and alerts from
// Prometheus's HTTP API. Neither is for browsers: they listen on other ports and ask for
// no credentials. So the console's own routes stand in front of them, behind the kit's
// chain (a signed-in caller allowed to read ops.telemetry: operators and platform
// administrators), and pass on only the few queries the pages make, each checked and
// bounded here: no other upstream path, no PromQL from the browser (a chart is named
// and narrowed by exact label values), a bounded window, result count and answer size.

// Upstreams are where the ops pages' data is.
type Upstreams struct {
	Jaeger     string // base URL of Jaeger's query API (/api/traces); "" not configured
	Prometheus string // base URL of Prometheus's HTTP API (/api/v1/query); "" not configured
}

// Configured reports whether either store is configured.
func (u Upstreams) Configured() bool { return u.Jaeger != "" || u.Prometheus != "" }

// The bounds of a query from the ops pages.
const (
	// MaxWindow is the longest time window a trace search or a chart covers.
	MaxWindow = 7 * 24 * time.Hour
	// DefaultWindow is the window when the caller names none.
	DefaultWindow = time.Hour
	// MaxTraces is the most traces one search returns; DefaultTraces when unsaid.
	MaxTraces     = 100
	DefaultTraces = 20
	// MaxPoints is the most points one series of a chart has (the step grows with the
	// window).
	MaxPoints = 720
	// MaxMinDuration is the longest "slower than" a trace search takes.
	MaxMinDuration = time.Hour
	// maxAnswer is the largest answer passed on from a store.
	maxAnswer = 16 << 20
	// upstreamTimeout bounds one call of a store.
	upstreamTimeout = 20 * time.Second
)

// TelemetryObject is the permission the ops routes take (read): the ops role and
// platform administrators have it.
const TelemetryObject = "ops.telemetry"

// The ops routes' own failures.
var (
	ErrNotConfigured = errs.New(errs.FailedPrecondition, "OPS_NOT_CONFIGURED", "未配置链路追踪或指标存储的地址")
	ErrUpstream      = errs.New(errs.Unavailable, "OPS_UPSTREAM_UNAVAILABLE", "链路追踪或指标存储暂不可用，请稍后重试")
	ErrBadQuery      = errs.New(errs.InvalidArgument, "OPS_QUERY_INVALID", "查询条件不正确")
	ErrNoPanel       = errs.New(errs.NotFound, "OPS_PANEL_NOT_FOUND", "没有这个图表")
	ErrNoTrace       = errs.New(errs.NotFound, "OPS_TRACE_NOT_FOUND", "没有找到这条链路")
)

// ops serves the ops routes.
type ops struct {
	upstreams func() Upstreams
	client    *http.Client
	panels    map[string]Panel
	list      []Panel
	now       func() time.Time
}

// RegisterOps adds the ops routes to k (under /api/console/v1/ops/). upstreams is asked
// at every call: the launcher learns the stores' addresses after the console starts.
func RegisterOps(k *kit.Service, upstreams func() Upstreams) {
	o := &ops{
		upstreams: upstreams,
		client:    &http.Client{Timeout: upstreamTimeout},
		panels:    map[string]Panel{},
		list:      Panels(),
		now:       time.Now,
	}
	for _, p := range o.list {
		o.panels[p.ID] = p
	}
	read := kit.Rule{Object: TelemetryObject, Action: "read", PlatformWide: true}
	noTenant := kit.TenantFrom(func(*http.Request) string { return "" })
	for _, r := range []struct {
		pattern, name string
		h             kit.RouteFunc
	}{
		{"GET /v1/ops/status", "GetOpsStatus", o.status},
		{"GET /v1/ops/panels", "ListOpsPanels", o.listPanels},
		{"GET /v1/ops/panels/{panel}/series", "QueryPanelSeries", o.series},
		{"GET /v1/ops/panels/{panel}/values", "QueryPanelValues", o.values},
		{"GET /v1/ops/alerts", "ListAlerts", o.alerts},
		{"GET /v1/ops/rules", "ListAlertRules", o.rules},
		{"GET /v1/ops/services", "ListTraceServices", o.services},
		{"GET /v1/ops/services/{service}/operations", "ListTraceOperations", o.operations},
		{"GET /v1/ops/traces", "SearchTraces", o.searchTraces},
		{"GET /v1/ops/traces/{trace}", "GetTrace", o.trace},
	} {
		k.Route(r.pattern, r.name, read, r.h, noTenant)
	}
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(v)
}

// status says which stores are configured, so that the pages say "not configured"
// instead of failing.
func (o *ops) status(w http.ResponseWriter, _ *http.Request) error {
	u := o.upstreams()
	return writeJSON(w, map[string]bool{"jaeger": u.Jaeger != "", "prometheus": u.Prometheus != ""})
}

func (o *ops) listPanels(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, map[string]any{"panels": o.list})
}

// window reads start and end (RFC 3339 or Unix seconds); unsaid, the last DefaultWindow.
func (o *ops) window(q url.Values) (start, end time.Time, err error) {
	end = o.now()
	if s := q.Get("end"); s != "" {
		if end, err = parseTime(s); err != nil {
			return start, end, ErrBadQuery.WithField("end", "INVALID", "结束时间格式不正确")
		}
	}
	start = end.Add(-DefaultWindow)
	if s := q.Get("start"); s != "" {
		if start, err = parseTime(s); err != nil {
			return start, end, ErrBadQuery.WithField("start", "INVALID", "开始时间格式不正确")
		}
	}
	switch {
	case !start.Before(end):
		return start, end, ErrBadQuery.WithField("start", "INVALID", "开始时间须早于结束时间")
	case end.Sub(start) > MaxWindow:
		return start, end, ErrBadQuery.WithField("start", "TOO_LONG", "时间范围最长 7 天")
	}
	return start, end, nil
}

func parseTime(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.UnixMilli(int64(f * 1000)), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// narrowing reads the label values a chart is narrowed by.
func narrowing(q url.Values) (map[string]string, error) {
	values := map[string]string{}
	for _, v := range variables {
		s := q.Get(v)
		if s == "" {
			continue
		}
		if !labelValue.MatchString(s) {
			return nil, ErrBadQuery.WithField(v, "INVALID", "只能是服务名、方法名或租户编号")
		}
		values[v] = s
	}
	return values, nil
}

func (o *ops) panel(r *http.Request) (Panel, map[string]string, error) {
	p, ok := o.panels[r.PathValue("panel")]
	if !ok {
		return p, nil, ErrNoPanel
	}
	values, err := narrowing(r.URL.Query())
	return p, values, err
}

// series is each of a panel's queries over a window (Prometheus query_range), one
// answer per query in the panel's order.
func (o *ops) series(w http.ResponseWriter, r *http.Request) error {
	p, values, err := o.panel(r)
	if err != nil {
		return err
	}
	start, end, err := o.window(r.URL.Query())
	if err != nil {
		return err
	}
	step := max(end.Sub(start)/MaxPoints, 15*time.Second).Truncate(time.Second)
	results := make([]json.RawMessage, len(p.Queries))
	for i, q := range p.Queries {
		res, err := o.prometheus(r.Context(), "/api/v1/query_range", url.Values{
			"query": {expand(q.Expr, values)},
			"start": {unix(start)}, "end": {unix(end)}, "step": {strconv.Itoa(int(step.Seconds()))},
		})
		if err != nil {
			return err
		}
		results[i] = res
	}
	return writeJSON(w, map[string]any{"panel": p.ID, "start": start, "end": end, "step": step.Seconds(), "results": results})
}

// values is each of a panel's queries now (Prometheus query).
func (o *ops) values(w http.ResponseWriter, r *http.Request) error {
	p, values, err := o.panel(r)
	if err != nil {
		return err
	}
	results := make([]json.RawMessage, len(p.Queries))
	for i, q := range p.Queries {
		res, err := o.prometheus(r.Context(), "/api/v1/query", url.Values{"query": {expand(q.Expr, values)}})
		if err != nil {
			return err
		}
		results[i] = res
	}
	return writeJSON(w, map[string]any{"panel": p.ID, "results": results})
}

func (o *ops) alerts(w http.ResponseWriter, r *http.Request) error {
	res, err := o.prometheus(r.Context(), "/api/v1/alerts", nil)
	if err != nil {
		return err
	}
	return writeJSON(w, res)
}

func (o *ops) rules(w http.ResponseWriter, r *http.Request) error {
	res, err := o.prometheus(r.Context(), "/api/v1/rules", url.Values{"type": {"alert"}})
	if err != nil {
		return err
	}
	return writeJSON(w, res)
}

func unix(t time.Time) string { return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64) }

// prometheus calls one of Prometheus's query endpoints and returns its "data".
func (o *ops) prometheus(ctx context.Context, path string, q url.Values) (json.RawMessage, error) {
	base := o.upstreams().Prometheus
	if base == "" {
		return nil, ErrNotConfigured.WithMessage("未配置指标存储（Prometheus）的地址")
	}
	var answer struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	status, err := o.get(ctx, base+path, q, &answer)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK || answer.Status != "success" {
		// A query of ours that Prometheus refuses is a bug here, not the caller's.
		return nil, ErrUpstream.Wrap(fmt.Errorf("prometheus %s: HTTP %d: %s", path, status, answer.Error))
	}
	return answer.Data, nil
}

// A service or operation name as Jaeger keeps them; a trace id in hex.
var (
	traceName = regexp.MustCompile(`^[A-Za-z0-9_.\-/ ]{1,200}$`)
	traceID   = regexp.MustCompile(`^[0-9a-f]{16}([0-9a-f]{16})?$`)
	errorCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)
)

func (o *ops) services(w http.ResponseWriter, r *http.Request) error {
	return o.jaeger(r.Context(), w, "/api/services", nil)
}

func (o *ops) operations(w http.ResponseWriter, r *http.Request) error {
	service := r.PathValue("service")
	if !traceName.MatchString(service) {
		return ErrBadQuery.WithField("service", "INVALID", "服务名不正确")
	}
	return o.jaeger(r.Context(), w, "/api/services/"+url.PathEscape(service)+"/operations", nil)
}

// searchTraces finds traces by service, operation, tenant, error code, failure and
// least duration within a window (Jaeger's /api/traces).
func (o *ops) searchTraces(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	service := q.Get("service")
	if !traceName.MatchString(service) {
		return ErrBadQuery.WithField("service", "REQUIRED", "请选择服务")
	}
	start, end, err := o.window(q)
	if err != nil {
		return err
	}
	up := url.Values{
		"service": {service},
		"start":   {strconv.FormatInt(start.UnixMicro(), 10)},
		"end":     {strconv.FormatInt(end.UnixMicro(), 10)},
		"limit":   {strconv.Itoa(DefaultTraces)},
	}
	if s := q.Get("operation"); s != "" {
		if !traceName.MatchString(s) {
			return ErrBadQuery.WithField("operation", "INVALID", "方法名不正确")
		}
		up.Set("operation", s)
	}
	tags := map[string]string{}
	if s := q.Get("tenant"); s != "" {
		if _, err := tenancy.Parse(s); err != nil {
			return ErrBadQuery.WithField("tenant", "INVALID", "租户编号不正确")
		}
		tags["gaoxing.tenant"] = s
	}
	if s := q.Get("errorCode"); s != "" {
		if !errorCode.MatchString(s) {
			return ErrBadQuery.WithField("errorCode", "INVALID", "错误码只能是大写字母、数字和下划线")
		}
		tags["gaoxing.error_code"] = s
	}
	if q.Get("error") == "true" {
		tags["error"] = "true"
	}
	if len(tags) > 0 {
		b, _ := json.Marshal(tags)
		up.Set("tags", string(b))
	}
	if s := q.Get("minDuration"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > MaxMinDuration {
			return ErrBadQuery.WithField("minDuration", "INVALID", "最短耗时须在 0 到 1 小时之间，例如 200ms")
		}
		up.Set("minDuration", d.String())
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxTraces {
			return ErrBadQuery.WithField("limit", "INVALID", "条数须在 1 到 100 之间")
		}
		up.Set("limit", strconv.Itoa(n))
	}
	return o.jaeger(r.Context(), w, "/api/traces", up)
}

func (o *ops) trace(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("trace")
	if !traceID.MatchString(id) {
		return ErrBadQuery.WithField("trace", "INVALID", "链路编号须是 16 或 32 位十六进制数")
	}
	return o.jaeger(r.Context(), w, "/api/traces/"+id, nil)
}

// jaeger calls one of Jaeger's query endpoints and passes its answer on.
func (o *ops) jaeger(ctx context.Context, w http.ResponseWriter, path string, q url.Values) error {
	base := o.upstreams().Jaeger
	if base == "" {
		return ErrNotConfigured.WithMessage("未配置链路追踪（Jaeger）的地址")
	}
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		} `json:"errors"`
	}
	status, err := o.get(ctx, base+path, q, &answer)
	if err != nil {
		return err
	}
	switch {
	case status == http.StatusNotFound && path != "/api/traces":
		return ErrNoTrace
	case status != http.StatusOK:
		return ErrUpstream.Wrap(fmt.Errorf("jaeger %s: HTTP %d: %v", path, status, answer.Errors))
	}
	if len(answer.Data) == 0 || string(answer.Data) == "null" {
		answer.Data = json.RawMessage("[]")
	}
	return writeJSON(w, map[string]json.RawMessage{"data": answer.Data})
}

// get calls a store and decodes its JSON answer into out (whatever its status).
func (o *ops) get(ctx context.Context, u string, q url.Values, out any) (int, error) {
	if q != nil {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, errs.ErrInternal.Wrap(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := o.client.Do(req)
	if err != nil {
		return 0, ErrUpstream.Wrap(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return 0, ErrUpstream.Wrap(err)
	}
	if len(body) > maxAnswer {
		return 0, errs.ErrTooLarge.WithMessage("结果过多，请缩小时间范围或增加筛选条件")
	}
	if err := json.Unmarshal(body, out); err != nil && resp.StatusCode == http.StatusOK {
		return 0, ErrUpstream.Wrap(fmt.Errorf("%s: %w", req.URL.Path, err))
	}
	return resp.StatusCode, nil
}
