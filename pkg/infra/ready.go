package infra

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Poll calls check every interval until it returns nil, and returns the last error,
// wrapped, if ctx ends first. Readiness is always awaited this way, never by sleeping.
func Poll(ctx context.Context, interval time.Duration, check func(context.Context) error) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (%w)", err, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// probeClient has a short timeout so one hung probe cannot stall a status page.
var probeClient = &http.Client{Timeout: 2 * time.Second}

// CheckHTTP GETs url once and wants 200 OK.
func CheckHTTP(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
