package observe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
	identityv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/identity/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

const home tenancy.ID = "ahz.s01.c01"

// The personal information the flow hands the platform; none may reach a span.
const (
	citizenName      = "欧阳明远"
	citizenIDNumber  = "11010519491231002X"
	citizenPhone     = "13812345678"
	complainantName  = "司马静怡"
	complainantPhone = "13987654321"
)

// What looks like personal information wherever it appears: a mainland mobile number or
// an ID card number (18 characters, the last a digit or X).
var (
	phonePattern    = regexp.MustCompile(`(^|\D)1[3-9]\d{9}(\D|$)`)
	idNumberPattern = regexp.MustCompile(`(^|\D)\d{17}[\dXx](\W|$)`)
)

// TestObserved runs one citizen's day through the platform with tracing exported to
// Jaeger and metrics scraped by Prometheus, then reads both back through their query
// APIs: the submission is one trace across three services with its SQL and MinIO work,
// no span carries the personal information handed in, and a stopped MinIO shows up as
// error spans and a firing alert.
func TestObserved(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every service with Jaeger, Prometheus, etcd and MinIO")
	}
	s := startStack(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	admin := s.env.Grant(t, "m-admin", "platform_admin", home, authn.Staff)
	citizen := s.env.Grant(t, "m-citizen", "citizen", home, authn.Citizen)
	tenant := "tenants/" + string(home)

	// Staff work outside the traced submission: the matter offered, the citizen's account.
	var en mattersv1.Enablement
	s.create(ctx, t, s.urls["matters"]+"/v1/"+tenant+"/enablements", admin,
		&mattersv1.EnableMatterRequest{Parent: tenant, Matter: "matters/LHJYDJ"}, &en)
	var user identityv1.User
	s.create(ctx, t, s.urls["identity"]+"/v1/"+tenant+"/users", admin, &identityv1.CreateUserRequest{
		Parent: tenant, IdNumber: citizenIDNumber, Password: "Citizen-Secret-2026",
		User: &identityv1.User{Username: "oyang", DisplayName: citizenName, Kind: "citizen"},
	}, &user)
	var found identityv1.User
	s.create(ctx, t, s.urls["identity"]+"/v1/"+tenant+"/users:findByIdNumber", admin,
		&identityv1.FindUserByIDNumberRequest{Parent: tenant, IdNumber: citizenIDNumber}, &found)
	require.Equal(t, user.GetName(), found.GetName())

	// The submission, as the portal makes it: one user action, one trace.
	sctx, root := otel.Tracer("e2e").Start(ctx, "portal.Submit")
	q := url.Values{"filename": {citizenName + "-身份证.pdf"}, "owner": {tenant + "/intakes/online"}}
	st, body := s.do(sctx, t, http.MethodPost, s.urls["documents"]+"/v1/"+tenant+"/documents:upload?"+q.Encode(), citizen,
		"application/pdf", []byte("%PDF-1.7\n% "+citizenName+" "+citizenIDNumber+"\n%%EOF\n"))
	require.Equal(t, http.StatusCreated, st, "%s", body)
	var doc documentsv1.Document
	require.NoError(t, protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, &doc))
	var a mattersv1.Application
	s.create(sctx, t, s.urls["matters"]+"/v1/"+tenant+"/applications", citizen, &mattersv1.Application{
		Matter: "matters/LHJYDJ", Channel: mattersv1.Channel_CHANNEL_ONLINE,
		Applicant: &mattersv1.Applicant{Name: citizenName, Phone: citizenPhone},
		Materials: []*mattersv1.SubmittedMaterial{{Name: "居民身份证", Document: doc.GetName()}},
	}, &a)
	var tk ticketsv1.Ticket
	s.create(sctx, t, s.urls["tickets"]+"/v1/"+tenant+"/tickets", citizen, &ticketsv1.Ticket{
		Category: "general", Title: "夜间施工噪声扰民",
		Description: "小区旁工地夜间施工，噪声很大。联系人" + complainantName + "，电话" + complainantPhone + "。",
		Complainant: &ticketsv1.Complainant{Name: complainantName, Phone: complainantPhone},
		Attachments: []string{doc.GetName()},
	}, &tk)
	root.End()
	traceID := root.SpanContext().TraceID().String()

	t.Run("one submission is one trace across services with SQL and MinIO", func(t *testing.T) {
		var tr jaegerTrace
		want := []string{"documents", "matters", "tickets"}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		require.NoError(t, infra.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) error {
			got, err := s.traces(ctx, "/api/traces/"+traceID, nil)
			if err != nil {
				return err
			}
			if len(got) != 1 {
				return fmt.Errorf("%d traces", len(got))
			}
			tr = got[0]
			if missing := missingServices(tr, want); len(missing) > 0 {
				return fmt.Errorf("no spans yet from %v", missing)
			}
			if !hasSpan(tr, isSQL) || !hasSpan(tr, isMinIO) || !hasSpan(tr, isDocrefCall) {
				return errors.New("SQL, MinIO or docref spans not there yet")
			}
			return nil
		}), "trace %s: %s", traceID, summary(tr))
		t.Logf("trace %s: %s", traceID, summary(tr))
		for _, sp := range tr.Spans {
			if tn, ok := sp.tag("gaoxing.tenant"); ok {
				require.Equal(t, string(home), tn, "span %s", sp.OperationName)
			}
		}
	})

	t.Run("a latency sample leads to its trace", func(t *testing.T) {
		// The ticket's creation was measured inside the submission's trace: the bucket it
		// fell in carries that trace's id as its exemplar once Prometheus has scraped it.
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		require.NoError(t, infra.Poll(ctx, 250*time.Millisecond, func(ctx context.Context) error {
			ids, err := s.exemplarTraceIDs(ctx, `gaoxing_rpc_duration_seconds_bucket{service="tickets",method="CreateTicket"}`)
			if err != nil {
				return err
			}
			if !slices.Contains(ids, traceID) {
				return fmt.Errorf("exemplars name traces %v, not %s yet", ids, traceID)
			}
			return nil
		}))
	})

	t.Run("no personal information in any span", func(t *testing.T) {
		// Every trace of every service Jaeger knows, read once the submission's is in.
		services, err := s.services(ctx)
		require.NoError(t, err)
		require.Subset(t, services, []string{"identity", "documents", "matters", "tickets"})
		literal := []string{citizenName, citizenIDNumber, strings.ToLower(citizenIDNumber), citizenPhone, complainantName, complainantPhone}
		spans, controls := 0, 0
		for _, svc := range services {
			traces, err := s.serviceTraces(ctx, svc)
			require.NoError(t, err)
			for _, tr := range traces {
				for _, sp := range tr.Spans {
					spans++
					for where, text := range spanTexts(tr, sp) {
						if text == a.GetName() || text == tk.GetName() {
							controls++ // the record ids are there: the scan reads the attributes
						}
						for _, l := range literal {
							require.NotContains(t, text, l, "span %q (%s) %s", sp.OperationName, serviceOf(tr, sp), where)
						}
						require.False(t, phonePattern.MatchString(text), "a phone number in span %q %s: %s", sp.OperationName, where, text)
						require.False(t, idNumberPattern.MatchString(text), "an ID card number in span %q %s: %s", sp.OperationName, where, text)
					}
				}
			}
		}
		t.Logf("%d spans of %d services scanned", spans, len(services))
		require.Positive(t, spans)
		require.Positive(t, controls, "no span names the application or the ticket: the scan reads nothing")
	})

	t.Run("the exported metric names are the listed ones", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		s.checkMetricNames(ctx, t)
	})

	t.Run("MinIO stopped: error spans and a firing alert", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		s.minio.Stop()
		t.Cleanup(s.minio.Restart) // the services stop cleanly with it back
		failed := 0
		require.NoError(t, infra.Poll(ctx, 500*time.Millisecond, func(ctx context.Context) error {
			st, body := s.do(ctx, t, http.MethodPost, s.urls["documents"]+"/v1/"+tenant+"/documents:upload?filename=a.pdf&owner="+
				url.QueryEscape(tenant+"/intakes/online"), citizen, "application/pdf", []byte("%PDF-1.7\n%%EOF\n"))
			if st < 500 {
				return fmt.Errorf("upload with MinIO stopped: %d %s", st, body)
			}
			failed++
			alerts, err := s.alerts(ctx)
			if err != nil {
				return err
			}
			for _, a := range alerts {
				if a.Labels["alertname"] == "GaoxingServerErrors" && a.Labels["service"] == "documents" && a.State == "firing" {
					return nil
				}
			}
			return fmt.Errorf("no firing GaoxingServerErrors for documents yet (%d failed uploads): %v", failed, alerts)
		}))
		t.Logf("GaoxingServerErrors fired for documents after %d failed uploads", failed)

		var errSpans []string
		require.NoError(t, infra.Poll(ctx, 200*time.Millisecond, func(ctx context.Context) error {
			traces, err := s.traces(ctx, "/api/traces", url.Values{"service": {"documents"}, "lookback": {"1h"}, "limit": {"500"},
				"tags": {`{"error":"true"}`}})
			if err != nil {
				return err
			}
			errSpans = errSpans[:0]
			for _, tr := range traces {
				for _, sp := range tr.Spans {
					if isMinIO(sp) && isError(sp) {
						errSpans = append(errSpans, sp.OperationName)
					}
				}
			}
			if len(errSpans) == 0 {
				return fmt.Errorf("no MinIO error span among %d error traces", len(traces))
			}
			return nil
		}))
		t.Logf("%d MinIO error spans found through the query API", len(errSpans))
	})
}

