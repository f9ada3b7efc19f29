package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/services/identity"
	"github.com/gaoxing-gov/gaoxing/services/legalaid"
)

// The mock court (e2e/mockcourt, built into bin/ by `make run`) beside the platform, for
// development: `gaoxing up --mock-court` registers its machine client in identity with
// the court_clerk role at the district, tells legalaid which court that client is, points
// the court's webhooks at it and runs it on loopback. A case filed with 高新区人民法院 is
// then registered, docketed, heard and judged by it, as in the end-to-end test. Its
// secrets are made once per data directory, so restarts change nothing.
const (
	mockCourtID       = "gaoxin_court"
	mockCourtTitle    = "高新区人民法院（模拟）"
	mockCourtCode     = "辽0391"
	mockCourtClient   = identity.ClientPrefix + "mock-court"
	mockCourtTenant   = "ahz" // the district
	mockCourtRole     = "court_clerk"
	mockCourtStopWait = 5 * time.Second
	kindDevelopment   = "development"
)

// mockCourtSecrets are the court's client secret and webhook secret for one data directory.
type mockCourtSecrets struct {
	ClientSecret  string `json:"client_secret"`
	WebhookSecret string `json:"webhook_secret"`
}

func loadOrCreateMockCourtSecrets(path string) (mockCourtSecrets, error) {
	var s mockCourtSecrets
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &s); err != nil {
			return s, fmt.Errorf("%s: %w", path, err)
		}
		if len(s.ClientSecret) < outbox.MinSecretLen || len(s.WebhookSecret) < outbox.MinSecretLen {
			return s, fmt.Errorf("%s: secrets need ≥ %d characters", path, outbox.MinSecretLen)
		}
		return s, nil
	case !errors.Is(err, fs.ErrNotExist):
		return s, err
	}
	s = mockCourtSecrets{ClientSecret: rand.Text() + rand.Text(), WebhookSecret: rand.Text() + rand.Text()}
	b, err = json.MarshalIndent(s, "", "  ")
	if err != nil {
		return s, err
	}
	return s, os.WriteFile(path, append(b, '\n'), 0o600)
}

// mockCourtBinary finds the mock court's program; a test may name its own build.
func (l *launcher) mockCourtBinary() (string, error) {
	if l.mockCourtBin != "" {
		return l.mockCourtBin, nil
	}
	return infra.Binary("mockcourt")
}

// startMockCourt prepares the platform's side (identity's client, legalaid's settings,
// the webhook receiver) and starts the court; it runs before the services start, which
// read both. A missing binary is a line and no court.
func (l *launcher) startMockCourt(ctx context.Context, etcd *clientv3.Client) error {
	bin, err := l.mockCourtBinary()
	if errors.Is(err, infra.ErrNoBinary) {
		fmt.Fprintln(l.out, "gaoxing: mockcourt is not built (make run builds it): no mock court")
		return nil
	}
	if err != nil {
		return err
	}
	c := l.add(&component{name: "mockcourt", kind: kindDevelopment})
	fail := func(err error) error {
		l.setState(c, stateFailed, err)
		return fmt.Errorf("mock court: %w", err)
	}
	if err := os.MkdirAll(l.path("mockcourt"), dataDirPermission); err != nil {
		return fail(err)
	}
	secrets, err := loadOrCreateMockCourtSecrets(l.path("mockcourt/secrets.json"))
	if err != nil {
		return fail(err)
	}
	if err := linkMockCourt(ctx, etcd); err != nil {
		return fail(err)
	}
	found := false
	for _, s := range l.services {
		if id, ok := s.(*identity.Server); ok {
			id.MachineClients = append(id.MachineClients, identity.ConfiguredMachineClient{ID: mockCourtClient,
				Tenant: mockCourtTenant, DisplayName: mockCourtTitle, Secret: secrets.ClientSecret, Roles: []string{mockCourtRole}})
			found = true
		}
	}
	if !found {
		return fail(errors.New("identity is not among the services: the court could get no token"))
	}

	logFile, err := l.logFile("mockcourt.log")
	if err != nil {
		return fail(err)
	}
	base := "http://" + l.frontAddr
	cmd := exec.Command(bin, "-api", base+"/api/legalaid", "-token-url", l.issuer()+"/oauth/token",
		"-client-id", mockCourtClient, "-court-code", mockCourtCode, "-listen", "127.0.0.1:0")
	cmd.Dir = l.path("mockcourt")
	cmd.Env = append(os.Environ(), "MOCKCOURT_SECRET="+secrets.WebhookSecret, "MOCKCOURT_CLIENT_SECRET="+secrets.ClientSecret)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	done := make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		_, _ = io.Copy(logFile, r)
		_ = cmd.Wait()
		close(done)
	}()
	l.onStop(c, func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
			return nil
		case <-time.After(mockCourtStopWait):
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("mock court still running %s after being told to stop: killed", mockCourtStopWait)
		}
	})
	var line string
	select {
	case line = <-lines:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(startTimeout):
		return fail(errors.New("did not say where it listens"))
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		return fail(fmt.Errorf("did not start (see %s): %q", l.path("mockcourt.log"), line))
	}
	l.mu.Lock()
	l.webhooks = outbox.StaticEndpoints{legalaid.CourtReceiver(mockCourtID): {URL: url + "/webhooks", Secret: []byte(secrets.WebhookSecret)}}
	c.address, c.pid, c.state = url, cmd.Process.Pid, stateRunning
	c.probe = func(ctx context.Context) error { return infra.CheckHTTP(ctx, url+"/deliveries") }
	l.mu.Unlock()
	go func() {
		// Like MinIO: shown as failed when it dies on its own, the platform keeps running.
		<-done
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.stopping {
			c.state, c.err = stateFailed, "the mock court exited on its own (see mockcourt.log)"
		}
	}()
	fmt.Fprintf(l.out, "gaoxing: mock court %s (%s, client %s; cases filed with %s reach it)\n", url, mockCourtCode, mockCourtClient, mockCourtID)
	return nil
}

// linkMockCourt puts the court and its client into legalaid's global settings, keeping
// everything else an operator set there.
func linkMockCourt(ctx context.Context, etcd *clientv3.Client) error {
	key := config.GlobalKey(legalaid.Name)
	resp, err := etcd.Get(ctx, key)
	if err != nil {
		return err
	}
	settings := map[string]any{}
	if len(resp.Kvs) == 1 {
		if err := json.Unmarshal(resp.Kvs[0].Value, &settings); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	courts, _ := settings["courts"].(map[string]any)
	if courts == nil {
		courts = map[string]any{}
	}
	clients, _ := settings["court_clients"].(map[string]any)
	if clients == nil {
		clients = map[string]any{}
	}
	if _, ok := courts[mockCourtID]; ok && clients[mockCourtClient] == mockCourtID {
		return nil
	}
	if _, ok := courts[mockCourtID]; !ok {
		courts[mockCourtID] = map[string]any{"title": mockCourtTitle, "code": mockCourtCode}
	}
	clients[mockCourtClient] = mockCourtID
	settings["courts"], settings["court_clients"] = courts, clients
	b, err := json.Marshal(settings)
	if err != nil {
		return err
	}
	_, err = etcd.Put(ctx, key, string(b))
	return err
}
