package console

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// The tenants of the flows: two sibling communities of one street.
const (
	community = "ahz.s01.c01"
	sibling   = "ahz.s01.c02"
	staffPass = "Clerk-Secret-2026"
	newAdmin  = "Gx-Changed-2026!" // no user name inside: the policy refuses that
	newStaff  = "Gx-Renewed-2026!"
	matter    = "GLJT" // 高龄津贴申领: a citizen matter of two materials and two steps
)

// seeded is what the administrator set up through the APIs for the flows.
type seeded struct {
	app, ticket string // resource names (the sibling's application is told apart by its applicant)
}

// seed makes a window clerk and a hotline handler at the community, a clerk at its
// sibling, one application at each community and one ticket dispatched to the community.
func seed(t *testing.T, p *platform, admin string) seeded {
	t.Helper()
	for _, u := range []struct{ tenant, username, name, role string }{
		{community, "clerk01", "王窗口", "window_clerk"},
		{community, "hotline01", "李热线", "ticket_handler"},
		{sibling, "clerk02", "赵窗口", "window_clerk"},
	} {
		var user struct{ Name string }
		p.api(t, admin, http.MethodPost, "/api/identity/v1/tenants/"+u.tenant+"/users",
			map[string]any{"user": map[string]any{"username": u.username, "displayName": u.name, "kind": "staff"}, "password": staffPass}, &user)
		p.api(t, admin, http.MethodPost, "/api/identity/v1/roles:grant", map[string]any{"tenant": "tenants/" + u.tenant, "subject": user.Name, "role": u.role}, nil)
	}
	var s seeded
	for _, tenant := range []string{community, sibling} {
		p.api(t, admin, http.MethodPost, "/api/matters/v1/tenants/"+tenant+"/enablements", map[string]any{"matter": "matters/" + matter}, nil)
		var materials []map[string]any
		for _, m := range []string{"居民身份证", "银行账户信息"} {
			var doc struct{ Name string }
			p.api(t, admin, http.MethodPost, "/api/documents/v1/tenants/"+tenant+"/documents:upload?filename="+url.QueryEscape(m+".txt")+
				"&owner=tenants/"+tenant+"/intakes/window", []byte(m+"（测试用复印件）"), &doc)
			materials = append(materials, map[string]any{"name": m, "document": doc.Name})
		}
		var app struct{ Name string }
		p.api(t, admin, http.MethodPost, "/api/matters/v1/tenants/"+tenant+"/applications", map[string]any{
			"matter":    "matters/" + matter,
			"channel":   "CHANNEL_WINDOW",
			"applicant": map[string]any{"name": "张" + tenant[len(tenant)-2:] + "老人", "phone": "13800000000"},
			"materials": materials,
		}, &app)
		if tenant == community {
			s.app = app.Name
		}
	}
	var tk struct{ Name string }
	p.api(t, admin, http.MethodPost, "/api/tickets/v1/tenants/"+community+"/tickets", map[string]any{
		"category": "general", "title": "小区路灯不亮", "description": "3 号楼前路灯已坏一周，夜间出行不便。",
		"complainant":    map[string]any{"name": "陈女士", "phone": "13900000000"},
		"assigneeTenant": community, "assigneeDepartment": "社区综合办",
	}, &tk)
	s.ticket = tk.Name
	return s
}

func idOf(name string) string { return name[strings.LastIndex(name, "/")+1:] }

