package authz

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

func TestRuleKeysRoundTrip(t *testing.T) {
	t.Parallel()
	for _, r := range []rule{
		Grant{"u-0123456789abcdef", "window_clerk", "ahz.s01.c07"}.rule(),
		Grant{"svc:court/01%x", "court_clerk", "ahz"}.rule(),
		Permission{"supervisor", Any, Any, "read", Allow}.rule(),
		Permission{"u:1", "ahz.s02", "matters.*", Any, Deny}.rule(),
	} {
		key := r.key("/p/")
		got, err := ruleFromKey("/p/", key)
		require.NoError(t, err, key)
		require.Equal(t, r, got, key)
		require.Equal(t, 1+len(r.fields), len(splitKey(key[len("/p/"):])), "no field adds a separator: %s", key)
	}
	require.Equal(t, "/p/g/svc:court%2F01%25x/court_clerk/ahz", Grant{"svc:court/01%x", "court_clerk", "ahz"}.rule().key("/p/"))
	require.Equal(t, "/p/p/supervisor/*/*/read/allow", Permission{"supervisor", Any, Any, "read", Allow}.rule().key("/p/"))
}

func splitKey(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func TestNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"window_clerk": true, "r0": true, "a": true,
		"": false, "Window": false, "0role": false, "u-1": false, "u:1": false, "_x": false,
	} {
		require.Equal(t, want, IsRole(name), name)
	}
	for sub, want := range map[string]bool{
		"u-0123456789abcdef": true, "svc:court-01": true, "12345": true,
		"alice": false, "": false, "u 1": false, "u\x001": false, "用户": false,
	} {
		require.Equal(t, want, validSubject(sub), sub)
	}
	for obj, want := range map[string]bool{
		"matters.applications": true, "a.b": true,
		"matters": false, "matters.": false, "matters.a.b": false, "Matters.x": false, "matters.*": false,
	} {
		require.Equal(t, want, validObject(obj), obj)
	}
}

// validTenant is a hand-written copy of tenancy's pattern for the hot path: it must agree.
func FuzzValidTenant(f *testing.F) {
	for _, s := range []string{"ahz", "ahz.s01.c07", "", ".", "a..b", "a.", ".a", "A", "a_b", "a%", "ahz.s01.%", "a.b.c.d.e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, tenancy.ID(s).Valid(), validTenant(s), "%q", s)
	})
}

func TestScopeNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		in, want Scope
	}{
		{"nested includes collapse",
			Scope{Include: []tenancy.ID{"ahz.s01.c07", "ahz.s01", "ahz.s01"}},
			Scope{Include: []tenancy.ID{"ahz.s01"}}},
		{"prefix lookalikes stay apart",
			Scope{Include: []tenancy.ID{"ahz.s010", "ahz.s01"}},
			Scope{Include: []tenancy.ID{"ahz.s01", "ahz.s010"}}},
		{"an exclude over an include removes it",
			Scope{Include: []tenancy.ID{"ahz.s01.c07", "ahz.s02"}, Exclude: []tenancy.ID{"ahz.s01"}},
			Scope{Include: []tenancy.ID{"ahz.s02"}}},
		{"an exclude inside an include stays",
			Scope{Include: []tenancy.ID{"ahz"}, Exclude: []tenancy.ID{"ahz.s01.c03", "ahz.s01"}},
			Scope{Include: []tenancy.ID{"ahz"}, Exclude: []tenancy.ID{"ahz.s01"}}},
		{"an exclude elsewhere goes",
			Scope{Include: []tenancy.ID{"ahz.s01"}, Exclude: []tenancy.ID{"ahz.s02"}},
			Scope{Include: []tenancy.ID{"ahz.s01"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.in.normalize())
		})
	}
}
