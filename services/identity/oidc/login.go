package oidc

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// maxLoginForm bounds the login form body: a username, a password and an id.
const maxLoginForm = 8 << 10

// The login page's own failures.
var (
	ErrLoginRequestInvalid = errs.New(errs.InvalidArgument, "LOGIN_REQUEST_INVALID", "登录请求无效、已使用或已过期，请回到应用重新登录")
	ErrLoginFieldsMissing  = errs.New(errs.InvalidArgument, "LOGIN_FIELDS_MISSING", "请输入用户名和密码")
	ErrPasswordMismatch    = errs.New(errs.InvalidArgument, "PASSWORD_MISMATCH", "两次输入的新密码不一致")
	ErrDeviceCodeInvalid   = errs.New(errs.InvalidArgument, "DEVICE_CODE_INVALID", "用户码无效、已使用或已过期，请在命令行重新登录")
	errLoginFailed         = errs.New(errs.Unauthenticated, "LOGIN_FAILED", "登录失败，请稍后重试")
)

// loginPage is the username and password form the authorization endpoint sends people to,
// and the pages a sign-in may pass through before it completes: choosing a new password
// (when someone else chose the current one) and, for the command line, the device
// verification page where the user code is entered and approved. The auth request id in
// the form is unguessable and works for one successful login, which is what keeps a
// forged cross-site post from signing anyone in; the later pages carry a step token given
// only to the browser that proved the password.
type loginPage struct {
	store  *storage
	dir    Directory
	issuer string
	log    *slog.Logger
}

// The pages' forms.
const (
	formLogin    = "login"    // username and password for an authorization request
	formDevice   = "device"   // user code, username and password for a device
	formPassword = "password" // a new password, twice
	formApprove  = "approve"  // approve or deny a device
)

type loginView struct {
	Form     string // which form, or "" for a message only
	Title    string
	ID       string
	Step     string // the sign-in step token (password, approve)
	UserCode string
	Username string
	Client   string // the application asking, on the approval page
	Error    string
	Code     string // the error's stable code, for scripts and tests (data-code)
	Notice   string // a message that is not an error (signed out, device approved)
	MinRunes int
	// ReturnTo is the origin the sign-in goes back to, allowed as a form target (returnOrigin).
	ReturnTo string
}