// TestConsole is the console in a browser against a fresh `gaoxing up`: the administrator
// signs in with the printed password and chooses a new one; a window clerk opens an
// application from the keyboard alone, uploads a new version of a material, accepts the
// application and sees it leave the intake list, completes it and sees it leave the
// queue; a hotline handler claims and closes a ticket; a clerk of a sibling community
// cannot reach the first one's records; axe-core finds no serious violation on the main
// pages.
func TestConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	p := startPlatform(t, t.TempDir(), "127.0.0.1:0")
	require.NotEmpty(t, p.adminPassword, "the first start prints the administrator's password")
	browser := startBrowser(t)

	admin := person(t, browser)
	signIn(t, admin, p.base, "admin", p.adminPassword, newAdmin)
	waitText(t, admin, "您好", true)
	s := seed(t, p, accessToken(t, admin))
	appID, ticketID := idOf(s.app), idOf(s.ticket)

	t.Run("window clerk", func(t *testing.T) {
		clerk := person(t, browser)
		signIn(t, clerk, p.base, "clerk01", staffPass, newStaff)
		screenshot(t, clerk, "home", 1366, 900)
		checkAccessibility(t, clerk, "工作台")

		do(t, clerk, chromedp.Navigate(p.base+"/clerk/intake"))
		waitText(t, clerk, appID, true)
		waitText(t, clerk, "张01老人", true)
		waitText(t, clerk, "张02老人", false) // the sibling's application is not listed
		checkAccessibility(t, clerk, "待受理")
		screenshot(t, clerk, "intake", 1366, 900)

		// From the keyboard alone: Tab to the application, Enter opens it.
		tabTo(t, clerk, `a[href$="/`+appID+`"]`)
		do(t, clerk, chromedp.KeyEvent(kb.Enter))
		waitText(t, clerk, "申请材料", true)
		waitText(t, clerk, "居民身份证", true)
		waitIdle(t, clerk)
		checkAccessibility(t, clerk, "办件详情")

		// A new version of a material, through the upload with its progress bar.
		scan := filepath.Join(t.TempDir(), "居民身份证（重新扫描）.txt")
		require.NoError(t, os.WriteFile(scan, []byte("居民身份证复印件（重新扫描，测试）"), 0o600))
		do(t, clerk, chromedp.SetUploadFiles(chromedp.Search(`(//input[@type="file" and @aria-label="上传新版本"])[1]`), []string{scan}, chromedp.NodeReady))
		waitText(t, clerk, "第 2 版", true)
		waitFor(t, clerk, `document.querySelector(".ant-progress-status-success") ? "done" : ""`, "done") // the progress bar ran to the end
		screenshot(t, clerk, "application", 1366, 900)
		screenshot(t, clerk, "application-tablet", 820, 1180)
		do(t, clerk, click(button("受理")), click(inDialog("确定")))
		waitText(t, clerk, "已受理", true)

		// It leaves the intake list and is in the community's queue of work in hand.
		do(t, clerk, chromedp.Navigate(p.base+"/clerk/intake"))
		waitIdle(t, clerk)
		waitText(t, clerk, appID, false)
		do(t, clerk, chromedp.Navigate(p.base+"/clerk/queue?scope=QUEUE_SCOPE_TENANT"))
		waitText(t, clerk, appID, true)
		checkAccessibility(t, clerk, "办件队列")
		screenshot(t, clerk, "queue", 1366, 900)

		// Each step, the last one completing the application.
		do(t, clerk, click(`//a[normalize-space(.)="`+appID+`"]`))
		completeStep := chromedp.Steps(
			click(`//button[starts-with(normalize-space(.), "完成「") and not(@disabled)]`),
			chromedp.WaitVisible(chromedp.CSS("#result")),
			click(inDialog("提交")),
		)
		do(t, clerk, completeStep)
		waitText(t, clerk, "第 2 环节「", true) // the first step closed, the second began
		do(t, clerk, completeStep)
		waitFor(t, clerk, `document.querySelector("[data-testid=app-state]").innerText`, "办结")

		do(t, clerk, click(button("受理回执")))
		waitText(t, clerk, "承诺办结时间", true)
		screenshot(t, clerk, "receipt", 1366, 900)

		do(t, clerk, chromedp.Navigate(p.base+"/clerk/queue?scope=QUEUE_SCOPE_TENANT"))
		waitIdle(t, clerk)
		waitText(t, clerk, "没有办件", true)
		waitText(t, clerk, appID, false)
	})

	t.Run("a sibling's clerk cannot reach the records", func(t *testing.T) {
		other := person(t, browser)
		signIn(t, other, p.base, "clerk02", staffPass, newStaff)
		do(t, other, chromedp.Navigate(p.base+"/clerk/applications/"+community+"/"+appID))
		waitText(t, other, "错误码", true)
		text := eval[string](t, other, `document.body.innerText`)
		require.NotContains(t, text, "张01老人")
		require.NotContains(t, text, "申请材料")
		do(t, other, chromedp.Navigate(p.base+"/hotline/tickets/"+community+"/"+ticketID))
		waitText(t, other, "错误码", true)
		require.NotContains(t, eval[string](t, other, `document.body.innerText`), "小区路灯不亮")
		do(t, other, chromedp.Navigate(p.base+"/clerk/queue?scope=QUEUE_SCOPE_TENANT"))
		waitIdle(t, other)
		waitText(t, other, "张02老人", true)
		waitText(t, other, "张01老人", false)
	})

	t.Run("hotline handler", func(t *testing.T) {
		handler := person(t, browser)
		signIn(t, handler, p.base, "hotline01", staffPass, newStaff)
		do(t, handler, chromedp.Navigate(p.base+"/hotline/inbox"))
		waitText(t, handler, ticketID, true)
		checkAccessibility(t, handler, "诉求工单")
		screenshot(t, handler, "inbox", 1366, 900)
		do(t, handler, click(`//a[normalize-space(.)="`+ticketID+`"]`))
		waitText(t, handler, "群众看到的进展", true)
		waitIdle(t, handler)
		checkAccessibility(t, handler, "工单详情")
		do(t, handler, click(button("签收")), click(inDialog("确定")))
		waitText(t, handler, "已签收", true)
		do(t, handler, click(button("开始办理")), click(inDialog("确定")))
		waitText(t, handler, "办理中", true)
		do(t, handler, click(button("答复")), chromedp.WaitVisible(chromedp.CSS("#reply")),
			chromedp.SendKeys(chromedp.CSS("#reply"), "已联系物业更换灯具，今晚恢复照明。"), click(inDialog("提交")))
		waitText(t, handler, "已答复", true)
		do(t, handler, click(button("办结")), chromedp.WaitVisible(chromedp.CSS("#summary")),
			chromedp.SendKeys(chromedp.CSS("#summary"), "路灯已修复，诉求人认可。"), click(inDialog("提交")))
		waitText(t, handler, "已办结", true)
		screenshot(t, handler, "ticket", 1366, 900)
	})

	superviseAndAdminister(t, p, browser, admin, s)
}
