package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// tokenSource gives the court's bearer token for the next call.
type tokenSource interface {
	token(ctx context.Context) (string, error)
}

// staticToken is a token given on start (the end-to-end test's, minted by its issuer).
type staticToken string

func (s staticToken) token(context.Context) (string, error) { return string(s), nil }

// clientCredentials gets the court's token from identity by the client-credentials
// grant, as a real court's system would, and gets a new one shortly before it expires.
type clientCredentials struct {
	url, id, secret string
	http            *http.Client

	mu      sync.Mutex
	current string
	expiry  time.Time
}

func (c *clientCredentials) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != "" && time.Now().Before(c.expiry) {
		return c.current, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: %d %s", resp.StatusCode, b)
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(b, &t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("token: unreadable answer %s", b)
	}
	// A minute early, so that no call carries a token that expires on the way.
	life := time.Duration(t.ExpiresIn)*time.Second - time.Minute
	if life < 0 {
		life = 0
	}
	c.current, c.expiry = t.AccessToken, time.Now().Add(life)
	return c.current, nil
}
