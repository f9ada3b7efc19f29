package resname

import (
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

var ticketID = regexp.MustCompile(`^T-[0-9]{8}-[0-9]{6}$`)

func violation(t *testing.T, err error) errs.FieldViolation {
	t.Helper()
	var e *errs.Error
	require.True(t, errors.As(err, &e), "want an *errs.Error, got %v", err)
	require.Equal(t, errs.InvalidArgument, e.Kind)
	require.Len(t, e.Violations, 1)
	return e.Violations[0]
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		tenant tenancy.ID
		id     string
	}{
		{"district", "tenants/ahz/tickets/T-20261125-000123", "ahz", "T-20261125-000123"},
		{"community", "tenants/ahz.s01.c07/tickets/T-20261125-000123", "ahz.s01.c07", "T-20261125-000123"},
		{"empty", "", "", ""},
		{"no prefix", "ahz/tickets/T-20261125-000123", "", ""},
		{"other collection", "tenants/ahz/documents/T-20261125-000123", "", ""},
		{"bad tenant", "tenants/AHZ/tickets/T-20261125-000123", "", ""},
		{"tenant with a slash", "tenants/ahz/x/tickets/T-20261125-000123", "", ""},
		{"empty id", "tenants/ahz/tickets/", "", ""},
		{"id off pattern", "tenants/ahz/tickets/T-1", "", ""},
		{"trailing segment", "tenants/ahz/tickets/T-20261125-000123/x", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ten, id, err := Parse("ticket", tt.in, "tickets", ticketID)
			if tt.tenant == "" {
				v := violation(t, err)
				require.Equal(t, errs.FieldViolation{Field: "ticket", Code: InvalidName,
					Description: "ticket 应为 tenants/{tenant}/tickets/{id}"}, v)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.tenant, ten)
			require.Equal(t, tt.id, id)
			require.Equal(t, tt.in, Name(ten, "tickets", id), "Name formats what Parse reads")
		})
	}
}

func TestParent(t *testing.T) {
	tests := []struct {
		in   string
		want tenancy.ID
	}{
		{"tenants/ahz", "ahz"},
		{"tenants/ahz.s01", "ahz.s01"},
		{"tenants/", ""},
		{"ahz", ""},
		{"tenants/ahz/tickets", ""},
		{"tenants/ahz_1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parent("parent", tt.in)
			if tt.want == "" {
				require.Equal(t, errs.FieldViolation{Field: "parent", Code: InvalidParent,
					Description: "parent 应为 tenants/{tenant}"}, violation(t, err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.in, Tenant(got))
		})
	}
}
