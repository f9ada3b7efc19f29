package authz

import (
	"slices"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Scope is where a subject may do one thing: the union of the Include subtrees minus the
// Exclude subtrees (what deny rules carve out). It answers list queries with the same
// rule Allowed uses: Scope(...).Contains(t) == Allowed(..., t, ...).
type Scope struct {
	Include []tenancy.ID // no entry inside another
	Exclude []tenancy.ID // each strictly inside some Include entry
}

// Empty reports whether the scope reaches no tenant.
func (s Scope) Empty() bool { return len(s.Include) == 0 }

// Contains reports whether t lies in the scope.
func (s Scope) Contains(t tenancy.ID) bool {
	if !validTenant(string(t)) {
		return false
	}
	in := false
	for _, i := range s.Include {
		if i.Contains(t) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, x := range s.Exclude {
		if x.Contains(t) {
			return false
		}
	}
	return true
}

// SQL is a parameterised condition selecting the rows of column that lie in the scope,
// built from tenancy.ID.SubtreeSQL: placeholders are numbered from $arg and the ids are
// arguments, never SQL text. An empty scope selects nothing.
//
//	cond, args := scope.SQL("tenant", 1)
//	rows, err := db.QueryContext(ctx, "SELECT ... WHERE "+cond, args...)
func (s Scope) SQL(column string, arg int) (string, []any) {
	if s.Empty() {
		return "(1 = 0)", nil
	}
	var args []any
	terms := func(ids []tenancy.ID) string {
		parts := make([]string, len(ids))
		for i, id := range ids {
			var a []any
			parts[i], a = id.SubtreeSQL(column, arg)
			arg += len(a)
			args = append(args, a...)
		}
		return strings.Join(parts, " OR ")
	}
	cond := "(" + terms(s.Include) + ")"
	if len(s.Exclude) > 0 {
		cond = "(" + cond + " AND NOT (" + terms(s.Exclude) + "))"
	}
	return cond, args
}

// normalize drops redundant entries: includes inside other includes or inside an
// exclude, excludes inside other excludes or outside every include.
func (s Scope) normalize() Scope {
	top := func(ids []tenancy.ID) []tenancy.ID {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		var out []tenancy.ID
		for _, id := range ids {
			// Sorted order puts an ancestor before its descendants.
			if len(out) == 0 || !out[len(out)-1].Contains(id) {
				out = append(out, id)
			}
		}
		return out
	}
	covered := func(id tenancy.ID, by []tenancy.ID) bool {
		return slices.ContainsFunc(by, func(b tenancy.ID) bool { return b.Contains(id) })
	}
	exclude := top(s.Exclude)
	var include []tenancy.ID
	for _, id := range top(s.Include) {
		if !covered(id, exclude) {
			include = append(include, id)
		}
	}
	var kept []tenancy.ID
	for _, x := range exclude {
		if covered(x, include) {
			kept = append(kept, x)
		}
	}
	return Scope{Include: include, Exclude: kept}
}
