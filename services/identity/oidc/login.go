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
	errLoginFailed         = errs.New(errs.Unauthenticated, "LOGIN_FAILED", "登录失败，请稍后重试")
)

// loginPage is the username and password form the authorization endpoint sends people to.
// The auth request id in the form is unguessable and works for one successful login, which
// is what keeps a forged cross-site post from signing anyone in.
type loginPage struct {
	store  *storage
	dir    Directory
	issuer string
	log    *slog.Logger
}

type loginView struct {
	ID       string
	Username string
	Error    string
	Code     string // the error's stable code, for scripts and tests (data-code)
	Fatal    bool   // the request itself is unusable: no form, only the message
	Notice   string // a message that is not an error (signed out)
}

var loginTemplate = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 - 高兴办</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f6f8;margin:0}
main{max-width:22rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 1.5rem}label{display:block;margin:.8rem 0 .3rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.6rem;font-size:1rem;background:#c8102e;color:#fff;border:0;border-radius:4px}
.error{color:#b00020;background:#fdecea;padding:.6rem;border-radius:4px}
</style>
</head>
<body><main>
<h1>高兴办 统一身份认证</h1>
{{if .Error}}<p class="error" role="alert" data-code="{{.Code}}">{{.Error}}</p>{{end}}
{{if .Notice}}<p>{{.Notice}}</p>{{end}}
{{if not .Fatal}}
<form method="post" action="login" autocomplete="on">
<input type="hidden" name="id" value="{{.ID}}">
<label for="username">用户名</label>
<input type="text" id="username" name="username" value="{{.Username}}" required autofocus>
<label for="password">密码</label>
<input type="password" id="password" name="password" required>
<button type="submit">登录</button>
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
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := loginTemplate.Execute(w, v); err != nil {
		l.log.Error("rendering login page", "err", err)
	}
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

// loggedOut is where end_session lands when the client names no page of its own.
func (l *loginPage) loggedOut(w http.ResponseWriter, _ *http.Request) {
	l.render(w, http.StatusOK, loginView{Notice: "您已安全退出登录。", Fatal: true})
}

func (l *loginPage) show(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if !l.pending(r.Context(), id) {
		l.render(w, http.StatusBadRequest, loginView{Error: ErrLoginRequestInvalid.Message, Fatal: true})
		return
	}
	l.render(w, http.StatusOK, loginView{ID: id})
}

func (l *loginPage) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		l.render(w, http.StatusBadRequest, loginView{Error: ErrLoginRequestInvalid.Message, Fatal: true})
		return
	}
	id, username, password := r.PostForm.Get("id"), r.PostForm.Get("username"), r.PostForm.Get("password")
	ctx := r.Context()
	if !l.pending(ctx, id) {
		l.render(w, http.StatusBadRequest, loginView{Error: ErrLoginRequestInvalid.Message, Fatal: true})
		return
	}
	if username == "" || password == "" {
		l.render(w, http.StatusBadRequest, loginView{ID: id, Username: username, Error: ErrLoginFieldsMissing.Message})
		return
	}
	acc, err := l.dir.Authenticate(ctx, username, password, clientAddress(r))
	if err != nil {
		e := errs.From(err)
		msg, code, status := e.Message, e.Code, e.Kind.HTTPStatus()
		if e.Kind == errs.Internal || e.Kind == errs.Unavailable {
			l.log.Error("login failed", "err", err)
			msg, code = errLoginFailed.Message, errLoginFailed.Code
		}
		l.render(w, status, loginView{ID: id, Username: username, Error: msg, Code: code})
		return
	}
	if acc.Status != AccountActive {
		l.render(w, http.StatusForbidden, loginView{ID: id, Username: username, Error: "账号不可用，请联系管理员"})
		return
	}
	if err := l.store.completeLogin(ctx, id, acc); err != nil {
		if !errors.Is(err, errAuthRequestUnknown) {
			l.log.Error("completing login", "err", err)
		}
		l.render(w, http.StatusBadRequest, loginView{Error: ErrLoginRequestInvalid.Message, Fatal: true})
		return
	}
	http.Redirect(w, r, l.issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusSeeOther)
}
