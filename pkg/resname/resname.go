package resname

import (
	"regexp"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Stable codes of the field violations this package reports.
const (
	InvalidParent = "INVALID_PARENT"
	InvalidName   = "INVALID_NAME"
)

const prefix = "tenants/"

// Tenant is the name of tenant t: "tenants/{t}".
func Tenant(t tenancy.ID) string { return prefix + string(t) }

// Name is the name of resource id of collection in tenant t.
func Name(t tenancy.ID, collection, id string) string {
	return prefix + string(t) + "/" + collection + "/" + id
}

// SplitTenant reads "tenants/{tenant}"; ok is false unless the tenant is valid.
func SplitTenant(name string) (tenancy.ID, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return "", false
	}
	t, err := tenancy.Parse(rest)
	return t, err == nil
}

// Split reads "tenants/{tenant}/{collection}/{id}"; ok is false unless the tenant is valid
// and the id is not empty. The id is not checked further: that is the caller's pattern.
func Split(name, collection string) (t tenancy.ID, id string, ok bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return "", "", false
	}
	ten, id, ok := strings.Cut(rest, "/"+collection+"/")
	if !ok || id == "" {
		return "", "", false
	}
	t, err := tenancy.Parse(ten)
	if err != nil {
		return "", "", false
	}
	return t, id, true
}

// Parent parses the tenant name in a request's field (usually "parent"). A malformed one
// is an INVALID_PARENT violation on field.
func Parent(field, name string) (tenancy.ID, error) {
	if t, ok := SplitTenant(name); ok {
		return t, nil
	}
	return "", errs.Invalid(field, InvalidParent, field+" 应为 tenants/{tenant}")
}

// Parse parses the name of a resource of collection in a request's field; the id must
// match idPattern (anchored: ^…$). A malformed one is an INVALID_NAME violation on field.
func Parse(field, name, collection string, idPattern *regexp.Regexp) (tenancy.ID, string, error) {
	if t, id, ok := Split(name, collection); ok && idPattern.MatchString(id) {
		return t, id, nil
	}
	return "", "", errs.Invalid(field, InvalidName, field+" 应为 tenants/{tenant}/"+collection+"/{id}")
}
