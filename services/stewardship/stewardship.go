package stewardship

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/check"
	"github.com/gaoxing-gov/gaoxing/pkg/docref"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// service implements the contract's methods, one per RPC, named as there.
type service struct {
	// API serves ListAuditRecords and VerifyAuditChain over this service's chains.
	audit.API
	db          *sqlstore.DB
	audit       *audit.Sealer
	ring        *sealed.Ring
	enforcer    *authz.Enforcer
	docs        *docref.Checker // nil without a documents peer: references are checked for form only
	peers       *peers
	log         *slog.Logger
	now         func() time.Time
	partTimeout time.Duration
	limiter     *limiter
}

var (
	marshal   = protojson.MarshalOptions{}
	unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}

	creditPattern  = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{18}$`)
	subjectPattern = regexp.MustCompile(`^[A-Za-z0-9@._:-]{1,100}$`)
	fieldKey       = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

const dateLayout = "2006-01-02"

// cst is the zone's time zone: dates (visits, payments, ages) are days in China.
var cst = calendar.Location

// protoMessage is what scanJSON reads into.
type protoMessage = proto.Message

func clone[T proto.Message](m T) T { return proto.Clone(m).(T) }

func itoa(n int) string { return strconv.Itoa(n) }

func boolString(b bool) string { return strconv.FormatBool(b) }

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// text checks a free-text field (check.Text).
func text(field, v string, required bool, maxRunes int) error {
	return check.Text(field, v, required, maxRunes)
}

// date checks a YYYY-MM-DD field.
func date(field, v string, required bool) error {
	if v == "" && !required {
		return nil
	}
	if _, err := time.Parse(dateLayout, v); err != nil {
		return errs.Invalid(field, "INVALID_DATE", "日期应为 YYYY-MM-DD")
	}
	return nil
}

// creditCode normalises and checks a unified social credit code (GB 32100).
func creditCode(field, v string) (string, error) {
	c := govid.NormalizeCreditCode(v)
	if err := govid.ValidateCreditCode(c); err != nil {
		return "", errs.Invalid(field, "INVALID_CREDIT_CODE", "统一社会信用代码无效")
	}
	return c, nil
}

func parseParent(name string) (tenancy.ID, error) { return resname.Parent("parent", name) }

// parseEnterprise reads tenants/{tenant}/enterprises/{credit_code}.
func parseEnterprise(field, name string) (tenancy.ID, string, error) {
	t, cc, err := resname.Parse(field, name, "enterprises", creditPattern)
	if err != nil {
		return "", "", err
	}
	if govid.ValidateCreditCode(cc) != nil {
		return "", "", errs.Invalid(field, "INVALID_CREDIT_CODE", "统一社会信用代码无效")
	}
	return t, cc, nil
}

func enterpriseName(t tenancy.ID, cc string) string { return resname.Name(t, "enterprises", cc) }

// caller is the subject recorded as the actor of a change.
func caller(ctx context.Context) string {
	sub, _ := authn.Subject(ctx)
	return sub
}

// nextID is a new id with prefix ("A", "V", "P", "O") from the service's sequence of that kind.
func (s *service) nextID(ctx context.Context, prefix string) (string, error) {
	n, err := s.db.NextSeq(ctx, "stewardship/"+prefix)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%08d", prefix, n), nil
}

// asCaller is ctx for a call to another service as the caller: its token goes along, and
// the caller's cancellation no longer applies (the call has its own deadline).
func asCaller(ctx context.Context) context.Context {
	out := context.WithoutCancel(ctx)
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		out = metadata.AppendToOutgoingContext(out, "authorization", md.Get("authorization")[0])
	}
	return out
}
