package observe

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
)

var update = flag.Bool("update", false, "rewrite "+metricsList+" from what the services export")

// metricsList is every gaoxing_* series name the services export, one a line: the
// chart's tests check that its dashboards and alerting rules use only these.
const metricsList = "../../charts/testdata/metrics.txt"

// eventOnly are exported names a scrape shows only after an event this test does not
// cause, each with the event.
var eventOnly = map[string]string{
	"gaoxing_sla_crossings_total":             "a deadline's 50/75/100 % threshold crossed (days after filing)",
	"gaoxing_outbox_delivered_total":          "an event delivered to a webhook receiver (none configured here)",
	"gaoxing_outbox_dead_total":               "an event set aside as dead",
	"gaoxing_etcdwatch_reload_failures_total": "a view's reload failing while etcd is away",
	"gaoxing_etcdwatch_reloads_total":         "a view reloaded after a watch gap",
	"gaoxing_outbox_dead_letters":             "an event dead in the outbox",
	"gaoxing_config_rejected_total":           "a dynamic setting refused",
}

// checkMetricNames scrapes the services (one registry for the process) once the SLA
// gauges and outbox gauges have values, and compares the names with metricsList.
func (s *stack) checkMetricNames(ctx context.Context, t *testing.T) {
	t.Helper()
	want := []string{"gaoxing_sla_cases", "gaoxing_outbox_pending", "gaoxing_outbox_lag_seconds",
		"gaoxing_etcdwatch_applied_revision", "gaoxing_etcdwatch_applied_time_seconds", "gaoxing_rpc_calls_total"}
	var names []string
	require.NoError(t, infra.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) error {
		var err error
		if names, err = scrapeNames(ctx, s.bases["tickets"]+"/metrics"); err != nil {
			return err
		}
		for _, w := range want {
			if !slices.Contains(names, w) {
				return fmt.Errorf("%s not exported yet", w)
			}
		}
		return nil
	}))
	all := slices.Clone(names)
	for n := range eventOnly {
		if !slices.Contains(all, n) {
			all = append(all, n)
		}
	}
	slices.Sort(all)
	if *update {
		require.NoError(t, os.WriteFile(metricsList, []byte(strings.Join(all, "\n")+"\n"), 0o600))
	}
	b, err := os.ReadFile(metricsList)
	require.NoError(t, err)
	require.Equal(t, all, strings.Fields(string(b)), "%s is stale: run go test ./e2e/observe -update", metricsList)
}

// scrapeNames is the sorted gaoxing_* series names a /metrics page shows.
func scrapeNames(ctx context.Context, url string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "gaoxing_") {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		seen[name] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, sc.Err()
}
