package matters

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The enterprise register belongs to the stewardship service: 免申即享 reads the profiles
// its rules test from there, at evaluation, as the caller, so a policy never grants on a
// copy that has drifted from the register, and a caller evaluates only the enterprises
// it may read.

// ErrRegisterUnavailable is the answer while the stewardship service cannot be asked.
var ErrRegisterUnavailable = errs.New(errs.Unavailable, "REGISTER_UNAVAILABLE", "企业名录服务暂不可用，请稍后重试")

// registerPageSize is how many enterprises one call fetches; registerTimeout bounds each.
const (
	registerPageSize = 500
	registerTimeout  = 10 * time.Second
)

// register reads enterprise profiles from the stewardship service.
type register struct {
	client stewardshipv1.StewardshipServiceClient // nil: no stewardship peer
	conn   *grpc.ClientConn
}

// dialRegister connects to the stewardship peer at addr; "" leaves policies without
// profiles to evaluate (EvaluatePolicy answers REGISTER_UNAVAILABLE).
func dialRegister(addr string, log *slog.Logger) (*register, error) {
	if addr == "" {
		log.Warn("no stewardship peer; 免申即享 policies cannot be evaluated")
		return &register{}, nil
	}
	conn, err := kit.Dial(addr)
	if err != nil {
		return nil, fmt.Errorf("stewardship at %s: %w", addr, err)
	}
	return &register{client: stewardshipv1.NewStewardshipServiceClient(conn), conn: conn}, nil
}

func (r *register) Close() error {
	if r.conn == nil {
		return nil
	}
	return r.conn.Close()
}

// profile is one enterprise as the rules see it, with the tenant it is registered at.
type profile struct {
	tenant  tenancy.ID
	profile *mattersv1.EnterpriseProfile
}

// profiles lists every enterprise registered in t's subtree, as the caller.
func (r *register) profiles(ctx context.Context, t tenancy.ID) ([]profile, error) {
	if sqlstore.HasAnyTx(ctx) {
		return nil, errs.ErrInternal.Wrap(fmt.Errorf("matters: register read inside a transaction"))
	}
	if r.client == nil {
		return nil, ErrRegisterUnavailable
	}
	out := context.WithoutCancel(ctx)
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("authorization")) > 0 {
		out = metadata.AppendToOutgoingContext(out, "authorization", md.Get("authorization")[0])
	}
	var all []profile
	token := ""
	for {
		call, cancel := context.WithTimeout(out, registerTimeout)
		resp, err := r.client.ListEnterprises(call, &stewardshipv1.ListEnterprisesRequest{
			Parent: resname.Tenant(t), PageSize: registerPageSize, PageToken: token})
		cancel()
		switch status.Code(err) {
		case codes.OK:
		case codes.PermissionDenied, codes.Unauthenticated:
			return nil, errs.From(err)
		default:
			return nil, ErrRegisterUnavailable.Wrap(err)
		}
		for _, e := range resp.GetEnterprises() {
			tenant, _, ok := resname.Split(e.GetName(), "enterprises")
			if !ok {
				continue
			}
			all = append(all, profile{tenant: tenant, profile: &mattersv1.EnterpriseProfile{
				Name: e.GetName(), CreditCode: e.GetCreditCode(), EnterpriseName: e.GetEnterpriseName(), Industry: e.GetIndustry(),
				ScaleTags: e.GetScaleTags(), RegistrationDate: e.GetRegistrationDate(), TaxStatus: e.GetTaxStatus(),
				Attributes: e.GetAttributes(), UpdateTime: e.GetUpdateTime(),
			}})
		}
		if token = resp.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}
