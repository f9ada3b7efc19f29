package console

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
)

// TestConsoleOps is the operator's view in a browser against a fresh `gaoxing up` with
// Jaeger and Prometheus (the chart's alerting rules loaded): an operator created by the
// administrator opens the RED page and finds the calls the test just made, searches their
// traces and opens one as a waterfall with a span's attributes; a window clerk is refused
// the ops pages and routes with the stable code; axe-core finds no serious violation.
func TestConsoleOps(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	for _, tool := range []string{"jaeger", "prometheus"} {
		_, err := infra.Binary(tool)
		requireOrSkip(t, err == nil, "no %s binary (make tools): %v", tool, err)
	}
	rules := filepath.Join(repoRoot(t), "charts", "gaoxing", "alerts", "gaoxing.rules.yaml")
	p := startPlatform(t, t.TempDir(), "127.0.0.1:0", "--alert-rules", rules, "--scrape-interval", "2s")
	require.NotEmpty(t, p.adminPassword, "the first start prints the administrator's password")
	browser := startBrowser(t)

	admin := person(t, browser)
	signIn(t, admin, p.base, "admin", p.adminPassword, newAdmin)
	waitText(t, admin, "您好", true)
	adminToken := accessToken(t, admin)
	// The clerks, and applications whose materials matters checks with documents: traces
	// across services.
	seed(t, p, adminToken)
	var user struct{ Name string }
	p.api(t, adminToken, http.MethodPost, "/api/identity/v1/tenants/ahz/users",
		map[string]any{"user": map[string]any{"username": "ops01", "displayName": "孙运维", "kind": "staff"}, "password": staffPass}, &user)
	p.api(t, adminToken, http.MethodPost, "/api/identity/v1/roles:grant", map[string]any{"tenant": "tenants/ahz", "subject": user.Name, "role": "ops"}, nil)
	// The calls the operator will look for: the catalogue, read.
	readCatalogue := func(n int) {
		for range n {
			p.api(t, adminToken, http.MethodGet, "/api/matters/v1/matters", nil, nil)
		}
	}
	readCatalogue(3)

	t.Run("operator", func(t *testing.T) {
		op := person(t, browser)
		signIn(t, op, p.base, "ops01", staffPass, newStaff)
		// The operator's menu has the ops pages, and no one's casework.
		opsMenu := `document.querySelector("nav[aria-label='主菜单']").innerText`
		require.Eventually(t, func() bool { return strings.Contains(peek[string](op, opsMenu), "链路查询") }, 30*time.Second, 100*time.Millisecond)
		require.NotContains(t, eval[string](t, op, opsMenu), "办件队列")

		// RED narrowed to the catalogue's reads: their line appears once Prometheus has
		// scraped them; calls made after that raise its rate above zero (a rate is the
		// increase between samples).
		red := p.base + "/ops/red?service=matters&method=ListMatters&window=15m"
		do(t, op, chromedp.Navigate(red))
		waitPanel(t, op, red, "red.method_rate", func(s string) bool { return strings.Contains(s, "matters.ListMatters") })
		readCatalogue(20)
		waitPanel(t, op, red, "red.method_rate", func(s string) bool {
			return strings.Contains(s, "matters.ListMatters") && !strings.Contains(s, "：0 次/秒")
		})
		waitIdle(t, op)
		checkAccessibility(t, op, "服务调用")
		screenshot(t, op, "ops-red", 1366, 1100)

		// The line's link is the trace search, filled in and run.
		do(t, op, click(`//ul[@data-testid="series-red.method_rate"]//a[normalize-space(.)="matters.ListMatters"]`))
		waitFor(t, op, `location.pathname`, "/ops/traces")
		require.Eventually(t, func() bool {
			if peek[string](op, `document.querySelector("[data-testid=trace-results] a[href^='/ops/traces/']") ? "yes" : ""`) == "yes" {
				return true
			}
			_, _ = chromedp.Run(op, chromedp.Reload()) // Jaeger takes the spans a moment after the calls
			return false
		}, time.Minute, time.Second, "no trace of matters.ListMatters found")
		waitText(t, op, "matters.ListMatters", true)
		waitIdle(t, op)
		checkAccessibility(t, op, "链路查询")
		screenshot(t, op, "ops-traces", 1366, 900)

		// One trace as a waterfall; a span's attributes on click. An application's
		// submission: matters, its SQL, and documents over gRPC for its materials.
		do(t, op, chromedp.Navigate(p.base+"/ops/traces?service=matters&operation=matters.SubmitApplication"))
		waitFor(t, op, `document.querySelector("[data-testid=trace-results] a[href^='/ops/traces/']") ? "yes" : ""`, "yes")
		do(t, op, click(`(//div[@data-testid="trace-results"]//a[starts-with(@href, "/ops/traces/")])[1]`))
		waitFor(t, op, `document.querySelectorAll("[data-testid=waterfall] [role=listitem]").length > 0 ? "yes" : ""`, "yes")
		waitText(t, op, "documents", true) // the legend: a second service in the trace
		waitIdle(t, op)
		checkAccessibility(t, op, "链路详情")
		screenshot(t, op, "ops-trace", 1366, 900)
		do(t, op, click(`(//div[@data-testid="waterfall"]//button)[last()]`))
		waitFor(t, op, `document.querySelector("[data-testid=span-attributes]") ? "yes" : ""`, "yes")
		waitText(t, op, "gaoxing.service", true)
		checkAccessibility(t, op, "跨度属性")
		screenshot(t, op, "ops-span", 1366, 900)

		for _, page := range []struct{ path, title, shot string }{
			{"/ops/sla?window=15m", "时限监控", "ops-sla"},
			{"/ops/platform?window=15m", "平台运行", "ops-platform"},
			{"/ops/alerts", "告警", "ops-alerts"},
		} {
			do(t, op, chromedp.Navigate(p.base+page.path))
			waitFor(t, op, `document.querySelector(".ant-card") ? "yes" : ""`, "yes")
			waitIdle(t, op)
			text := eval[string](t, op, `document.body.innerText`)
			require.NotContains(t, text, "错误码", page.path)
			require.NotContains(t, text, "未配置", page.path)
			checkAccessibility(t, op, page.title)
			screenshot(t, op, page.shot, 1366, 1100)
		}
		waitText(t, op, "GaoxingServerErrors", true) // the chart's rules, loaded and listed
	})

	t.Run("a window clerk is refused", func(t *testing.T) {
		clerk := person(t, browser)
		signIn(t, clerk, p.base, "clerk01", staffPass, newStaff)
		// The menu shows the clerk's work and none of the operator's pages (identity's
		// CheckAccess); the addresses are still refused by the service below.
		menu := `document.querySelector("nav[aria-label='主菜单']").innerText`
		require.Eventually(t, func() bool { return strings.Contains(peek[string](clerk, menu), "办件队列") }, 30*time.Second, 100*time.Millisecond)
		require.NotContains(t, eval[string](t, clerk, menu), "运维监控")
		require.NotContains(t, eval[string](t, clerk, menu), "系统管理")
		for _, path := range []string{"/ops/red", "/ops/traces?service=matters", "/ops/alerts"} {
			do(t, clerk, chromedp.Navigate(p.base+path))
			waitText(t, clerk, "错误码 PERMISSION_DENIED", true)
		}
		token := accessToken(t, clerk)
		for _, path := range []string{"/api/console/v1/ops/traces?service=matters", "/api/console/v1/ops/panels/red.rate/series", "/api/console/v1/ops/alerts"} {
			status, body := p.call(t, token, http.MethodGet, path, nil)
			require.Equal(t, http.StatusForbidden, status, path)
			var e struct{ Error struct{ Code string } }
			require.NoError(t, json.Unmarshal(body, &e))
			require.Equal(t, "PERMISSION_DENIED", e.Error.Code, path)
		}
	})
}

// waitPanel waits until a panel's list of lines (names and latest values) is what ok
// wants, reloading the page while the metrics store has not yet scraped what the test did.
func waitPanel(t *testing.T, ctx context.Context, url, panel string, ok func(string) bool) {
	t.Helper()
	script := `(() => { const el = document.querySelector("[data-testid='series-` + panel + `']"); return el ? el.innerText : ""; })()`
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for range 40 {
			if ok(peek[string](ctx, script)) {
				return
			}
			time.Sleep(250 * time.Millisecond) // polling the page
		}
		do(t, ctx, chromedp.Navigate(url))
	}
	t.Fatalf("panel %s never showed what the test waits for; page:\n%s", panel, peek[string](ctx, `document.body.innerText`))
}
