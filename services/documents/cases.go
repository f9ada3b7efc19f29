package documents

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

// A confidential case file (涉密案件材料) is for the people of its case only. The role's
// documents.confidential says what kind of person may see such files at a tenant (legal
// roles, not a community clerk); which case's files is the legal-aid service's answer:
// the case's court, the lawyer it is assigned to, the holders of the caseload. So for a
// confidential document whose owner is a case, documents asks legalaid, as the caller,
// whether the caller reaches that case, and refuses it otherwise.

// caseOwnerPattern matches the owner link of a case file.
var caseOwnerPattern = regexp.MustCompile(`^tenants/[a-z0-9]+(\.[a-z0-9]+)*/cases/[A-Za-z0-9_-]{1,64}$`)

// ErrCasesUnavailable is the answer when the legal-aid service did not answer (or is not
// configured), so who may see a confidential case file cannot be decided; the request
// may be retried.
var ErrCasesUnavailable = errs.New(errs.Unavailable, "CASES_UNAVAILABLE", "案件服务暂不可用，无法核对案件材料的查阅权限")

// caseTimeout bounds one question to the legal-aid service.
const caseTimeout = 5 * time.Second

// cases asks the legal-aid service whether the caller reaches a case. A nil *cases (no
// legalaid peer) refuses every confidential case file: it fails closed.
type cases struct {
	client legalaidv1.LegalAidServiceClient
	conn   *grpc.ClientConn
}

func dialCases(addr string, log *slog.Logger) (*cases, error) {
	if addr == "" {
		log.Info("no legalaid peer; confidential case files are refused")
		return nil, nil
	}
	conn, err := kit.Dial(addr)
	if err != nil {
		return nil, fmt.Errorf("legalaid at %s: %w", addr, err)
	}
	return &cases{client: legalaidv1.NewLegalAidServiceClient(conn), conn: conn}, nil
}

func (c *cases) close() {
	if c != nil {
		_ = c.conn.Close()
	}
}

// authorizationKey carries the bearer of a request that came over plain HTTP (the
// download route), which has no incoming gRPC metadata to forward.
type authorizationKey struct{}

func withAuthorization(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, authorizationKey{}, header)
}

// reaches says whether the caller of ctx reaches case (a case owner link): nil, or
// ErrConfidentialDenied, or ErrCasesUnavailable.
func (c *cases) reaches(ctx context.Context, name string) error {
	if c == nil {
		return ErrCasesUnavailable
	}
	auth, _ := ctx.Value(authorizationKey{}).(string)
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		auth = md.Get("authorization")[0]
	}
	out := metadata.NewOutgoingContext(context.WithoutCancel(ctx), metadata.Pairs("authorization", auth))
	out, cancel := context.WithTimeout(out, caseTimeout)
	defer cancel()
	_, err := c.client.GetCase(out, &legalaidv1.GetCaseRequest{Name: name})
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound, codes.PermissionDenied, codes.InvalidArgument, codes.Unauthenticated:
		return ErrConfidentialDenied
	}
	return ErrCasesUnavailable.Wrap(err)
}
