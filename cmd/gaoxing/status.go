package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/health"
	"github.com/gaoxing-gov/gaoxing/services/console"
)

// probeTimeout bounds each readiness probe a status request makes.
const probeTimeout = 1500 * time.Millisecond

var errServiceNotFound = errs.New(errs.NotFound, "SERVICE_NOT_FOUND", "没有这个服务")

// statusReport is GET /api/status.
type statusReport struct {
	Ready      bool              `json:"ready"` // every component running and ready
	Version    string            `json:"version"`
	DataDir    string            `json:"data_dir"`
	Starts     int64             `json:"starts"` // times this data directory has been started, this one included
	StartedAt  time.Time         `json:"started_at"`
	Components []componentStatus `json:"components"`
}

type componentStatus struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"` // infrastructure | service | development
	Address     string `json:"address,omitempty"`
	HTTPAddress string `json:"http_address,omitempty"`
	Route       string `json:"route,omitempty"`
	PID         int    `json:"pid,omitempty"`
	State       string `json:"state"` // starting | running | stopping | stopped | failed
	Ready       bool   `json:"ready"`
	Error       string `json:"error,omitempty"`
}

// handler is the launcher's one HTTP port.
func (l *launcher) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health.Live())
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(l.status(r.Context()))
	})
	// The status page moved aside for the console, which owns every other path.
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := statusPage.Execute(w, l.status(r.Context())); err != nil {
			l.log.Error("status page", "err", err)
		}
	})
	mux.HandleFunc("/api/", l.proxy)
	// The staff console: its sign-in goes to identity's OpenID Provider on this same port.
	mux.Handle("/", console.Handler(console.Options{Files: l.consoleFiles(), Issuer: l.issuer()}))
	return mux
}

// proxy sends /api/<service>/... to that service's HTTP listener, path unchanged (the
// service serves its API under the same prefix, as it does behind the Ingress).
func (l *launcher) proxy(w http.ResponseWriter, r *http.Request) {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	l.mu.Lock()
	p := l.proxies[name]
	l.mu.Unlock()
	if p == nil {
		errs.WriteHTTP(r.Context(), w, errServiceNotFound.WithMessage("没有名为 %q 的服务", name))
		return
	}
	p.ServeHTTP(w, r)
}

func newServiceProxy(hostPort string) http.Handler {
	target := &url.URL{Scheme: "http", Host: hostPort}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			errs.WriteHTTP(r.Context(), w, errs.ErrUnavailable.Wrap(err))
		},
	}
}

// status snapshots the components and probes the running ones concurrently.
func (l *launcher) status(ctx context.Context) statusReport {
	l.mu.Lock()
	rep := statusReport{
		Version:   versionString(),
		DataDir:   l.dataDir,
		Starts:    l.starts,
		StartedAt: l.startedAt,
	}
	probes := make([]func(context.Context) error, len(l.components))
	for i, c := range l.components {
		rep.Components = append(rep.Components, componentStatus{
			Name: c.name, Kind: c.kind, Address: c.address, HTTPAddress: c.httpAddress,
			Route: c.route, PID: c.pid, State: c.state, Error: c.err,
		})
		if c.state == stateRunning {
			probes[i] = c.probe
		}
	}
	l.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i, probe := range probes {
		if probe == nil {
			continue
		}
		wg.Go(func() {
			if err := probe(ctx); err != nil {
				rep.Components[i].Error = err.Error()
				return
			}
			rep.Components[i].Ready = true
		})
	}
	wg.Wait()
	rep.Ready = len(rep.Components) > 0
	for _, c := range rep.Components {
		rep.Ready = rep.Ready && c.Ready
	}
	return rep
}

//go:embed status.html
var statusHTML string

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"stateText": func(s string) string {
		return map[string]string{
			stateStarting: "启动中", stateRunning: "运行中", stateStopping: "停止中",
			stateStopped: "已停止", stateFailed: "故障",
		}[s]
	},
	"kindText": func(k string) string {
		return map[string]string{kindInfra: "基础设施", kindService: "业务服务", kindDevelopment: "开发辅助"}[k]
	},
	"hasServices": func(cs []componentStatus) bool {
		for _, c := range cs {
			if c.Kind == kindService {
				return true
			}
		}
		return false
	},
	"clock": func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
}).Parse(statusHTML))
