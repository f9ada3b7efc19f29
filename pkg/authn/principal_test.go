package authn_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
)

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		want string
		ok   bool
	}{
		{"unauthenticated", t.Context(), "", false},
		{"principal without subject", authn.NewContext(t.Context(), authn.Principal{Tenant: "ahz"}), "", false},
		{"authenticated", authn.NewContext(t.Context(), authn.Principal{Subject: "u-1001", Tenant: "ahz"}), "u-1001", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := authn.Subject(tt.ctx)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.ok, ok)
		})
	}
}

func TestParseMandates(t *testing.T) {
	m := authn.Mandates{Subjects: []string{"u-alice", "u-bob"}, Orgs: []string{"91350100M000100Y43"}}
	require.Equal(t, []string{"sub:u-alice", "sub:u-bob", "org:91350100M000100Y43"}, m.Claim())
	got, err := authn.ParseMandates(m.Claim())
	require.NoError(t, err)
	require.Equal(t, m, got)
	for _, bad := range [][]string{{"u-alice"}, {"sub:"}, {"user:u-alice"}, {":x"}} {
		_, err := authn.ParseMandates(bad)
		require.Error(t, err, "%q", bad)
	}
	none, err := authn.ParseMandates(nil)
	require.NoError(t, err)
	require.True(t, none.Empty())
}
