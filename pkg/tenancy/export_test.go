package tenancy

// Reloads counts t's full reloads after watch gaps, for the tests of recovery.
func Reloads(t *Tree) int64 { return t.reloads.Load() }
