package console

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// The demonstration register's first enterprise (loaded by stewardship on first start).
const (
	demoEnterpriseTenant = "ahz.s01.c11"
	demoEnterpriseCode   = "91510100MA0000001L"
	demoEnterpriseName   = "成都高新金沙岷江信息技术有限公司"
)

// seedPeople makes accounts with a role at a tenant, as the administrator does through
// identity's API.
func seedPeople(t *testing.T, p *platform, admin string, people []struct{ tenant, username, name, role string }) {
	t.Helper()
	for _, u := range people {
		var user struct{ Name string }
		p.api(t, admin, http.MethodPost, "/api/identity/v1/tenants/"+u.tenant+"/users",
			map[string]any{"user": map[string]any{"username": u.username, "displayName": u.name, "kind": "staff"}, "password": staffPass}, &user)
		p.api(t, admin, http.MethodPost, "/api/identity/v1/roles:grant", map[string]any{"tenant": "tenants/" + u.tenant, "subject": user.Name, "role": u.role}, nil)
	}
}

// typeInto types text into the input with the id (React sees keystrokes, not a set value).
func typeInto(id, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS("#"+id)),
		chromedp.SendKeys(chromedp.CSS("#"+id), text),
	)
}

// TestDomainPages is the legal-aid and stewardship pages in a browser against a fresh
// `gaoxing up`: a steward opens an enterprise's 360° view and raises a problem that
// becomes a ticket (and opens it), and reads the arrears ledger; a legal coordinator takes a case in
// (the credit code checked as typed) and sees its registration countdown; a community's
// window clerk is refused the cases; axe-core finds no serious violation on these pages.
func TestDomainPages(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	p := startPlatform(t, t.TempDir(), "127.0.0.1:0")
	require.NotEmpty(t, p.adminPassword, "the first start prints the administrator's password")
	browser := startBrowser(t)

	admin := person(t, browser)
	signIn(t, admin, p.base, "admin", p.adminPassword, newAdmin)
	waitText(t, admin, "您好", true)
	seedPeople(t, p, accessToken(t, admin), []struct{ tenant, username, name, role string }{
		{"ahz", "steward01", "周管家", "steward"},
		{"ahz", "legal01", "吴协调", "legal_coordinator"},
		{community, "clerk03", "孙窗口", "window_clerk"},
	})

	t.Run("steward", func(t *testing.T) {
		steward := person(t, browser)
		signIn(t, steward, p.base, "steward01", staffPass, newStaff)

		do(t, steward, chromedp.Navigate(p.base+"/stewardship/enterprises"))
		waitText(t, steward, "统一社会信用代码", true)
		waitIdle(t, steward)
		checkAccessibility(t, steward, "企业名录")
		screenshot(t, steward, "enterprises", 1366, 900)

		do(t, steward, chromedp.Navigate(p.base+"/stewardship/enterprises/"+demoEnterpriseTenant+"/"+demoEnterpriseCode))
		waitText(t, steward, demoEnterpriseName, true)
		waitText(t, steward, "企业 360° 视图", true)
		waitFor(t, steward, `document.querySelector("[data-testid=part-tickets]") ? "yes" : ""`, "yes")
		waitIdle(t, steward)
		text := eval[string](t, steward, `document.body.innerText`)
		require.NotContains(t, text, "暂不可用", "every peer is up")
		checkAccessibility(t, steward, "企业 360°")
		screenshot(t, steward, "enterprise360", 1366, 900)

		// A problem raised on the enterprise, then turned into a ticket.
		do(t, steward, click(button("登记问题诉求")),
			typeInto("title", "厂区门前道路积水"),
			typeInto("description", "雨后厂区门前道路积水严重，货车进出困难。"),
			typeInto("ownerDepartment", "公园城市局"),
			click(inDialog("提交")))
		waitText(t, steward, "问题已登记", true)
		waitFor(t, steward, `(document.querySelector("[data-testid=problem-state]") || {}).innerText || ""`, "待处理")
		do(t, steward, click(button("转为工单")), click(inDialog("确定")))
		waitFor(t, steward, `(document.querySelector("[data-testid=problem-state]") || {}).innerText || ""`, "已转工单")
		waitText(t, steward, "工单 ", true)
		// The problem links to its ticket, which the steward opens.
		do(t, steward, click(`//a[starts-with(normalize-space(.), "工单 ")]`))
		waitText(t, steward, "厂区门前道路积水", true)
		waitFor(t, steward, `document.querySelector("[data-testid=ticket-state]") ? "yes" : ""`, "yes")

		do(t, steward, chromedp.Navigate(p.base+"/stewardship/arrears"))
		waitText(t, steward, "合计", true)
		waitFor(t, steward, `document.querySelector("[role=img] canvas") ? "yes" : ""`, "yes") // the ageing chart drew
		waitIdle(t, steward)
		checkAccessibility(t, steward, "拖欠账款台账")
		screenshot(t, steward, "arrears", 1366, 900)
	})

	var caseID string
	t.Run("legal coordinator", func(t *testing.T) {
		legal := person(t, browser)
		signIn(t, legal, p.base, "legal01", staffPass, newStaff)
		do(t, legal, chromedp.Navigate(p.base+"/legal/intake"))
		waitText(t, legal, "困难情况", true)
		// A mistyped check character is caught as typed, before anything is sent.
		do(t, legal, typeInto("applicantCode", "91510100MA0000001X"), typeInto("applicantName", demoEnterpriseName))
		waitText(t, legal, "校验码不符", true)
		do(t, legal,
			typeInto("applicantCode", kb.Backspace+"L"), // the right check character
			typeInto("counterparties_0_name", "某建设工程有限公司"),
			typeInto("claimAmount", "1250000.00"),
			typeInto("claims", "请求支付拖欠的设备款及逾期利息。"),
			typeInto("revenueDrop", "45"),
		)
		waitText(t, legal, "校验码不符", false)
		checkAccessibility(t, legal, "案件受理")
		screenshot(t, legal, "case-intake", 1366, 900)
		do(t, legal, click(button("受理")))
		waitFor(t, legal, `document.querySelector("[data-testid=case-state]") ? document.querySelector("[data-testid=case-state]").innerText : ""`, "已受理")
		countdown := eval[string](t, legal, `document.querySelector("[data-testid=registration-countdown]").innerText`)
		require.True(t, strings.HasPrefix(countdown, "剩余") || strings.HasPrefix(countdown, "已超期"), "registration countdown: %q", countdown)
		caseID = eval[string](t, legal, `location.pathname.split("/").pop()`)
		require.True(t, strings.HasPrefix(caseID, "L-"), caseID)
		waitText(t, legal, "¥1,250,000.00", true)
		waitIdle(t, legal)
		checkAccessibility(t, legal, "案件详情")
		screenshot(t, legal, "case", 1366, 900)

		do(t, legal, chromedp.Navigate(p.base+"/legal/cases"))
		waitText(t, legal, caseID, true)
		waitIdle(t, legal)
		checkAccessibility(t, legal, "涉企案件")
		screenshot(t, legal, "cases", 1366, 900)
	})

	t.Run("a community clerk sees no cases", func(t *testing.T) {
		require.NotEmpty(t, caseID)
		clerk := person(t, browser)
		signIn(t, clerk, p.base, "clerk03", staffPass, newStaff)
		do(t, clerk, chromedp.Navigate(p.base+"/legal/cases"))
		waitText(t, clerk, "错误码", true)
		text := eval[string](t, clerk, `document.body.innerText`)
		require.NotContains(t, text, caseID)
		require.NotContains(t, text, demoEnterpriseName)
		do(t, clerk, chromedp.Navigate(p.base+"/legal/cases/ahz/"+caseID))
		waitText(t, clerk, "错误码", true)
		require.NotContains(t, eval[string](t, clerk, `document.body.innerText`), "诉讼请求")
	})
}
