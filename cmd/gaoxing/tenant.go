package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/services/identity"
)

const tenantUsage = `usage: gaoxing tenant apply -f FILE [--delete IDS] [--dry-run] [flags]

  apply -f FILE   make the tenant tree in etcd equal to FILE (YAML, the format of
                  pkg/tenancy/default_tree.yaml: the zone's 1+2+29 default): print the
                  plan first ("+" add, "~" change, "-" delete, "!" kept), then apply it.
                  A tenant FILE leaves out is deleted only when --delete names it;
                  otherwise it is kept. An empty FILE is refused. Applying the same
                  file again changes nothing. --dry-run prints the plan only.
`

// tenantCommand is `gaoxing tenant apply`: the tenant tree as a file, applied idempotently.
func tenantCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "apply" {
		fmt.Fprint(stderr, tenantUsage)
		return 2
	}
	fs := flag.NewFlagSet("tenant apply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var a adminFlags
	a.register(fs)
	file := fs.String("f", "", "tenant tree `file` (YAML)")
	dryRun := fs.Bool("dry-run", false, "print what would change and change nothing")
	var remove config.List
	fs.Var(&remove, "delete", "tenant `ids` to delete (comma-separated; each must be absent from the file, with its children)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *file == "" {
		fmt.Fprintln(stderr, "gaoxing tenant apply: -f FILE is required")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ids := make([]tenancy.ID, len(remove))
	for i, id := range remove {
		ids[i] = tenancy.ID(id)
	}
	if err := applyTenants(ctx, &a, *file, ids, *dryRun, stdout); err != nil {
		fmt.Fprintln(stderr, "gaoxing tenant apply:", describe(err))
		return 1
	}
	return 0
}

// applyTenants prints the plan before it changes anything, so the log of an apply that
// fails halfway (the chart's hook Job) still says what it meant to do.
func applyTenants(ctx context.Context, a *adminFlags, file string, remove []tenancy.ID, dryRun bool, out io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	desired, err := identity.ReadTenants(f)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	defer c.Close()
	tree, err := tenancy.OpenTree(ctx, c, tenancy.DefaultTreePrefix)
	if err != nil {
		return err
	}
	defer tree.Close()
	plan, err := identity.PlanTenants(tree, desired, remove...)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "plan: %d tenants in the file, %d in etcd\n", len(desired), tree.Len())
	for _, ch := range plan {
		fmt.Fprintln(out, ch.String())
	}
	if !dryRun {
		if _, err = identity.ApplyTenants(ctx, tree, desired, remove...); err != nil {
			return err
		}
	}
	changes, kept := 0, 0
	for _, ch := range plan {
		if ch.Op == identity.Kept {
			kept++
		} else {
			changes++
		}
	}
	fmt.Fprintf(out, "%d tenants in the file, %d changes, %d kept%s\n", len(desired), changes, kept, map[bool]string{true: " (dry run: nothing changed)"}[dryRun])
	return nil
}
