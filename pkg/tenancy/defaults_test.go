package tenancy

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultTree(t *testing.T) {
	t.Parallel()
	ts := DefaultTree()
	require.Len(t, ts, 32, "1+2+29")
	tiers := map[Tier]int{}
	streets := map[ID]int{}
	seen := map[ID]bool{}
	for _, tn := range ts {
		require.NoError(t, tn.normalize(), tn.ID)
		require.False(t, seen[tn.ID], "duplicate %s", tn.ID)
		seen[tn.ID] = true
		if p := tn.ID.Parent(); p != "" {
			require.True(t, seen[p], "%s listed before its parent", tn.ID)
		}
		require.True(t, tn.Enabled)
		require.Equal(t, Tier([]Tier{District, Street, Community}[tn.ID.Depth()-1]), tn.Tier, tn.ID)
		tiers[tn.Tier]++
		if tn.Tier == Community {
			streets[tn.Parent]++
		}
	}
	require.Equal(t, map[Tier]int{District: 1, Street: 2, Community: 29}, tiers)
	require.Equal(t, map[ID]int{"ahz.s01": 15, "ahz.s02": 14}, streets)
	require.Equal(t, "高新区政务服务中心", ts[0].Name)
	require.Len(t, ts[0].Windows, 6, "4 any-matter windows, 1 market-entry window, the tax zone")
}
