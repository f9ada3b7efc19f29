package console

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// stepTimeout bounds one browser step (a navigation, a click and what it waits for).
const stepTimeout = 30 * time.Second

// startBrowser starts headless Chromium (Debian's package) for the test.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/chromium"); serr == nil {
			path, err = "/usr/bin/chromium", nil
		}
	}
	requireOrSkip(t, err == nil, "no Chromium (make test installs it: apt-get install -y chromium): %v", err)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to sandbox as root
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(browser), "start Chromium")
	return browser
}

// person is one person's browser window: its own cookies and storage, as another
// computer would have.
func person(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The person prefers reduced motion: the console then turns off Ant Design's
	// animations, so a click lands on a dialog's button where it will stay.
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	})))
	return ctx
}

// do runs browser actions within stepTimeout.
func do(t testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	require.NoError(t, chromedp.Do(sctx, actions...))
}

// eval evaluates a script in the page within stepTimeout and returns its value.
func eval[T any](t testing.TB, ctx context.Context, script string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[T](script, opts...))
	require.NoError(t, err)
	return v
}

// peek evaluates a script once, for polling: an error reads as the zero value.
func peek[T any](ctx context.Context, script string) T {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(sctx, chromedp.Evaluate[T](script))
	return v
}

// button is the XPath of a visible button by its text (the console turns off Ant
// Design's space between two Chinese characters, so the text is as written).
func button(text string) string {
	return `//button[normalize-space(.)="` + text + `" and not(@disabled)]`
}

// inDialog is the XPath of a button inside the open dialog or confirmation.
func inDialog(text string) string {
	return `//div[contains(@class,"ant-modal") or contains(@class,"ant-popover")]//button[normalize-space(.)="` + text + `"]`
}

func click(xpath string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.Search(xpath)),
		chromedp.Click(chromedp.Search(xpath)),
	)
}

// waitText waits until the page's text contains (or no longer contains) s.
func waitText(t testing.TB, ctx context.Context, s string, present bool) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var text string
	for time.Now().Before(deadline) {
		text = peek[string](ctx, `document.body ? document.body.innerText : ""`)
		if text != "" && strings.Contains(text, s) == present {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling the page, not waiting for time to pass
	}
	t.Fatalf("page text contains %q = %v, want %v; text:\n%s", s, !present, present, text)
}

// waitFor waits until script evaluates to want.
func waitFor(t testing.TB, ctx context.Context, script, want string) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var got string
	for time.Now().Before(deadline) {
		if got = peek[string](ctx, script); got == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s = %q, want %q", script, got, want)
}

// waitIdle waits until no table or page is loading.
func waitIdle(t testing.TB, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		if peek[string](ctx, `document.querySelector(".ant-spin-spinning, .ant-skeleton") ? "busy" : "idle"`) == "idle" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the page is still loading")
}

// signIn opens the console, signs in at identity's login page and waits for the console.
// When the account must change its password first (the OP's own page), it sets newPassword.
// It returns the password the account has now.
func signIn(t *testing.T, ctx context.Context, base, username, password, newPassword string) string {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SetValue(chromedp.CSS("#username"), username),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
	)
	deadline := time.Now().Add(stepTimeout)
	for time.Now().Before(deadline) {
		state := peek[string](ctx, `document.querySelector(".app-header") ? "console" :
			document.querySelector("input[name=new_password], #new_password") ? "change" :
			document.querySelector("[data-code]") ? "error:" + document.querySelector("[data-code]").getAttribute("data-code") : ""`)
		switch {
		case state == "console":
			return password
		case state == "change":
			require.NotEmpty(t, newPassword, "%s must change the password", username)
			changePassword(t, ctx, password, newPassword)
			password = newPassword
		case strings.HasPrefix(state, "error:") && state != "error:":
			t.Fatalf("sign-in of %s refused: %s", username, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not reach the console after signing in; at %s:\n%s", username,
		peek[string](ctx, `location.href`), peek[string](ctx, `document.body ? document.body.innerText : ""`))
	return ""
}

// changePassword fills the OP's forced password change form.
func changePassword(t *testing.T, ctx context.Context, current, next string) {
	t.Helper()
	eval[any](t, ctx, `(() => {
		const set = (sel, v) => { const el = document.querySelector(sel); if (el) el.value = v; };
		set("input[name=current_password], #current_password", `+jsString(current)+`);
		set("input[name=new_password], #new_password", `+jsString(next)+`);
		set("input[name=confirm_password], #confirm_password", `+jsString(next)+`);
		document.querySelector("input[name=new_password], #new_password").form.submit();
	})()`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tabTo presses Tab (at most 60 times) until the focused element matches the CSS
// selector: the element is reachable from the keyboard, in the page's order.
func tabTo(t testing.TB, ctx context.Context, selector string) {
	t.Helper()
	for range 60 {
		if peek[string](ctx, `document.activeElement && document.activeElement.matches(`+jsString(selector)+`) ? "yes" : ""`) == "yes" {
			return
		}
		do(t, ctx, chromedp.KeyEvent(kb.Tab))
	}
	t.Fatalf("%s is not reachable with Tab", selector)
}

// accessToken is the signed-in person's access token, from the console's session storage.
func accessToken(t *testing.T, ctx context.Context) string {
	t.Helper()
	token := eval[string](t, ctx, `(() => {
		for (const k of Object.keys(sessionStorage)) if (k.startsWith("oidc.user:")) return JSON.parse(sessionStorage.getItem(k)).access_token;
		return "";
	})()`)
	require.NotEmpty(t, token)
	return token
}

// axeViolation is what axe-core reports for one rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core on the page and fails on serious or critical violations.
func checkAccessibility(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "web", "console", "node_modules", "axe-core", "axe.min.js"))
	require.NoError(t, err, "axe-core comes with the console's npm packages (make web)")
	eval[any](t, ctx, string(src)+";0")
	violations := eval[[]axeViolation](t, ctx,
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise)
	var bad []string
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			targets := []string{}
			for _, n := range v.Nodes {
				b, _ := json.Marshal(n.Target)
				targets = append(targets, string(b))
			}
			bad = append(bad, v.ID+" ("+v.Impact+"): "+v.Help+" at "+strings.Join(targets, ", "))
		} else {
			t.Logf("axe on %s: %s (%s) — %s", page, v.ID, v.Impact, v.Help)
		}
	}
	require.Empty(t, bad, "axe-core on %s", page)
}

// screenshot saves the page under $GAOXING_SCREENSHOTS (make screenshots) at a laptop's
// or a tablet's size.
func screenshot(t *testing.T, ctx context.Context, name string, width, height int64) {
	t.Helper()
	dir := os.Getenv("GAOXING_SCREENSHOTS")
	if dir == "" {
		return
	}
	do(t, ctx,
		chromedp.EmulateViewport(width, height),
		chromedp.Sleep(500*time.Millisecond), // the layout settles after a resize (screenshots only)
	)
	waitIdle(t, ctx)
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	do(t, ctx, chromedp.EmulateViewport(1366, 900))
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}
