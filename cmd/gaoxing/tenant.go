package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/services/identity"
)

const tenantUsage = `usage: gaoxing tenant apply -f FILE [--dry-run] [flags]

  apply -f FILE   make the tenant tree in etcd equal to FILE (YAML, the format of
                  pkg/tenancy/default_tree.yaml: the zone's 1+2+29 default) and print
                  each change: "+" added, "~" changed, "-" removed. Applying the same
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
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *file == "" {
		fmt.Fprintln(stderr, "gaoxing tenant apply: -f FILE is required")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := applyTenants(ctx, &a, *file, *dryRun, stdout); err != nil {
		fmt.Fprintln(stderr, "gaoxing tenant apply:", describe(err))
		return 1
	}
	return 0
}

func applyTenants(ctx context.Context, a *adminFlags, file string, dryRun bool, out io.Writer) error {
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
	changes, err := identity.PlanTenants(tree, desired)
	if !dryRun && err == nil {
		changes, err = identity.ApplyTenants(ctx, tree, desired)
	}
	if err != nil {
		return err
	}
	for _, ch := range changes {
		fmt.Fprintln(out, ch.String())
	}
	fmt.Fprintf(out, "%d tenants in the file, %d changes%s\n", len(desired), len(changes), map[bool]string{true: " (dry run: nothing changed)"}[dryRun])
	return nil
}
