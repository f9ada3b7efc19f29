package stewardship

import (
	"context"
	"embed"
	"fmt"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/resname"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The demonstration data set (data/): the enterprises of the zone that are creditors in
// the arrears ledger, and the ledger itself — 502 entries since 2018, as the seed counts
// them. It is generated deterministically (demo_data_test.go, -update) and committed, so
// tests and `gaoxing up` see the same ledger.

//go:embed data/enterprises.json data/arrears.json
var demoFiles embed.FS

// DemoTenant is where the demonstration ledger is kept: the district.
const DemoTenant = "ahz"

// DemoEnterprises is the demonstration register, as an import request per tenant.
func DemoEnterprises() (*stewardshipv1.ImportEnterprisesRequest, error) {
	b, err := demoFiles.ReadFile("data/enterprises.json")
	if err != nil {
		return nil, err
	}
	r := &stewardshipv1.ImportEnterprisesRequest{}
	return r, unmarshal.Unmarshal(b, r)
}

// DemoDebts is the demonstration arrears ledger (502 entries) as an import request.
func DemoDebts() (*stewardshipv1.ImportDebtsRequest, error) {
	b, err := demoFiles.ReadFile("data/arrears.json")
	if err != nil {
		return nil, err
	}
	r := &stewardshipv1.ImportDebtsRequest{}
	return r, unmarshal.Unmarshal(b, r)
}

// loadDemo imports the data set when the register is empty; the imports are idempotent,
// so a restart during the load finishes it.
func (s *service) loadDemo(ctx context.Context) error {
	var n int64
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM debts`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	ctx = authn.NewContext(ctx, authn.Principal{Subject: "system:demo-data", Tenant: DemoTenant, Kind: authn.Service})
	ents, err := DemoEnterprises()
	if err != nil {
		return err
	}
	if _, err := s.ImportEnterprises(ctx, ents); err != nil {
		return fmt.Errorf("enterprises: %w", err)
	}
	debts, err := DemoDebts()
	if err != nil {
		return err
	}
	if debts.GetParent() != resname.Tenant(DemoTenant) {
		return fmt.Errorf("arrears: parent %q", debts.GetParent())
	}
	if _, err := s.ImportDebts(ctx, debts); err != nil {
		return fmt.Errorf("arrears: %w", err)
	}
	return nil
}
