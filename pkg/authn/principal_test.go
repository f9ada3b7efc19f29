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