func isSQL(sp jaegerSpan) bool {
	_, ok := sp.tag("db.system.name")
	return ok
}

func isMinIO(sp jaegerSpan) bool { return strings.HasPrefix(sp.OperationName, "minio ") }

// isDocrefCall is matters' or tickets' gRPC call to documents (the reference check).
func isDocrefCall(sp jaegerSpan) bool {
	kind, _ := sp.tag("span.kind")
	return kind == "client" && strings.HasPrefix(sp.OperationName, "gaoxing.documents.v1.")
}

func isError(sp jaegerSpan) bool {
	e, _ := sp.tag("error")
	return e == "true"
}

func hasSpan(tr jaegerTrace, f func(jaegerSpan) bool) bool { return slices.ContainsFunc(tr.Spans, f) }

func serviceOf(tr jaegerTrace, sp jaegerSpan) string { return tr.Processes[sp.ProcessID].ServiceName }

func missingServices(tr jaegerTrace, want []string) []string {
	have := map[string]bool{}
	for _, sp := range tr.Spans {
		have[serviceOf(tr, sp)] = true
	}
	var missing []string
	for _, w := range want {
		if !have[w] {
			missing = append(missing, w)
		}
	}
	return missing
}

// summary is the trace's spans counted by service and operation, for the test log.
func summary(tr jaegerTrace) string {
	n := map[string]int{}
	for _, sp := range tr.Spans {
		n[serviceOf(tr, sp)+" "+sp.OperationName]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %3d × %s", n[k], k)
	}
	return b.String()
}

// spanTexts is every string a span shows: its name, its tags, its events' fields and its
// process's tags, by where they are.
func spanTexts(tr jaegerTrace, sp jaegerSpan) map[string]string {
	out := map[string]string{"name": sp.OperationName}
	for _, tg := range sp.Tags {
		out["tag "+tg.Key] = fmt.Sprint(tg.Value)
	}
	for i, l := range sp.Logs {
		for _, f := range l.Fields {
			out[fmt.Sprintf("event %d %s", i, f.Key)] = fmt.Sprint(f.Value)
		}
	}
	for _, tg := range tr.Processes[sp.ProcessID].Tags {
		out["process "+tg.Key] = fmt.Sprint(tg.Value)
	}
	return out
}
