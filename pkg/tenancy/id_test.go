package tenancy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"ahz", true},
		{"ahz.s01.c07", true},
		{"", false},
		{"Ahz", false},
		{"ahz..s01", false},
		{"ahz.", false},
		{".ahz", false},
		{"ahz_s01", false},
		{"ahz.%", false},
		{"ahz s01", false},
		{"ahz.s01'; drop table x;--", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			id, err := Parse(tc.in)
			if !tc.ok {
				require.ErrorIs(t, err, ErrInvalidID)
				require.True(t, errs.IsKind(err, errs.InvalidArgument))
				return
			}
			require.NoError(t, err)
			require.Equal(t, ID(tc.in), id)
		})
	}
}

func TestTreeRelations(t *testing.T) {
	t.Parallel()
	c := ID("ahz.s01.c07")
	require.Equal(t, ID("ahz.s01"), c.Parent())
	require.Equal(t, ID(""), ID("ahz").Parent())
	require.Equal(t, []ID{"ahz", "ahz.s01"}, c.Ancestors())
	require.Equal(t, 3, c.Depth())

	require.True(t, ID("ahz").Contains(c))
	require.True(t, ID("ahz.s01").Contains(c))
	require.True(t, c.Contains(c))
	require.False(t, c.Contains("ahz.s01"), "never upward")
	require.False(t, ID("ahz.s01").Contains("ahz.s02.c01"), "never sideways")
	require.False(t, ID("ahz.s0").Contains("ahz.s01"), "segment boundary, not string prefix")
}

func TestSubtreeSQL(t *testing.T) {
	t.Parallel()
	cond, args := ID("ahz.s01").SubtreeSQL("tenant", 3)
	require.Equal(t, "(tenant = $3 OR tenant LIKE $4)", cond)
	require.Equal(t, []any{"ahz.s01", "ahz.s01.%"}, args)
	cond, _ = ID("ahz").SubtreeSQL("t.tenant", 12)
	require.Equal(t, "(t.tenant = $12 OR t.tenant LIKE $13)", cond)
}
