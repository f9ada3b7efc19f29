package identity

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// ChangeOp is what ApplyTenants did to one tenant.
type ChangeOp string

// The operations.
const (
	Created ChangeOp = "create"
	Updated ChangeOp = "update"
	Deleted ChangeOp = "delete"
	// Kept is a tenant in etcd that the file leaves out but the apply was not told to
	// delete: it stays, and the plan says so. Deleting a tenant takes a decision per run
	// (its id among the deletions), so a file that merely lacks it never removes it.
	Kept ChangeOp = "keep"
)

// Change is one tenant ApplyTenants created, updated, deleted or kept; Fields lists what
// an update changed.
type Change struct {
	Op     ChangeOp
	ID     tenancy.ID
	Before *tenancy.Tenant // nil for a create
	After  *tenancy.Tenant // nil for a delete
	Fields []string
}

// String is one line for the CLI: "+ ahz.s01.c30 第一街道第30社区服务站", "~ ahz.s01 name, services",
// "- ahz.s03".
func (c Change) String() string {
	switch c.Op {
	case Created:
		return fmt.Sprintf("+ %s %s", c.ID, c.After.Name)
	case Updated:
		return fmt.Sprintf("~ %s %s", c.ID, strings.Join(c.Fields, ", "))
	case Kept:
		return fmt.Sprintf("! %s kept: not in the file, and not named for deletion", c.ID)
	}
	return fmt.Sprintf("- %s", c.ID)
}

// ReadTenants parses a tenants file (the YAML of tenancy's default_tree.yaml: a list of
// tenants). Unknown fields are refused, so a typo is not silently ignored.
func ReadTenants(r io.Reader) ([]tenancy.Tenant, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var ts []tenancy.Tenant
	if err := dec.Decode(&ts); err != nil && !errors.Is(err, io.EOF) {
		return nil, errs.Invalid("file", "INVALID_TENANTS_FILE", "租户文件格式不正确: "+err.Error())
	}
	return ts, nil
}

// PlanTenants is what ApplyTenants would change, without changing anything: creates and
// updates parents first, then deletes deepest first, then the tenants kept.
//
// A tenant in etcd that desired leaves out is deleted only when remove names it (a
// decision made for one run, never implied by a file that lacks it); otherwise the plan
// keeps it. An empty desired tree is refused outright, as is naming for deletion a
// tenant the file still lists or one whose remaining children would be orphaned.
func PlanTenants(tree *tenancy.Tree, desired []tenancy.Tenant, remove ...tenancy.ID) ([]Change, error) {
	if len(desired) == 0 {
		return nil, errs.Invalid("tenants", "EMPTY_TENANT_TREE", "租户文件为空：拒绝应用空的租户树")
	}
	want := make(map[tenancy.ID]tenancy.Tenant, len(desired))
	for i, t := range desired {
		if _, err := tenancy.Parse(string(t.ID)); err != nil {
			return nil, errs.Invalid(fmt.Sprintf("tenants[%d].id", i), "INVALID_TENANT", "租户标识格式不正确: "+string(t.ID))
		}
		if _, dup := want[t.ID]; dup {
			return nil, errs.Invalid(fmt.Sprintf("tenants[%d].id", i), "DUPLICATE_TENANT", "租户重复: "+string(t.ID))
		}
		want[t.ID] = canonical(t)
	}
	for id := range want {
		if p := id.Parent(); p != "" {
			if _, ok := want[p]; !ok {
				return nil, errs.Invalid("tenants", "PARENT_TENANT_MISSING", "租户 "+string(id)+" 的上级租户 "+string(p)+" 不在文件中")
			}
		}
	}
	have := map[tenancy.ID]tenancy.Tenant{}
	for _, r := range tree.Roots() {
		for _, t := range tree.Subtree(r.ID) {
			have[t.ID] = canonical(t)
		}
	}
	removable := map[tenancy.ID]bool{}
	for i, id := range remove {
		if _, err := tenancy.Parse(string(id)); err != nil {
			return nil, errs.Invalid(fmt.Sprintf("delete[%d]", i), "INVALID_TENANT", "租户标识格式不正确: "+string(id))
		}
		if _, ok := want[id]; ok {
			return nil, errs.Invalid(fmt.Sprintf("delete[%d]", i), "DELETE_LISTED_TENANT", "租户 "+string(id)+" 仍在文件中，不能同时删除")
		}
		removable[id] = true
	}
	var puts, deletes, kept []Change
	for id, w := range want {
		w := w
		h, ok := have[id]
		switch {
		case !ok:
			puts = append(puts, Change{Op: Created, ID: id, After: &w})
		case !equalTenant(h, w):
			h := h
			puts = append(puts, Change{Op: Updated, ID: id, Before: &h, After: &w, Fields: diffFields(h, w)})
		}
	}
	for id, h := range have {
		if _, ok := want[id]; ok {
			continue
		}
		h := h
		if !removable[id] {
			kept = append(kept, Change{Op: Kept, ID: id, Before: &h})
			continue
		}
		// Etcd refuses to delete a parent before its children: every child that stays
		// would be orphaned, so the whole plan is refused before anything changes.
		for child := range have {
			if child.Parent() == id && !removable[child] {
				return nil, errs.Invalid("delete", "DELETE_HAS_CHILDREN", "租户 "+string(id)+" 的下级租户 "+string(child)+" 未列入删除")
			}
		}
		deletes = append(deletes, Change{Op: Deleted, ID: id, Before: &h})
	}
	byDepth := func(sign int) func(a, b Change) int {
		return func(a, b Change) int {
			return cmp.Or(sign*cmp.Compare(a.ID.Depth(), b.ID.Depth()), cmp.Compare(a.ID, b.ID))
		}
	}
	slices.SortFunc(puts, byDepth(1))
	slices.SortFunc(deletes, byDepth(-1))
	slices.SortFunc(kept, byDepth(1))
	return slices.Concat(puts, deletes, kept), nil
}

