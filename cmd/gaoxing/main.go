package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: gaoxing <command> [flags]

commands:
  up        run etcd, MinIO and every service on this machine behind one HTTP port
  tenant    apply the tenant tree from a file (idempotent; prints what changed)
  calendar  load or list the official working-day calendar (a new year each November)
  login     sign in for scripts: approve a user code in the browser; keeps the tokens
  api       call the platform as the signed-in person: gaoxing api GET /api/...
  logout    end the command line's sign-in and forget its tokens
  version   print the version
  help      print this help

Run "gaoxing <command> -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its outputs and exit code explicit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "up":
		// The first Ctrl-C (or SIGTERM) starts an orderly shutdown; after that the
		// default handling is back, so a second Ctrl-C ends the process at once (the
		// MinIO child still gets SIGTERM from the kernel, see infra.StartMinIO).
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		go func() { <-ctx.Done(); stop() }()
		return upCommand(ctx, args[1:], stdout, stderr)
	case "tenant":
		return tenantCommand(context.Background(), args[1:], stdout, stderr)
	case "calendar":
		return calendarCommand(context.Background(), args[1:], stdout, stderr)
	case "login", "api", "logout":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return map[string]func(context.Context, []string, io.Writer, io.Writer) int{
			"login": loginCommand, "api": apiCommand, "logout": logoutCommand,
		}[args[0]](ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "gaoxing", versionString())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "gaoxing: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
