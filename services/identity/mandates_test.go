package identity

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// TestSetMandates: who may set an agent's mandates, what they may name, and that the
// account the provider reads carries them while the account holds the agent role.
func TestSetMandates(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		admin := f.as(t, f.admin)
		agent := f.user(t, admin, "ahz.s01", "agent-01")
		_, err := f.core.GrantRole(admin, "ahz.s01", agent.Name(), AgentRole)
		require.NoError(t, err)
		clerk := f.user(t, admin, "ahz.s01", "clerk-01")
		citizen, err := f.core.CreateUser(admin, NewUser{Tenant: "ahz", Username: "alice", DisplayName: "张三",
			Kind: authn.Citizen, IDNumber: "11010519491231002x", Password: strongPassword})
		require.NoError(t, err)
		const code = "91350100M000100Y43"
		// A street admin of another street administers no account of ahz.s01.
		other := f.user(t, admin, "ahz.s02", "s02-admin")
		_, err = f.core.GrantRole(admin, "ahz.s02", other.Name(), "tenant_admin")
		require.NoError(t, err)

		before := f.counts(t)
		for _, tc := range []struct {
			name string
			as   string
			id   string
			in   authn.Mandates
			kind errs.Kind
			code string
		}{
			{"another street's admin", other.ID, agent.ID, authn.Mandates{Subjects: []string{citizen.ID}}, errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE"},
			{"not an agent", f.admin, clerk.ID, authn.Mandates{Subjects: []string{citizen.ID}}, errs.FailedPrecondition, "NOT_AN_AGENT"},
			{"a staff account as mandator", f.admin, agent.ID, authn.Mandates{Subjects: []string{clerk.ID}}, errs.InvalidArgument, "MANDATOR_NOT_FOUND"},
			{"an unknown account", f.admin, agent.ID, authn.Mandates{Subjects: []string{"u-nobody"}}, errs.InvalidArgument, "MANDATOR_NOT_FOUND"},
			{"a wrong check digit", f.admin, agent.ID, authn.Mandates{Orgs: []string{"91350100M000100Y44"}}, errs.InvalidArgument, "INVALID_CREDIT_CODE"},
			{"too many", f.admin, agent.ID, authn.Mandates{Orgs: codes(authn.MaxMandates + 1)}, errs.InvalidArgument, "TOO_MANY_MANDATES"},
			{"an unknown agent", f.admin, "u-nobody", authn.Mandates{}, errs.NotFound, "USER_NOT_FOUND"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.core.SetMandates(f.as(t, tc.as), "ahz.s01", tc.id, tc.in)
				requireCode(t, err, tc.kind, tc.code)
				require.Equal(t, before, f.counts(t))
			})
		}

		m, err := f.core.SetMandates(admin, "ahz.s01", agent.ID,
			authn.Mandates{Subjects: []string{citizen.ID, citizen.ID}, Orgs: []string{" 91350100m000100y43"}})
		require.NoError(t, err)
		want := authn.Mandates{Subjects: []string{citizen.ID}, Orgs: []string{code}}
		require.Equal(t, want, m)
		require.Equal(t, before[2]+1, f.counts(t)[2], "audited")
		acc, err := f.core.AccountByID(t.Context(), agent.ID)
		require.NoError(t, err)
		require.Equal(t, want.Claim(), acc.ActsFor)
		got, err := authn.ParseMandates(acc.ActsFor)
		require.NoError(t, err)
		require.Equal(t, want, got)

		// The full list replaces the previous one.
		_, err = f.core.SetMandates(admin, "ahz.s01", agent.ID, authn.Mandates{Orgs: codes(authn.MaxMandates)})
		require.NoError(t, err)
		acc, err = f.core.AccountByID(t.Context(), agent.ID)
		require.NoError(t, err)
		require.Len(t, acc.ActsFor, authn.MaxMandates)

		// Without the agent role the tokens carry none; an empty list clears them.
		require.NoError(t, f.core.RevokeRole(admin, "ahz.s01", agent.Name(), AgentRole))
		acc, err = f.core.AccountByID(t.Context(), agent.ID)
		require.NoError(t, err)
		require.Empty(t, acc.ActsFor)
		_, err = f.core.SetMandates(admin, "ahz.s01", agent.ID, authn.Mandates{})
		require.NoError(t, err)
		var n int
		require.NoError(t, f.db.QueryRow(t.Context(), `SELECT COUNT(*) FROM mandates`).Scan(&n))
		require.Zero(t, n)
	})
}

// codes is n valid, distinct credit codes.
func codes(n int) []string {
	out := make([]string, n)
	for i := range out {
		first := fmt.Sprintf("91350100M%08d", i)
		c, _ := govid.CreditCodeCheck(first)
		out[i] = first + string(c)
	}
	return out
}
