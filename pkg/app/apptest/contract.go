package apptest

import (
	"testing"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
)

// CheckContract fails t unless every method of the named service (its full name, such as
// ticketsv1.TicketsService_ServiceDesc.ServiceName) declares a valid access rule and impl
// (a value, or a nil pointer, of the implementation's type) has the method to run it:
// what kit.Register refuses at start, found without starting anything.
func CheckContract(t testing.TB, service string, impl any) {
	t.Helper()
	if err := kit.Check(service, impl, authz.CheckRule); err != nil {
		t.Fatal(err)
	}
}
