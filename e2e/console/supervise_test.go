package console

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// The street both the supervisor and the tenant administrator are appointed at: the
// clerk's community is below it, the other street is not.
const (
	street      = "ahz.s01"
	otherStreet = "ahz.s02"
)

// superviseAndAdminister runs after the clerk completed the application and the handler
// closed the ticket: a supervisor of the street sees both in the board's figures, drills
// down from a row to the records and reads the application's audit trail with its chain
// verified; a tenant administrator of the street views the tree, creates an account in
// the street and is refused, with the code shown, one in another street; changes the
// street's SLA limit, is shown an invalid one's field and code, and is refused another
// street's settings.
func superviseAndAdminister(t *testing.T, p *platform, browser, admin context.Context, s seeded) {
	token := accessToken(t, admin)
	for _, u := range []struct{ username, name, role string }{
		{"supervisor01", "周督办", "supervisor"},
		{"streetadmin", "吴管理", "tenant_admin"},
	} {
		var user struct{ Name string }
		p.api(t, token, http.MethodPost, "/api/identity/v1/tenants/"+street+"/users",
			map[string]any{"user": map[string]any{"username": u.username, "displayName": u.name, "kind": "staff"}, "password": staffPass}, &user)
		p.api(t, token, http.MethodPost, "/api/identity/v1/roles:grant", map[string]any{"tenant": "tenants/" + street, "subject": user.Name, "role": u.role}, nil)
	}
	appID, ticketID := idOf(s.app), idOf(s.ticket)

	t.Run("supervisor", func(t *testing.T) {
		sv := person(t, browser)
		signIn(t, sv, p.base, "supervisor01", staffPass, newStaff)
		do(t, sv, chromedp.Navigate(p.base+"/supervisor/board"))
		// The completed application and the closed ticket are in the figures.
		waitFor(t, sv, `document.querySelector("[data-testid=figure-completed] .ant-statistic-content-value")?.innerText ?? ""`, "1")
		waitFor(t, sv, `document.querySelector("[data-testid=figure-closed] .ant-statistic-content-value")?.innerText ?? ""`, "1")
		waitText(t, sv, community, true)
		waitIdle(t, sv)
		checkAccessibility(t, sv, "督办看板")
		screenshot(t, sv, "supervisor-board", 1366, 1100)

		// From the row of the community to its completed applications, then the trail.
		do(t, sv, click(`//a[@aria-label="查看办件：`+community+`"]`))
		waitText(t, sv, appID, true)
		waitIdle(t, sv)
		checkAccessibility(t, sv, "督办明细")
		do(t, sv, click(`//a[@aria-label="审计轨迹：`+appID+`"]`))
		waitText(t, sv, "matters.SubmitApplication", true)
		do(t, sv, click(button("校验审计链")))
		waitFor(t, sv, `document.querySelector("[data-testid=chain-result]")?.classList.contains("ant-alert-success") ? "ok" : ""`, "ok")
		waitText(t, sv, "审计链完整", true)
		checkAccessibility(t, sv, "审计轨迹")
		screenshot(t, sv, "supervisor-audit", 1366, 900)

		// From the tickets' row to the community's tickets: the closed one is there.
		do(t, sv, chromedp.Navigate(p.base+"/supervisor/board"))
		do(t, sv, click(`//a[@aria-label="查看工单：`+community+`"]`))
		waitText(t, sv, ticketID, true)
	})

	t.Run("administrator", func(t *testing.T) {
		ad := person(t, browser)
		signIn(t, ad, p.base, "streetadmin", staffPass, newStaff)
		do(t, ad, chromedp.Navigate(p.base+"/admin/tenants"))
		waitText(t, ad, "第一街道第01社区服务站", true)
		waitText(t, ad, "第二街道便民服务中心", false) // another street is not in the tree
		waitIdle(t, ad)
		checkAccessibility(t, ad, "单位管理")
		screenshot(t, ad, "admin-tenants", 1366, 900)

		// A previewed change: nothing is sent until the preview is confirmed.
		do(t, ad, click(`//span[contains(@class,"ant-tree-title") and contains(normalize-space(.), "`+community+`")]`))
		waitText(t, ad, "修改单位", true)
		eval[any](t, ad, `(() => { const el = document.querySelector("#edit_displayName"); el.focus(); el.setSelectionRange(el.value.length, el.value.length); return 0; })()`)
		do(t, ad, chromedp.KeyEvent("（试点）"), click(button("预览变更")))
		waitText(t, ad, "第一街道第01社区服务站（试点）", true)
		screenshot(t, ad, "admin-tenant-preview", 1366, 900)
		do(t, ad, click(inDialog("应用变更")))
		waitText(t, ad, "变更已应用", true)

		do(t, ad, chromedp.Navigate(p.base+"/admin/users"))
		waitIdle(t, ad)
		checkAccessibility(t, ad, "人员与授权")
		newUser := func(tenant, username string) {
			do(t, ad, click(button("新建账号")), chromedp.WaitVisible(chromedp.CSS("#newUser_username")))
			eval[any](t, ad, `(() => { const el = document.querySelector("#newUser_tenant"); el.focus(); el.select(); return 0; })()`)
			do(t, ad,
				chromedp.KeyEvent(tenant),
				chromedp.SendKeys(chromedp.CSS("#newUser_username"), username),
				chromedp.SendKeys(chromedp.CSS("#newUser_displayName"), "钱窗口"),
				chromedp.SendKeys(chromedp.CSS("#newUser_password"), staffPass),
				click(inDialog("创建")),
			)
		}
		newUser(street+".c03", "clerk03")
		waitText(t, ad, "已新建账号 clerk03", true)
		screenshot(t, ad, "admin-users", 1366, 900)

		newUser(otherStreet+".c01", "clerk04")
		waitText(t, ad, "错误码 PERMISSION_DENIED", true)

		// The street's own SLA limit: an invalid value is refused with its field and code
		// and changes nothing; a valid one is in force at once; another street is refused.
		do(t, ad, chromedp.Navigate(p.base+"/admin/settings"))
		waitText(t, ad, "生效设置（"+street+"）", true)
		waitText(t, ad, `"max_extension_days": 10`, true)
		waitIdle(t, ad)
		checkAccessibility(t, ad, "业务设置")
		replace := func(id, text string) {
			eval[any](t, ad, `(() => { const el = document.querySelector("#`+id+`"); el.focus(); el.select(); return 0; })()`)
			do(t, ad, chromedp.KeyEvent(text))
		}
		closeLimit := `(() => { try { return String(JSON.parse(document.querySelector("[data-testid=settings-effective]").innerText).categories.general.close.n) } catch { return "" } })()`
		waitFor(t, ad, closeLimit, "3")
		// A category's SLA is given whole: a map's entry replaces the inherited one.
		sla := func(closeDays int) string {
			return `{"categories":{"general":{"response":{"n":0,"unit":"working_days"},"close":{"n":` + strconv.Itoa(closeDays) +
				`,"unit":"working_days"},"explain":{"n":3,"unit":"working_days"},"hard_close":{"n":15,"unit":"working_days"}}}}`
		}
		replace("settings_override", sla(-1))
		do(t, ad, click(button("保存设置")))
		waitText(t, ad, "CALENDAR_DURATION_INVALID", true)
		waitText(t, ad, "override.categories.general.close", true)
		waitIdle(t, ad)
		checkAccessibility(t, ad, "业务设置（校验未通过）")
		screenshot(t, ad, "admin-settings-invalid", 1366, 900)
		waitFor(t, ad, closeLimit, "3")

		replace("settings_override", sla(5))
		do(t, ad, click(button("保存设置")))
		waitText(t, ad, "设置已保存", true)
		waitFor(t, ad, closeLimit, "5")
		var below struct {
			Effective struct {
				Categories map[string]struct{ Close struct{ N int } }
			}
		}
		p.api(t, accessToken(t, ad), http.MethodGet, "/api/tickets/v1/tenants/"+community+"/settings", nil, &below)
		require.Equal(t, 5, below.Effective.Categories["general"].Close.N, "the community below inherits the street's limit")
		screenshot(t, ad, "admin-settings", 1366, 900)

		replace("settings_tenant", otherStreet)
		do(t, ad, chromedp.KeyEvent(kb.Enter))
		waitText(t, ad, "生效设置（"+street+"）", false)
		waitFor(t, ad, `document.querySelector("[data-testid=error-code]")?.innerText ?? ""`, "错误码 PERMISSION_DENIED")
		status, _ := p.call(t, accessToken(t, ad), http.MethodPatch, "/api/tickets/v1/tenants/"+otherStreet+"/settings",
			map[string]any{"override": map[string]any{"max_extension_days": 20}})
		require.Equal(t, http.StatusForbidden, status, "another street's settings are out of reach")

		// The working-day calendar, read-only: 国庆节 marked in October 2026.
		do(t, ad, chromedp.Navigate(p.base+"/admin/calendar?year=2026"))
		waitText(t, ad, "2026年10月", true)
		waitText(t, ad, "gaoxing calendar load", true)
		waitFor(t, ad, `(() => { const d = document.querySelector("[data-testid=month-10] td[data-date='2026-10-01']"); return d ? d.dataset.kind + " " + d.textContent.includes("国庆节") : "" })()`,
			"DAY_KIND_HOLIDAY true")
		waitFor(t, ad, `document.querySelector("[data-testid=month-10] td[data-date='2026-10-10']")?.dataset.kind ?? ""`, "DAY_KIND_ADJUSTED_WORKING")
		waitText(t, ad, "国庆节：10月1日至10月7日放假，共 7 天", true)
		waitIdle(t, ad)
		checkAccessibility(t, ad, "工作日历")
		screenshot(t, ad, "admin-calendar", 1366, 900)
	})
}
