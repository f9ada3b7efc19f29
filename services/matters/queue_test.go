package matters

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// queue reads a work queue over HTTP, following every page, as sub.
func (h *harness) queue(sub, tenant string, q url.Values) []string {
	h.t.Helper()
	var names []string
	for {
		code, body := h.get(sub, "/v1/tenants/"+tenant+"/queue?"+q.Encode())
		require.Equal(h.t, http.StatusOK, code, string(body))
		var resp mattersv1.ListQueueResponse
		require.NoError(h.t, protojson.Unmarshal(body, &resp))
		for _, a := range resp.GetApplications() {
			names = append(names, a.GetName())
		}
		if resp.GetNextPageToken() == "" {
			return names
		}
		q.Set("pageToken", resp.GetNextPageToken())
	}
}

// The window queue views — mine, my window, my department, my tenant's subtree — list
// open applications green channel first, then earliest deadline first, so the overdue
// lead, page by page; a
// community clerk sees the community's queue and not the district's.
func TestQueueViews(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		file := func(at time.Time, a *mattersv1.Application) *mattersv1.Application {
			h.clock.Set(at)
			return h.submit(a)
		}
		d1 := startUp(allStartUpMaterials...)
		d1.Window = "1号窗口"
		first := file(cst(2025, time.September, 10, 10), d1) // due end of Thu 11
		building := file(cst(2025, time.September, 10, 11), &mattersv1.Application{Matter: "matters/SHTZ-FWJS", Channel: mattersv1.Channel_CHANNEL_WINDOW,
			Window: "2号窗口", Applicant: &mattersv1.Applicant{Name: "示例置业有限公司"}})
		second := file(cst(2025, time.September, 11, 10), startUp(allStartUpMaterials...)) // due end of Fri 12
		second, err := h.client.AssignApplication(h.as(hallClerk), &mattersv1.AssignApplicationRequest{Name: second.GetName(), Etag: second.GetEtag(),
			Handler: "u-hall-clerk-2", Window: "1号窗口"})
		require.NoError(t, err)
		h.clock.Set(cst(2025, time.September, 11, 12))
		resident := h.employment() // due end of Tue 16
		done := file(cst(2025, time.September, 11, 13), startUp(allStartUpMaterials...))
		done, err = h.client.AcceptApplication(h.as(hallClerk), &mattersv1.AcceptApplicationRequest{Name: done.GetName(), Etag: done.GetEtag()})
		require.NoError(t, err)
		for step := range int32(2) {
			done, err = h.client.CompleteStep(h.as(hallClerk), &mattersv1.CompleteStepRequest{Name: done.GetName(), Etag: done.GetEtag(), Step: step, Result: "办结"})
			require.NoError(t, err)
		}
		green := startUp(allStartUpMaterials...)
		green.GreenChannel = true
		priority := file(cst(2025, time.September, 12, 10), green) // due later, but on the green channel
		h.clock.Set(cst(2025, time.September, 15, 9))              // first and second are overdue

		all := []string{priority.GetName(), first.GetName(), second.GetName(), resident.GetName(), building.GetName()}
		require.Equal(t, all, h.queue(hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_TENANT"}, "pageSize": {"1"}}))
		require.Equal(t, all[1:3], h.queue(hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_TENANT"}, "overdueOnly": {"true"}}))
		require.Equal(t, []string{priority.GetName(), first.GetName(), building.GetName()}, h.queue(hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_MINE"}}))
		require.Equal(t, []string{first.GetName(), second.GetName()}, h.queue(hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_WINDOW"}, "window": {"1号窗口"}}))
		require.Equal(t, []string{building.GetName()}, h.queue(hallClerk, district, url.Values{"scope": {"QUEUE_SCOPE_DEPARTMENT"}, "department": {"自然资源和住建办"}}))
		require.Equal(t, []string{resident.GetName()}, h.queue(communityClerk, community, url.Values{"scope": {"QUEUE_SCOPE_TENANT"}}))

		code, body := h.get(communityClerk, "/v1/tenants/ahz/queue?scope=QUEUE_SCOPE_TENANT")
		require.Equal(t, http.StatusForbidden, code, string(body))
		code, body = h.get(hallClerk, "/v1/tenants/ahz/queue")
		require.Equal(t, http.StatusBadRequest, code, string(body))
		require.Equal(t, "INVALID_SCOPE", apptest.StableCode(body), string(body))

		// ListApplications filters: by matter, by handler, green channel only.
		list := func(q url.Values) []string {
			code, body := h.get(hallClerk, "/v1/tenants/ahz/applications?"+q.Encode())
			require.Equal(t, http.StatusOK, code, string(body))
			var resp mattersv1.ListApplicationsResponse
			require.NoError(t, protojson.Unmarshal(body, &resp))
			var out []string
			for _, a := range resp.GetApplications() {
				out = append(out, a.GetName())
			}
			return out
		}
		require.Equal(t, []string{first.GetName(), second.GetName(), done.GetName(), priority.GetName()}, list(url.Values{"matter": {"matters/QYKB"}}))
		require.Equal(t, []string{second.GetName()}, list(url.Values{"handler": {"u-hall-clerk-2"}}))
		require.Equal(t, []string{priority.GetName()}, list(url.Values{"greenChannel": {"true"}}))
	})
}