var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - 高兴办</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f6f8;margin:0}
main{max-width:22rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 1.5rem}h2{font-size:1.1rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .3rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem;background:#c8102e;color:#fff;border:0;border-radius:4px}
button.secondary{background:#fff;color:#333;border:1px solid #999}
button:focus-visible,input:focus-visible{outline:3px solid #1677ff;outline-offset:2px}
.error{color:#b00020;background:#fdecea;padding:.6rem;border-radius:4px}
.hint{color:#555;font-size:.9rem;margin:.3rem 0 0}.code{font-size:1.6rem;letter-spacing:.15em;font-family:ui-monospace,monospace}
</style>
</head>
<body><main>
<h1>高兴办 统一身份认证</h1>
{{if .Error}}<p class="error" role="alert" data-code="{{.Code}}">{{.Error}}</p>{{end}}
{{if .Notice}}<p role="status">{{.Notice}}</p>{{end}}
{{if eq .Form "login"}}
<form method="post" action="login" autocomplete="on">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">用户名</label>
<input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" required autofocus>
<label for="password">密码</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">登录</button>
</form>
{{else if eq .Form "device"}}
<h2>命令行登录</h2>
<form method="post" action="device" autocomplete="on">
<label for="user_code">用户码</label>
<input type="text" id="user_code" name="user_code" value="{{.UserCode}}" autocomplete="off" autocapitalize="characters" aria-describedby="user_code_hint" required{{if not .UserCode}} autofocus{{end}}>
<p class="hint" id="user_code_hint">命令行显示的 8 位用户码，如 BCDF-GHJK</p>
<label for="username">用户名</label>
<input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" required{{if .UserCode}} autofocus{{end}}>
<label for="password">密码</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">登录</button>
</form>
{{else if eq .Form "password"}}
<h2>首次登录请设置新密码</h2>
<p id="policy">您的密码由管理员设置。请设置只有您知道的新密码：至少 {{.MinRunes}} 个字符，混合字母、数字或符号，不含用户名。</p>
<form method="post" action="password" autocomplete="off">
<input type="hidden" name="step" value="{{.Step}}">
<input type="text" name="username" value="{{.Username}}" autocomplete="username" hidden aria-hidden="true" tabindex="-1">
<label for="new_password">新密码</label>
<input type="password" id="new_password" name="new_password" autocomplete="new-password" aria-describedby="policy" required autofocus>
<label for="confirm_password">再次输入新密码</label>
<input type="password" id="confirm_password" name="confirm_password" autocomplete="new-password" required>
<button type="submit">设置新密码并继续</button>
</form>
{{else if eq .Form "approve"}}
<h2>授权命令行登录</h2>
<p>应用“{{.Client}}”请求以 <strong>{{.Username}}</strong> 的身份访问高兴办。请确认命令行显示的用户码与下面一致：</p>
<p class="code" aria-label="用户码">{{.UserCode}}</p>
<form method="post" action="device/approve">
<input type="hidden" name="step" value="{{.Step}}">
<button type="submit" name="decision" value="approve">授权</button>
<button type="submit" name="decision" value="deny" class="secondary">拒绝</button>
</form>
{{end}}
</main></body>
</html>
`))

func (l *loginPage) render(w http.ResponseWriter, status int, v loginView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	formAction := "'self'"
	if v.ReturnTo != "" {
		formAction += " " + v.ReturnTo
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction+"; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	if v.Title == "" {
		v.Title = "登录"
	}
	w.WriteHeader(status)
	if err := loginTemplate.Execute(w, v); err != nil {
		l.log.Error("rendering login page", "err", err)
	}
}

// fail renders a page that cannot go on: only the message.
func (l *loginPage) fail(w http.ResponseWriter, e *errs.Error) {
	l.render(w, http.StatusBadRequest, loginView{Error: e.Message, Code: e.Code})
}

// authFailure is how a failed Authenticate is shown: its own message and code, except
// for failures of ours, which are logged and shown as LOGIN_FAILED.
func (l *loginPage) authFailure(err error) (*errs.Error, int) {
	e := errs.From(err)
	if e.Kind == errs.Internal || e.Kind == errs.Unavailable {
		l.log.Error("login failed", "err", err)
		return errLoginFailed, errLoginFailed.Kind.HTTPStatus()
	}
	return e, e.Kind.HTTPStatus()
}

// clientAddress is the address a login comes from, for the per-address throttle: the
// connection's peer, or, when the peer is a proxy on a loopback or private network (the
// launcher, an ingress in the cluster), the last address it appended to X-Forwarded-For
// that is not such a proxy itself. Someone able to reach the service directly from
// inside the private network can name any address there; the per-account throttle still
// holds for them.
func clientAddress(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := peer.Addr().Unmap()
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0 && (addr.IsLoopback() || addr.IsPrivate()); i-- {
		next, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = next.Unmap()
	}
	return addr.String()
}

// pending returns the auth request id if it is waiting for a login.
func (l *loginPage) pending(ctx context.Context, id string) bool {
	if id == "" {
		return false
	}
	a, err := l.store.authRequest(ctx, id)
	return err == nil && !a.IsDone
}

// returnOrigin is the origin of the redirect URI (registered for its client) that
// authorization request id goes back to. Browsers apply a page's form-action to the
// redirects that follow its form's post, so with 'self' alone a sign-in for a client on
// another origin (the console on the launcher's other loopback name, a dev server) would
// be blocked after the password was accepted; the pages that end a sign-in allow that one
// origin too.
func (l *loginPage) returnOrigin(ctx context.Context, id string) string {
	a, err := l.store.authRequest(ctx, id)
	if err != nil {
		return ""
	}
	u, err := url.Parse(a.RedirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, " ;,'\"") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// loggedOut is where end_session lands when the client names no page of its own.
func (l *loginPage) loggedOut(w http.ResponseWriter, _ *http.Request) {
	l.render(w, http.StatusOK, loginView{Notice: "您已安全退出登录。"})
}

func (l *loginPage) show(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if !l.pending(r.Context(), id) {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	l.render(w, http.StatusOK, loginView{Form: formLogin, ID: id, ReturnTo: l.returnOrigin(r.Context(), id)})
}

// parseForm reads a posted form of at most maxLoginForm bytes.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	return r.ParseForm() == nil
}

func (l *loginPage) submit(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	id, username, password := r.PostForm.Get("id"), r.PostForm.Get("username"), r.PostForm.Get("password")
	ctx := r.Context()
	if !l.pending(ctx, id) {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	if username == "" || password == "" {
		l.render(w, http.StatusBadRequest, loginView{Form: formLogin, ID: id, Username: username, Error: ErrLoginFieldsMissing.Message,
			Code: ErrLoginFieldsMissing.Code, ReturnTo: l.returnOrigin(ctx, id)})
		return
	}
	acc, ok := l.authenticate(w, r, loginView{Form: formLogin, ID: id, Username: username, ReturnTo: l.returnOrigin(ctx, id)}, username, password)
	if !ok {
		return
	}
	if acc.MustChangePassword {
		l.askNewPassword(w, r, acc, signinStep{Subject: acc.ID, Flow: flowAuth, FlowID: id})
		return
	}
	l.completeAuth(w, r, id, acc)
}

// authenticate checks the password under the directory's throttle; on failure it renders
// form again with the error and reports false.
func (l *loginPage) authenticate(w http.ResponseWriter, r *http.Request, form loginView, username, password string) (Account, bool) {
	acc, err := l.dir.Authenticate(r.Context(), username, password, clientAddress(r))
	if err != nil {
		e, status := l.authFailure(err)
		form.Error, form.Code = e.Message, e.Code
		l.render(w, status, form)
		return Account{}, false
	}
	if acc.Status != AccountActive {
		form.Error = "账号不可用，请联系管理员"
		l.render(w, http.StatusForbidden, form)
		return Account{}, false
	}
	return acc, true
}

// completeAuth ends the sign-in of an authorization request: the code goes to the client.
func (l *loginPage) completeAuth(w http.ResponseWriter, r *http.Request, id string, acc Account) {
	if err := l.store.completeLogin(r.Context(), id, acc); err != nil {
		if !errors.Is(err, errAuthRequestUnknown) {
			l.log.Error("completing login", "err", err)
		}
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	http.Redirect(w, r, l.issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusSeeOther)
}

// askNewPassword shows the form for a new password, the step before the sign-in completes.
func (l *loginPage) askNewPassword(w http.ResponseWriter, r *http.Request, acc Account, next signinStep) {
	token, err := l.store.newStep(r.Context(), stepPassword, next)
	if err != nil {
		l.log.Error("starting a password change at sign-in", "err", err)
		l.fail(w, errLoginFailed)
		return
	}
	v := loginView{Form: formPassword, Title: "设置新密码", Step: token, Username: acc.Username, MinRunes: minPasswordRunes}
	if next.Flow == flowAuth {
		v.ReturnTo = l.returnOrigin(r.Context(), next.FlowID)
	}
	l.render(w, http.StatusOK, v)
}

// minPasswordRunes is the shortest password the directory's policy accepts, said on the form.
const minPasswordRunes = 10

// choosePassword takes the new password of a sign-in told to choose one; the directory's
// password policy decides, and the sign-in goes on where it was.
func (l *loginPage) choosePassword(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	ctx := r.Context()
	token, next, confirm := r.PostForm.Get("step"), r.PostForm.Get("new_password"), r.PostForm.Get("confirm_password")
	step, err := l.store.step(ctx, token, stepPassword)
	if err != nil {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	acc, err := l.dir.AccountByID(ctx, step.Subject)
	if err != nil || acc.Status != AccountActive {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	form := loginView{Form: formPassword, Title: "设置新密码", Step: token, Username: acc.Username, MinRunes: minPasswordRunes}
	if step.Flow == flowAuth {
		form.ReturnTo = l.returnOrigin(ctx, step.FlowID)
	}
	if next != confirm {
		form.Error, form.Code = ErrPasswordMismatch.Message, ErrPasswordMismatch.Code
		l.render(w, http.StatusBadRequest, form)
		return
	}
	if err := l.dir.ChooseNewPassword(ctx, acc.ID, next); err != nil {
		e, status := l.authFailure(err)
		form.Error, form.Code = e.Message, e.Code
		l.render(w, status, form)
		return
	}
	if _, err := l.store.takeStep(ctx, token, stepPassword); err != nil {
		l.fail(w, ErrLoginRequestInvalid) // a second tab finished it first
		return
	}
	acc.MustChangePassword = false
	switch step.Flow {
	case flowAuth:
		l.completeAuth(w, r, step.FlowID, acc)
	case flowDevice:
		l.askApproval(w, r, acc, step.FlowID)
	default:
		l.fail(w, ErrLoginRequestInvalid)
	}
}

// ---- the device verification page (RFC 8628 §3.3) ----

// normalizeUserCode accepts a user code as people type it: any case, with or without
// the dash or spaces.
func normalizeUserCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	c := b.String()
	if len(c) == 8 {
		c = c[:4] + "-" + c[4:]
	}
	return c
}

func (l *loginPage) showDevice(w http.ResponseWriter, r *http.Request) {
	l.render(w, http.StatusOK, loginView{Form: formDevice, Title: "命令行登录", UserCode: normalizeUserCode(r.URL.Query().Get("user_code"))})
}

// submitDevice signs a person in for a device: the password first (throttled as on the
// login page, so a stranger learns nothing about codes), then the code.
func (l *loginPage) submitDevice(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	code, username, password := normalizeUserCode(r.PostForm.Get("user_code")), r.PostForm.Get("username"), r.PostForm.Get("password")
	form := loginView{Form: formDevice, Title: "命令行登录", UserCode: code, Username: username}
	if code == "" || username == "" || password == "" {
		form.Error, form.Code = "请输入用户码、用户名和密码", ErrLoginFieldsMissing.Code
		l.render(w, http.StatusBadRequest, form)
		return
	}
	acc, ok := l.authenticate(w, r, form, username, password)
	if !ok {
		return
	}
	if _, err := l.store.pendingDevice(r.Context(), code); err != nil {
		if !errors.Is(err, errDeviceUnknown) {
			l.log.Error("reading a device authorization", "err", err)
		}
		form.Error, form.Code = ErrDeviceCodeInvalid.Message, ErrDeviceCodeInvalid.Code
		l.render(w, http.StatusBadRequest, form)
		return
	}
	if acc.MustChangePassword {
		l.askNewPassword(w, r, acc, signinStep{Subject: acc.ID, Flow: flowDevice, FlowID: code})
		return
	}
	l.askApproval(w, r, acc, code)
}

// askApproval shows who is signing in, for which application, and the code to compare.
func (l *loginPage) askApproval(w http.ResponseWriter, r *http.Request, acc Account, code string) {
	ctx := r.Context()
	d, err := l.store.pendingDevice(ctx, code)
	if err != nil {
		l.fail(w, ErrDeviceCodeInvalid)
		return
	}
	client := d.ClientID
	if c, err := l.dir.Client(ctx, d.ClientID); err == nil && c.DisplayName != "" {
		client = c.DisplayName
	}
	token, err := l.store.newStep(ctx, stepApprove, signinStep{Subject: acc.ID, Flow: flowDevice, FlowID: code})
	if err != nil {
		l.log.Error("starting a device approval", "err", err)
		l.fail(w, errLoginFailed)
		return
	}
	l.render(w, http.StatusOK, loginView{Form: formApprove, Title: "授权命令行登录", Step: token, UserCode: code,
		Username: acc.Username, Client: client})
}

func (l *loginPage) approveDevice(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	ctx := r.Context()
	step, err := l.store.takeStep(ctx, r.PostForm.Get("step"), stepApprove)
	if err != nil || step.Flow != flowDevice {
		l.fail(w, ErrDeviceCodeInvalid)
		return
	}
	acc, err := l.dir.AccountByID(ctx, step.Subject)
	if err != nil || acc.Status != AccountActive {
		l.fail(w, ErrLoginRequestInvalid)
		return
	}
	approve := r.PostForm.Get("decision") == "approve"
	if err := l.store.decideDevice(ctx, step.FlowID, acc, approve); err != nil {
		if !errors.Is(err, errDeviceUnknown) {
			l.log.Error("deciding a device authorization", "err", err)
		}
		l.fail(w, ErrDeviceCodeInvalid)
		return
	}
	notice := "已授权。请回到命令行继续，可以关闭此页面。"
	if !approve {
		notice = "已拒绝该命令行登录请求。"
	}
	l.render(w, http.StatusOK, loginView{Title: "命令行登录", Notice: notice})
}
