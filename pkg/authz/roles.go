package authz

import (
	"cmp"
	_ "embed"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Role is a named set of permissions, e.g. window_clerk (窗口人员).
type Role struct {
	Name  string // "window_clerk"
	Title string // shown in the console, "窗口人员"
	// Applicant marks a role of people acting for themselves (citizen, enterprise, agent):
	// a permission held only through such roles reaches only the caller's own records
	// (methods marked APPLICANTS_OWN or APPLICANTS_FILE) and never a staff-only method.
	Applicant   bool
	Permissions []Permission
}

// ApplicantRoles are the names of the default roles marked applicant.
func ApplicantRoles() []string {
	var out []string
	for _, r := range DefaultRoles() {
		if r.Applicant {
			out = append(out, r.Name)
		}
	}
	return out
}

//go:embed default_roles.yaml
var defaultRolesYAML []byte

// DefaultRoles is the zone's default role set (default_roles.yaml), ready for Seed.
func DefaultRoles() []Role {
	var file []struct {
		Role      string              `yaml:"role"`
		Title     string              `yaml:"title"`
		Applicant bool                `yaml:"applicant"`
		Allow     map[string][]string `yaml:"allow"`
		Deny      map[string][]string `yaml:"deny"`
	}
	if err := yaml.Unmarshal(defaultRolesYAML, &file); err != nil {
		// The file is embedded and covered by tests: failing here is a build defect.
		panic(fmt.Sprintf("authz: default_roles.yaml: %v", err))
	}
	roles := make([]Role, 0, len(file))
	for _, f := range file {
		r := Role{Name: f.Role, Title: f.Title, Applicant: f.Applicant}
		for eft, rules := range map[Effect]map[string][]string{Allow: f.Allow, Deny: f.Deny} {
			for obj, acts := range rules {
				for _, act := range acts {
					r.Permissions = append(r.Permissions, Permission{f.Role, Any, obj, act, eft})
				}
			}
		}
		slices.SortFunc(r.Permissions, func(a, b Permission) int {
			return cmp.Or(cmp.Compare(a.Effect, b.Effect), cmp.Compare(a.Object, b.Object), cmp.Compare(a.Action, b.Action))
		})
		roles = append(roles, r)
	}
	return roles
}
