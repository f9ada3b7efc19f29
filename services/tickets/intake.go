package tickets

import (
	"context"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// Errors of intake's caller rules: who a ticket comes from is the caller, never a field.
var (
	ErrSourceNotCaller = errs.New(errs.PermissionDenied, "SOURCE_NOT_CALLER",
		"诉求来源由提交方的身份决定：12345、营商环境平台和信访的诉求只能由其登记的接入系统提交")
	ErrExternalIDNotAllowed   = errs.New(errs.PermissionDenied, "EXTERNAL_ID_NOT_ALLOWED", "只有接入系统可以提交来源编号")
	ErrReceivedTimeNotAllowed = errs.New(errs.PermissionDenied, "RECEIVED_TIME_NOT_ALLOWED",
		"只有来源系统可以提交接收时间，其他诉求以受理时间为准")
)

// DefaultMaxBackdateDays is how far back a source client's received_time may lie unless
// the settings say otherwise.
const DefaultMaxBackdateDays = 30

// platformSources are the sources that are machines calling in (Receiver names), the only
// values Settings.SourceClients may map a client to.
var platformSources = map[string]ticketsv1.Source{}

func init() {
	for _, src := range []ticketsv1.Source{ticketsv1.Source_SOURCE_HOTLINE_12345, ticketsv1.Source_SOURCE_BUSINESS_PLATFORM, ticketsv1.Source_SOURCE_PETITION} {
		platformSources[Receiver(src)] = src
	}
}

// filing is what the caller decides about a new ticket.
type filing struct {
	source   ticketsv1.Source
	external string    // the source's external id, scoped to the caller
	received time.Time // when the source received it
}

// intakeOf applies the caller rules to in. A machine client registered as a source
// (Settings.SourceClients, keyed by the client id its token carries as subject) files
// as that source, may send its external id as is and a received_time up to
// MaxBackdateDays back. Anyone else files as what they are: staff at a window as walk-in,
// citizens, enterprises and other applications as online (either may mark a suggestion
// instead); they may not name a platform source or backdate, and only applications may
// send their own ids, which are kept under the application's client id so that two
// applications' ids never meet.
func (s *service) intakeOf(ctx context.Context, in *ticketsv1.Ticket, now time.Time) (filing, error) {
	p, _ := authn.FromContext(ctx)
	set := s.settings.Get()
	asked := in.GetSource()
	if _, ok := ticketsv1.Source_name[int32(asked)]; !ok {
		return filing{}, errs.Invalid("ticket.source", "INVALID_SOURCE", "诉求来源不正确")
	}
	if p.Kind == authn.Service {
		if src, ok := platformSources[set.SourceClients[p.Subject]]; ok {
			if asked != ticketsv1.Source_SOURCE_UNSPECIFIED && asked != src {
				return filing{}, sourceNotCaller(asked)
			}
			received, err := receivedAt(in, now, set.backdateWindow())
			return filing{source: src, external: in.GetExternalId(), received: received}, err
		}
	}
	own := ticketsv1.Source_SOURCE_ONLINE
	if p.Kind == authn.Staff {
		own = ticketsv1.Source_SOURCE_WALK_IN
	}
	switch asked {
	case ticketsv1.Source_SOURCE_UNSPECIFIED:
		asked = own
	case own, ticketsv1.Source_SOURCE_SUGGESTION:
	default:
		return filing{}, sourceNotCaller(asked)
	}
	if in.GetReceivedTime() != nil {
		return filing{}, ErrReceivedTimeNotAllowed.WithField("ticket.received_time", ErrReceivedTimeNotAllowed.Code, "请不要填写接收时间")
	}
	out := filing{source: asked, received: now}
	if ext := in.GetExternalId(); ext != "" {
		if p.Kind != authn.Service || p.Subject == "" {
			return filing{}, ErrExternalIDNotAllowed.WithField("ticket.external_id", ErrExternalIDNotAllowed.Code, "请不要填写来源编号")
		}
		// '/' never occurs in an external id a caller sends, so no caller can send one
		// that lands in another application's space.
		out.external = p.Subject + "/" + ext
	}
	return out, nil
}

func sourceNotCaller(asked ticketsv1.Source) error {
	return ErrSourceNotCaller.WithMessage("您不能以「%s」来源提交诉求", asked).
		WithField("ticket.source", ErrSourceNotCaller.Code, "诉求来源由提交方的身份决定")
}

// backdateWindow is how far back a source client's received_time may lie.
func (s Settings) backdateWindow() time.Duration {
	days := s.MaxBackdateDays
	if days <= 0 {
		days = DefaultMaxBackdateDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// validateSources checks the source-client settings.
func (s Settings) validateSources() error {
	for client, src := range s.SourceClients {
		if _, ok := platformSources[src]; !ok || client == "" {
			return config.Field("source_clients."+client, errs.Newf(errs.InvalidArgument, "INVALID_SOURCE", "来源 %q 应为 hotline_12345、business_platform 或 petition", src))
		}
	}
	if s.MaxBackdateDays < 0 || s.MaxBackdateDays > 366 {
		return config.Field("max_backdate_days", errs.New(errs.InvalidArgument, "OUT_OF_RANGE", "补录天数应在 1—366 之间"))
	}
	return nil
}
