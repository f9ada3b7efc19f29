package outbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Webhook headers.
const (
	HeaderSignature = "X-Gaoxing-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256>
	HeaderDelivery  = "X-Gaoxing-Delivery"  // the delivery id, the same on every try
	HeaderEvent     = "X-Gaoxing-Event"     // the topic
	HeaderTenant    = "X-Gaoxing-Tenant"
)

// Endpoint is where and how a receiver gets its webhooks.
type Endpoint struct {
	URL    string
	Secret []byte // shared with the receiver; at least 32 random bytes
}

// Endpoints resolves a receiver name to its endpoint, per tenant (a court may register
// one endpoint for the whole district, or one per tenant).
type Endpoints interface {
	Endpoint(ctx context.Context, tenant tenancy.ID, receiver string) (Endpoint, error)
}

// StaticEndpoints is an Endpoints from configuration: one endpoint per receiver name, the
// same for every tenant.
type StaticEndpoints map[string]Endpoint

// ErrUnknownReceiver is a receiver no endpoint is configured for; the event is retried
// (the configuration may arrive) and goes dead when its tries run out.
var ErrUnknownReceiver = errors.New("outbox: no endpoint for receiver")

// Endpoint implements Endpoints.
func (s StaticEndpoints) Endpoint(_ context.Context, _ tenancy.ID, receiver string) (Endpoint, error) {
	e, ok := s[receiver]
	if !ok {
		return Endpoint{}, fmt.Errorf("%w %q", ErrUnknownReceiver, receiver)
	}
	return e, nil
}

// Webhooks is the Sender that POSTs events to their receivers' endpoints.
type Webhooks struct {
	Endpoints Endpoints
	// Client defaults to an http.Client that does not follow redirects (a 3xx is a failed
	// try: the receiver must give its final URL). Its timeout is the Dispatcher's.
	Client *http.Client
	// UserAgent defaults to "Gaoxing-Webhook/1".
	UserAgent string
}

var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Send implements Sender: one signed POST; any 2xx is delivered; 410 Gone is refused for
// good; anything else is retried.
func (w *Webhooks) Send(ctx context.Context, d Delivery) error {
	ep, err := w.Endpoints.Endpoint(ctx, d.Tenant, d.Receiver)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return Permanent(fmt.Errorf("outbox: endpoint of %q: %w", d.Receiver, err))
	}
	ua := w.UserAgent
	if ua == "" {
		ua = "Gaoxing-Webhook/1"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderEvent, d.Topic)
	req.Header.Set(HeaderTenant, string(d.Tenant))
	req.Header.Set(HeaderSignature, Sign(ep.Secret, time.Now(), d.Payload))
	client := w.Client
	if client == nil {
		client = noRedirects
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	// A short excerpt of the answer helps whoever reads the dead letter.
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(excerpt)))
	if resp.StatusCode == http.StatusGone {
		return Permanent(err)
	}
	return err
}

// Sign returns the X-Gaoxing-Signature value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of VerifySignature.
var (
	ErrBadSignature = errors.New("outbox: webhook signature does not match")
	ErrStale        = errors.New("outbox: webhook timestamp outside the allowed age")
)

// VerifySignature checks a signature header against body: it must carry a timestamp no
// further than maxAge from now (either way, for clock skew) and a v1 value made with one
// of secrets (several while a secret is being rotated).
func VerifySignature(header string, body []byte, now time.Time, maxAge time.Duration, secrets ...[]byte) error {
	var (
		ts   string
		sigs [][]byte
	)
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed header", ErrBadSignature)
	}
	if age := now.Sub(time.Unix(unix, 0)); age > maxAge || age < -maxAge {
		return fmt.Errorf("%w: signed %v ago", ErrStale, age.Round(time.Second))
	}
	for _, secret := range secrets {
		want := mac(secret, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return ErrBadSignature
}

// Received is a webhook whose signature checked out.
type Received struct {
	ID     string // delivery id: de-duplicate on it
	Topic  string
	Tenant tenancy.ID
	Body   []byte
}

// VerifyRequest reads a webhook request (at most MaxPayload bytes) and checks its
// signature as VerifySignature does. Receivers written in Go use it; others follow the
// header format documented on Sign.
func VerifyRequest(r *http.Request, maxAge time.Duration, secrets ...[]byte) (Received, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		return Received{}, fmt.Errorf("outbox: read webhook: %w", err)
	}
	if len(body) > MaxPayload {
		return Received{}, fmt.Errorf("outbox: webhook body over %d bytes", MaxPayload)
	}
	if err := VerifySignature(r.Header.Get(HeaderSignature), body, time.Now(), maxAge, secrets...); err != nil {
		return Received{}, err
	}
	id := r.Header.Get(HeaderDelivery)
	if id == "" {
		return Received{}, errors.New("outbox: webhook without delivery id")
	}
	return Received{ID: id, Topic: r.Header.Get(HeaderEvent), Tenant: tenancy.ID(r.Header.Get(HeaderTenant)), Body: body}, nil
}

// permanent marks an error after which trying again cannot help.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so the Dispatcher sets the event aside as dead at once instead of
// retrying.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err was made by Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}
