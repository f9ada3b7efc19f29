package stewardship

import (
	"context"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// The 360° view of an enterprise: its own parts here (visits, problems, arrears) and the
// parts other services hold (applications in matters, tickets, cases in legal aid),
// gathered concurrently. Each remote part has its own deadline and is asked as the
// caller, so it shows what the caller may see there; a service that is down, slow or
// refuses leaves its part marked unavailable with the reason, and the view still answers
// within about one part deadline.

// viewItems is how many records a part lists (its total counts them all up to a page).
const viewItems = 20

// remotePart is one part gathered from another service: adding a service to the view is
// one entry in remoteParts.
type remotePart struct {
	part, peer string
	// atRoot: the part is asked at the district the enterprise's tenant belongs to (legal
	// aid serves the district only), else at the enterprise's tenant.
	atRoot bool
	fetch  func(ctx context.Context, conn *grpc.ClientConn, parent, creditCode string) ([]*stewardshipv1.Item, int32, error)
}

var remoteParts = []remotePart{
	{part: "applications", peer: "matters", fetch: fetchApplications},
	{part: "tickets", peer: "tickets", fetch: fetchTickets},
	{part: "cases", peer: "legalaid", atRoot: true, fetch: fetchCases},
}

func fetchCases(ctx context.Context, conn *grpc.ClientConn, parent, cc string) ([]*stewardshipv1.Item, int32, error) {
	resp, err := legalaidv1.NewLegalAidServiceClient(conn).ListCases(ctx, &legalaidv1.ListCasesRequest{
		Parent: parent, CreditCode: cc, PageSize: viewItems})
	if err != nil {
		return nil, 0, err
	}
	var out []*stewardshipv1.Item
	for _, c := range resp.GetCases() {
		out = append(out, &stewardshipv1.Item{Name: c.GetName(), Title: firstLine(c.GetClaims()), State: c.GetState().String(), Time: c.GetCreateTime()})
	}
	return out, int32(len(out)), nil
}

func fetchApplications(ctx context.Context, conn *grpc.ClientConn, parent, cc string) ([]*stewardshipv1.Item, int32, error) {
	resp, err := mattersv1.NewMattersServiceClient(conn).ListApplications(ctx, &mattersv1.ListApplicationsRequest{
		Parent: parent, CreditCode: cc, PageSize: viewItems})
	if err != nil {
		return nil, 0, err
	}
	var out []*stewardshipv1.Item
	for _, a := range resp.GetApplications() {
		out = append(out, &stewardshipv1.Item{Name: a.GetName(), Title: a.GetMatter(), State: a.GetState().String(), Time: a.GetCreateTime()})
	}
	return out, int32(len(out)), nil
}

func fetchTickets(ctx context.Context, conn *grpc.ClientConn, parent, cc string) ([]*stewardshipv1.Item, int32, error) {
	resp, err := ticketsv1.NewTicketsServiceClient(conn).ListTickets(ctx, &ticketsv1.ListTicketsRequest{
		Parent: parent, CreditCode: cc, PageSize: viewItems})
	if err != nil {
		return nil, 0, err
	}
	var out []*stewardshipv1.Item
	for _, t := range resp.GetTickets() {
		out = append(out, &stewardshipv1.Item{Name: t.GetName(), Title: t.GetTitle(), State: t.GetState().String(), Time: t.GetCreateTime()})
	}
	return out, int32(len(out)), nil
}

// GetEnterprise360 gathers the view (see the contract).
func (s *service) GetEnterprise360(ctx context.Context, r *stewardshipv1.GetEnterprise360Request) (*stewardshipv1.Enterprise360, error) {
	e, err := s.enterpriseAt(ctx, "name", r.GetName())
	if err != nil {
		return nil, err
	}
	cc := e.record.GetCreditCode()
	root := e.tenant
	if up := e.tenant.Ancestors(); len(up) > 0 {
		root = up[0]
	}
	parts := make([]*stewardshipv1.Part, len(remoteParts))
	var wg sync.WaitGroup
	caller := asCaller(ctx)
	for i, rp := range remoteParts {
		parts[i] = &stewardshipv1.Part{Part: rp.part, Source: rp.peer}
		conn := s.peers.conns[rp.peer]
		if conn == nil {
			parts[i].Error = "PEER_NOT_CONFIGURED"
			continue
		}
		wg.Go(func() {
			call, cancel := context.WithTimeout(caller, s.partTimeout)
			defer cancel()
			at := e.tenant
			if rp.atRoot {
				at = root
			}
			items, total, err := rp.fetch(call, conn, resname.Tenant(at), cc)
			if err != nil {
				parts[i].Error = partError(err)
				return
			}
			parts[i].Available, parts[i].Items, parts[i].Total = true, items, total
		})
	}
	out := &stewardshipv1.Enterprise360{}
	local, lerr := s.localParts(ctx, e)
	wg.Wait()
	if lerr != nil {
		return nil, lerr
	}
	if out.Enterprise, err = s.full(ctx, e); err != nil {
		return nil, err
	}
	out.Parts = append(local, parts...)
	return out, nil
}

// partError is the stable reason a remote part is unavailable.
func partError(err error) string {
	if e := errs.From(err); e != nil && e.Code != "" && e.Code != "INTERNAL" {
		return e.Code
	}
	return status.Code(err).String()
}

// localParts are the parts this service holds.
func (s *service) localParts(ctx context.Context, e *enterprise) ([]*stewardshipv1.Part, error) {
	cc := e.record.GetCreditCode()
	visits, err := s.visits(ctx, cc, "", viewItems)
	if err != nil {
		return nil, err
	}
	vp := &stewardshipv1.Part{Part: "visits", Source: Name, Available: true, Total: int32(len(visits))}
	for _, v := range visits {
		vp.Items = append(vp.Items, &stewardshipv1.Item{Name: v.GetName(), Title: firstLine(v.GetNotes()), State: v.GetVisitDate(), Time: v.GetCreateTime()})
	}
	problems, err := s.problems(ctx, e.tenant, cc, 0, "", viewItems)
	if err != nil {
		return nil, err
	}
	pp := &stewardshipv1.Part{Part: "problems", Source: Name, Available: true, Total: int32(len(problems))}
	for _, p := range problems {
		pp.Items = append(pp.Items, &stewardshipv1.Item{Name: p.GetName(), Title: p.GetTitle(), State: p.GetState().String(), Time: p.GetUpdateTime()})
	}
	// Arrears owed to the enterprise, in whichever tenant's ledger the caller may read.
	all, err := sqlstore.QueryAll(ctx, s.db, scanDebt, `SELECT `+debtColumns+` FROM debts WHERE creditor_credit_code = $1
		ORDER BY tenant, ledger_no LIMIT 200`, cc)
	if err != nil {
		return nil, err
	}
	sub := caller(ctx)
	var debts []*debtRow
	for _, d := range all {
		if s.enforcer.Allowed(sub, d.tenant, ObjArrears, "read") && len(debts) < viewItems {
			debts = append(debts, d)
		}
	}
	ap := &stewardshipv1.Part{Part: "arrears", Source: Name, Available: true, Total: int32(len(debts))}
	for _, d := range debts {
		ap.Items = append(ap.Items, &stewardshipv1.Item{Name: d.proto().GetName(), Title: d.department + " " + d.facts.Subject + " 余额 " +
			formatMoney(d.ledger.balance()) + " 元", State: d.ledger.class.String(), Time: ts(d.updated)})
	}
	enrolments, err := s.awardsOf(ctx, cc)
	if err != nil {
		return nil, err
	}
	wp := &stewardshipv1.Part{Part: "awards", Source: Name, Available: true}
	for _, en := range enrolments {
		for _, a := range en.GetAwards() {
			state := "GRANTED"
			if a.GetPaid() {
				state = "PAID"
			}
			wp.Items = append(wp.Items, &stewardshipv1.Item{Name: en.GetName(), Title: en.GetProgramme() + " " + a.GetKind().String() + " " + a.GetAmount() + " 元",
				State: state, Time: en.GetUpdateTime()})
		}
	}
	wp.Total = int32(len(wp.Items))
	return []*stewardshipv1.Part{vp, pp, ap, wp}, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 60 {
		return string(r[:60])
	}
	return s
}
