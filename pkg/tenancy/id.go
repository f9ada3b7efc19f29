package tenancy

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// ID is a tenant id: dot-separated lowercase ASCII segments, the parent first. Only
// characters that are inert in SQL LIKE patterns and URLs are allowed (no '_' or '%').
type ID string

var idPattern = regexp.MustCompile(`^[a-z0-9]+(\.[a-z0-9]+)*$`)

// MaxLen bounds an id; the zone's deepest ids are three short segments.
const MaxLen = 128

// ErrInvalidID is returned for a malformed tenant id.
var ErrInvalidID = errs.New(errs.InvalidArgument, "INVALID_TENANT", "租户标识格式不正确")

// Parse validates s as a tenant id.
func Parse(s string) (ID, error) {
	if len(s) == 0 || len(s) > MaxLen || !idPattern.MatchString(s) {
		return "", ErrInvalidID.WithMessage("租户标识格式不正确: %q", truncate(s)).WithField("tenant", "INVALID_TENANT", "应为以点分隔的小写字母或数字段，如 ahz.s01.c07")
	}
	return ID(s), nil
}

// Valid reports whether id is well formed.
func (id ID) Valid() bool {
	return len(id) > 0 && len(id) <= MaxLen && idPattern.MatchString(string(id))
}

func (id ID) String() string { return string(id) }

// Parent is the tenant above id, "" for a root.
func (id ID) Parent() ID {
	i := strings.LastIndexByte(string(id), '.')
	if i < 0 {
		return ""
	}
	return id[:i]
}

// Depth is 1 for a root (the district), 2 for a street, 3 for a community.
func (id ID) Depth() int { return strings.Count(string(id), ".") + 1 }

// Ancestors lists id's ancestors from the root down, without id itself.
func (id ID) Ancestors() []ID {
	var out []ID
	for i := 0; i < len(id); i++ {
		if id[i] == '.' {
			out = append(out, id[:i])
		}
	}
	return out
}

// Contains reports whether other is id or lies below it: the one rule for who may see
// what. "ahz" contains "ahz.s01.c07"; "ahz.s01" does not contain "ahz.s02" or "ahz".
func (id ID) Contains(other ID) bool {
	if len(other) < len(id) || other[:len(id)] != id {
		return false
	}
	return len(other) == len(id) || other[len(id)] == '.'
}

// SubtreeSQL is a parameterised SQL condition selecting the rows of column whose tenant
// lies in id's subtree, for both PostgreSQL and SQLite. column is a column name written
// by the programmer, never user input; arg numbers the first placeholder ($arg), and the
// condition uses two. The id is never spliced into the SQL text.
//
//	cond, args := tenancy.ID("ahz.s01").SubtreeSQL("tenant", 1)
//	// cond: (tenant = $1 OR tenant LIKE $2), args: ["ahz.s01", "ahz.s01.%"]
func (id ID) SubtreeSQL(column string, arg int) (string, []any) {
	return "(" + column + " = $" + strconv.Itoa(arg) + " OR " + column + " LIKE $" + strconv.Itoa(arg+1) + ")",
		[]any{string(id), string(id) + ".%"}
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