// ApplyTenants makes the tenant tree in etcd equal to desired, except that it deletes
// only the tenants remove names (PlanTenants), and returns the plan it carried out, kept
// tenants included; applying the same file again changes nothing. The file is checked
// as a whole first (not empty, ids, duplicates, every parent present); each tenant is
// then written on its own (etcd checks it against its parent), so if one write fails the
// earlier ones stay and a second run finishes the job.
func ApplyTenants(ctx context.Context, tree *tenancy.Tree, desired []tenancy.Tenant, remove ...tenancy.ID) ([]Change, error) {
	plan, err := PlanTenants(tree, desired, remove...)
	if err != nil {
		return nil, err
	}
	var done []Change
	for _, c := range plan {
		switch c.Op {
		case Created, Updated:
			err = tree.Put(ctx, *c.After)
		case Deleted:
			err = tree.Delete(ctx, c.ID)
		case Kept: // in the plan for the log; nothing to write
		}
		if err != nil {
			return done, fmt.Errorf("%s: %w", c, err)
		}
		done = append(done, c)
	}
	return done, nil
}

// canonical is t with its parent filled in and empty lists as nil, for comparison.
func canonical(t tenancy.Tenant) tenancy.Tenant {
	t.Parent = t.ID.Parent()
	t.Name = strings.TrimSpace(t.Name)
	if len(t.Services) == 0 {
		t.Services = nil
	} else {
		t.Services = slices.Clone(t.Services)
	}
	if len(t.Windows) == 0 {
		t.Windows = nil
	} else {
		t.Windows = slices.Clone(t.Windows)
		for i := range t.Windows {
			t.Windows[i].Name = strings.TrimSpace(t.Windows[i].Name)
		}
	}
	return t
}

func equalTenant(a, b tenancy.Tenant) bool { return len(diffFields(a, b)) == 0 }

func diffFields(a, b tenancy.Tenant) []string {
	var f []string
	if a.Name != b.Name {
		f = append(f, "name")
	}
	if a.Tier != b.Tier {
		f = append(f, "tier")
	}
	if a.Enabled != b.Enabled {
		f = append(f, "enabled")
	}
	if !slices.Equal(a.Services, b.Services) {
		f = append(f, "services")
	}
	if !slices.Equal(a.Windows, b.Windows) {
		f = append(f, "windows")
	}
	return f
}
