package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

// court is the mock court's state: the deliveries it saw and the cases it works on.
type court struct {
	api, code string
	tokens    tokenSource
	secret    []byte
	log       *slog.Logger
	http      *http.Client

	mu        sync.Mutex
	attempts  map[string]int // delivery id → tries seen
	events    []delivery     // new deliveries, in order
	failLeft  int
	seq       int
	queue     chan string // names of cases with news
	acted     int
	lastError string
}

type delivery struct {
	ID    string         `json:"id"`
	Topic string         `json:"topic"`
	Body  map[string]any `json:"body"`
}

// Report is what GET /deliveries answers.
type Report struct {
	Unique    int            `json:"unique"`
	Attempts  map[string]int `json:"attempts"`
	Events    []delivery     `json:"events"`
	Acted     int            `json:"acted"`
	LastError string         `json:"last_error,omitempty"`
}

func newCourt(api string, tokens tokenSource, secret []byte, code string, failFirst int, log *slog.Logger) *court {
	return &court{api: api, tokens: tokens, secret: secret, code: code, log: log, failLeft: failFirst,
		http: &http.Client{Timeout: 10 * time.Second}, attempts: map[string]int{}, queue: make(chan string, 1024)}
}

// receive takes one webhook: verified, counted, acted on once per delivery id.
func (c *court) receive(w http.ResponseWriter, r *http.Request) {
	rec, err := outbox.VerifyRequest(r, 5*time.Minute, c.secret)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	c.mu.Lock()
	c.attempts[rec.ID]++
	seen := c.attempts[rec.ID] > 1
	fail := false
	if !seen {
		var body map[string]any
		_ = json.Unmarshal(rec.Body, &body)
		c.events = append(c.events, delivery{ID: rec.ID, Topic: rec.Topic, Body: body})
		if name, ok := body["name"].(string); ok {
			c.queue <- name
		}
		if c.failLeft > 0 {
			c.failLeft--
			fail = true
		}
	}
	c.mu.Unlock()
	if fail {
		// Recorded, but the platform is told otherwise: it must redeliver under the same id.
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *court) report() Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	att := map[string]int{}
	for k, v := range c.attempts {
		att[k] = v
	}
	return Report{Unique: len(c.events), Attempts: att, Events: append([]delivery(nil), c.events...), Acted: c.acted, LastError: c.lastError}
}

// work acts on each case with news, one at a time, as a clerk would.
func (c *court) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case name := <-c.queue:
			if err := c.act(ctx, name); err != nil {
				c.log.Warn("mockcourt: act", "case", name, "err", err)
				c.mu.Lock()
				c.lastError = err.Error()
				c.mu.Unlock()
			}
		}
	}
}

// act reads the case and takes the next step a court takes; the step's own webhook
// brings the one after.
func (c *court) act(ctx context.Context, name string) error {
	var lc legalaidv1.Case
	if err := c.call(ctx, http.MethodGet, "/v1/"+name, nil, &lc); err != nil {
		return err
	}
	var path string
	var req proto.Message
	hearings := lc.GetHearings()
	trial := lc.GetTrial()
	switch {
	case lc.GetState() == legalaidv1.State_STATE_FILED:
		c.mu.Lock()
		c.seq++
		number := fmt.Sprintf("（%d）%s民初%d号", time.Now().Year(), c.code, c.seq)
		c.mu.Unlock()
		path, req = ":recordDocketing", &legalaidv1.RecordDocketingRequest{Etag: lc.GetEtag(), CourtCaseNumber: number, Title: "立案登记"}
	case lc.GetState() != legalaidv1.State_STATE_REGISTERED:
		return nil
	case len(hearings) > 0 && hearings[len(hearings)-1].GetOutcome() == legalaidv1.HearingOutcome_HEARING_OUTCOME_SCHEDULED:
		path, req = ":notifyCourtDate", &legalaidv1.NotifyCourtDateRequest{Etag: lc.GetEtag(), Hearing: hearings[len(hearings)-1].GetId(),
			Outcome: legalaidv1.HearingOutcome_HEARING_OUTCOME_HELD, Note: "双方到庭，完成举证质证"}
	case len(hearings) < 2:
		path, req = ":reserveCourtDate", &legalaidv1.ReserveCourtDateRequest{Etag: lc.GetEtag(),
			StartTime: timestamppb.New(nextWeekday(time.Now(), len(hearings)+1)), Courtroom: fmt.Sprintf("第%d法庭", len(hearings)+1)}
	case len(trial.GetSuspensions()) == 0:
		// An appraisal (鉴定) began just now: the trial clock stops until it ends.
		start := time.Now().Add(-time.Second)
		if reg := lc.GetRegistrationTime().AsTime(); start.Before(reg) {
			start = reg
		}
		path, req = ":suspendTrial", &legalaidv1.SuspendTrialRequest{Etag: lc.GetEtag(),
			Reason: legalaidv1.SuspensionReason_SUSPENSION_REASON_APPRAISAL, StartTime: timestamppb.New(start)}
	case trial.GetPaused():
		path, req = ":resumeTrial", &legalaidv1.ResumeTrialRequest{Etag: lc.GetEtag()}
	case lc.GetJudgment() == nil:
		path, req = ":recordJudgment", &legalaidv1.RecordJudgmentRequest{Etag: lc.GetEtag(), Outcome: "判决被告支付货款及利息"}
	default:
		return nil
	}
	if err := c.call(ctx, http.MethodPost, "/v1/"+name+path, req, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.acted++
	c.mu.Unlock()
	return nil
}

// nextWeekday is 09:00 China time on the n-th weekday after t, a court day by the
// weekend rule.
func nextWeekday(t time.Time, n int) time.Time {
	loc := time.FixedZone("CST", 8*3600)
	d := t.In(loc)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			n--
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, loc)
}

// call sends one request to the case API as the court's client.
func (c *court) call(ctx context.Context, method, path string, in, out proto.Message) error {
	var body io.Reader
	if in != nil {
		b, err := protojson.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u, err := url.JoinPath(c.api, path)
	if err != nil {
		return err
	}
	u, _ = url.PathUnescape(u)
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	token, err := c.tokens.token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, out)
	}
	return nil
}
