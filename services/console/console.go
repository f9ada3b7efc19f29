package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Assets is the embedded build output (index.html and assets/), or only dist/.keep when
// `make web` has not run before the Go build.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directive above guarantees the directory
	}
	return sub
}

// ClientID is the OAuth client the console signs in as: a public client (no secret)
// using the authorization code flow with PKCE, registered by identity on bootstrap.
const ClientID = "console"

// Options configure the handler.
type Options struct {
	Files    fs.FS  // the built application; Assets() in production
	Issuer   string // the OpenID issuer URL, e.g. http://127.0.0.1:8080/api/identity
	ClientID string // default ClientID
}

// Policy is the Content-Security-Policy of every page: scripts only from this origin
// (Vite emits no inline script), API and sign-in calls to this origin only, previews of
// documents as blob: URLs. Styles allow 'unsafe-inline' because Ant Design injects its
// component styles at run time (CSS-in-JS); no script can be injected that way.
const Policy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the console.
func Handler(o Options) http.Handler {
	if o.ClientID == "" {
		o.ClientID = ClientID
	}
	h := &handler{opts: o, zipped: map[string]*encoded{}}
	h.config, _ = json.Marshal(map[string]string{"issuer": o.Issuer, "clientId": o.ClientID})
	index, err := fs.ReadFile(o.Files, "index.html")
	if err == nil {
		h.index = index
	}
	return h
}

type handler struct {
	opts   Options
	config []byte
	index  []byte // nil when the assets were not built

	mu     sync.Mutex
	zipped map[string]*encoded // gzip of a file, made at its first request
}

type encoded struct {
	body []byte
	etag string
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", Policy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "same-origin")

	p := path.Clean("/" + r.URL.Path)
	switch {
	case strings.HasPrefix(p, "/."):
		http.NotFound(w, r) // build metadata (.vite/, .keep) is not part of the site
	case p == "/config.json":
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(h.config)
		return
	case h.index == nil:
		notBuilt(w)
		return
	case strings.HasPrefix(p, "/assets/"):
		// Vite names every file here by a hash of its content: a new build is new names.
		if h.serveFile(w, r, p[1:], "public, max-age=31536000, immutable") {
			return
		}
		http.NotFound(w, r) // a stale hashed name must not become index.html
		return
	case p != "/" && path.Ext(p) != "":
		if h.serveFile(w, r, p[1:], "no-cache") {
			return
		}
	}
	// Every other path is a page of the application: its router reads the path.
	hdr.Set("Cache-Control", "no-cache")
	h.serveBytes(w, r, "index.html", h.index)
}

// serveFile serves a file of the build with cacheControl; false when there is none.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name, cacheControl string) bool {
	b, err := fs.ReadFile(h.opts.Files, name)
	if err != nil {
		return false
	}
	w.Header().Set("Cache-Control", cacheControl)
	h.serveBytes(w, r, name, b)
	return true
}

// serveBytes answers with b, gzipped when the client accepts it and the type compresses.
func (h *handler) serveBytes(w http.ResponseWriter, r *http.Request, name string, b []byte) {
	hdr := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(b)
	}
	hdr.Set("Content-Type", ctype)
	hdr.Add("Vary", "Accept-Encoding")
	e := h.encode(name, b)
	if compressible(ctype) && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		hdr.Set("Content-Encoding", "gzip")
		hdr.Set("ETag", `"`+e.etag+`-gz"`)
		http.ServeContent(w, r, "", zeroTime, bytes.NewReader(e.body))
		return
	}
	hdr.Set("ETag", `"`+e.etag+`"`)
	http.ServeContent(w, r, "", zeroTime, bytes.NewReader(b))
}

// encode returns the gzip of a file and its content hash, computed once.
func (h *handler) encode(name string, b []byte) *encoded {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.zipped[name]; e != nil {
		return e
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	sum := sha256.Sum256(b)
	e := &encoded{body: buf.Bytes(), etag: base64.RawURLEncoding.EncodeToString(sum[:12])}
	h.zipped[name] = e
	return e
}

var zeroTime time.Time // embedded files have no modification time; ETags decide

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "text/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// notBuilt is every page of a binary built before the console's assets.
func notBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(notBuiltPage))
}

const notBuiltPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>控制台尚未构建 · 高兴办</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>控制台尚未构建</h1>
<p>这个程序构建时还没有控制台的网页资源。在仓库根目录运行 <code>make web</code>（或 <code>make run</code>，它会先构建控制台），再重新构建本程序。</p>
<p>接口仍在 <code>/api/&lt;服务&gt;/</code> 下可用；平台状态见 <a href="/status">/status</a>。</p>
</body></html>
`

// Built reports whether fsys holds a built console.
func Built(fsys fs.FS) bool {
	_, err := fs.Stat(fsys, "index.html")
	return err == nil
}
