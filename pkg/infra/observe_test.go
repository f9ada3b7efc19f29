package infra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// Jaeger starts on loopback ports from its generated configuration and answers its
// query API.
func TestStartJaeger(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Jaeger")
	}
	bin := testenv.Binary(t, "jaeger")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	j, err := infra.StartJaeger(ctx, infra.JaegerServer{Binary: bin, Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, j.Stop(), j.Output()) })
	for _, u := range []string{j.QueryURL, j.OTLPEndpoint} {
		p, err := url.Parse(u)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1", p.Hostname(), "loopback only")
	}
	require.NoError(t, infra.CheckHTTP(ctx, j.QueryURL+"/api/services"))
}

// Prometheus scrapes the jobs it is given, keeping only each job's service's series.
func TestStartPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Prometheus")
	}
	bin := testenv.Binary(t, "prometheus")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# TYPE calls_total counter\ncalls_total{service=\"a\"} 1\ncalls_total{service=\"b\"} 2\ngo_goroutines 7\n")
	})}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	p, err := infra.StartPrometheus(ctx, infra.PrometheusServer{
		Binary: bin, Dir: t.TempDir(), Interval: time.Second,
		Jobs: []infra.ScrapeJob{
			{Name: "a", Target: lis.Addr().String(), Service: "a", Shared: true},
			{Name: "b", Target: lis.Addr().String(), Service: "b"},
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Stop()) })

	want := map[string]string{`calls_total{job="a"}`: "a", `calls_total{job="b"}`: "b", `count(go_goroutines)`: "1"}
	for q, v := range want {
		require.NoError(t, infra.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) error {
			got, err := queryOne(ctx, p.URL, q)
			if err != nil {
				return err
			}
			if got != v {
				return fmt.Errorf("%s = %q, want %q", q, got, v)
			}
			return nil
		}))
	}
}

// queryOne returns the service label (or, without one, the value) of the one series q
// returns.
func queryOne(ctx context.Context, base, q string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", err
	}
	if n := len(body.Data.Result); n != 1 {
		return "", fmt.Errorf("%d series", n)
	}
	r := body.Data.Result[0]
	if s, ok := r.Metric["service"]; ok {
		return s, nil
	}
	v, _ := r.Value[1].(string)
	return v, nil
}
