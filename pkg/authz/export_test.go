package authz

import (
	"iter"
	"log/slog"
)

// Internals that the external tests (package authz_test, which may use testenv) check.

// Reloads counts e's full reloads after watch gaps.
func Reloads(e *Enforcer) int64 { return e.reloads.Load() }

// Applied is the etcd revision e's index reflects.
func Applied(e *Enforcer) int64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.applied
}

// Size is the number of rules in e's index.
func Size(e *Enforcer) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.idx.size
}

// FromLines builds an Enforcer without etcd from Casbin policy lines ("p"/"g" first),
// for benchmarks at sizes etcd would take minutes to load.
func FromLines(lines iter.Seq[[]string]) (*Enforcer, error) {
	idx := newIndex(roleSet(ApplicantRoles()))
	for l := range lines {
		if err := idx.apply(rule{ptype: l[0], fields: l[1:]}, true); err != nil {
			return nil, err
		}
	}
	return &Enforcer{idx: idx, log: slog.Default()}, nil
}

// SetPageSize makes loads read n keys per page until the test ends.
func SetPageSize(t interface{ Cleanup(func()) }, n int64) {
	old := pageSize
	pageSize = n
	t.Cleanup(func() { pageSize = old })
}
