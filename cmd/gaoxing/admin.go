package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/config"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// endpointFile, in the data directory, holds the client URL of the running launcher's etcd.
const endpointFile = "etcd.endpoint"

// seed writes the shared defaults a fresh zone starts from into etcd, keeping whatever
// an admin has changed since: the official calendar years.
func seed(ctx context.Context, c *clientv3.Client, out io.Writer) error {
	years, err := calendar.Seed(ctx, c)
	if err != nil {
		return fmt.Errorf("seed calendar: %w", err)
	}
	if len(years) > 0 {
		fmt.Fprintf(out, "gaoxing: loaded official calendar years %v\n", years)
	}
	return nil
}

// adminFlags are the flags every admin command shares: where the zone's etcd is and
// how to reach it (TLS and credentials as the services take them, config.Etcd).
type adminFlags struct {
	etcd string
	data string
	conn config.Etcd
}

func (a *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.etcd, "etcd", os.Getenv("GAOXING_ETCD"), "etcd client `URL`s, comma-separated (default: the running launcher's, from --data)")
	fs.StringVar(&a.data, "data", "./data", "data `directory` of a running `gaoxing up`, to find its etcd")
	a.conn.RegisterTLS(fs, true)
}

func (a *adminFlags) client() (*clientv3.Client, error) {
	endpoints := a.etcd
	if endpoints == "" {
		b, err := os.ReadFile(filepath.Join(a.data, endpointFile))
		if err != nil {
			return nil, fmt.Errorf("no --etcd given and no running launcher found in %s: %w", a.data, err)
		}
		endpoints = strings.TrimSpace(string(b))
	}
	conn := a.conn
	if err := conn.Endpoints.Set(endpoints); err != nil {
		return nil, err
	}
	return conn.Client()
}

const calendarUsage = `usage: gaoxing calendar <load|list> [flags]

  load -f FILE   validate a year's official schedule (JSON or YAML) and store it; every
                 service picks it up within a second and recomputes provisional deadlines
  list           show the years loaded, with their source notice
`

// calendarCommand is `gaoxing calendar`: load a new year's schedule (published around
// November) or list what is loaded.
func calendarCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "load" && args[0] != "list") {
		fmt.Fprint(stderr, calendarUsage)
		return 2
	}
	fs := flag.NewFlagSet("calendar "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var a adminFlags
	a.register(fs)
	file := fs.String("f", "", "schedule `file` to load (JSON or YAML)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if args[0] == "load" && *file == "" {
		fmt.Fprintln(stderr, "gaoxing calendar load: -f FILE is required")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var err error
	if args[0] == "load" {
		err = loadYear(ctx, &a, *file, stdout)
	} else {
		err = listYears(ctx, &a, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "gaoxing calendar:", describe(err))
		return 1
	}
	return 0
}

func loadYear(ctx context.Context, a *adminFlags, file string, out io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	y, err := calendar.ParseYear(f)
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := calendar.Put(ctx, c, y); err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded %d: %d holidays (%s)\n", y.Year, len(y.Holidays), y.Source.Title)
	return nil
}

func listYears(ctx context.Context, a *adminFlags, out io.Writer) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	defer c.Close()
	years, err := calendar.List(ctx, c)
	if err != nil {
		return err
	}
	for _, y := range years {
		fmt.Fprintf(out, "%d\t%s %s\n", y.Year, y.Source.Title, y.Source.Number)
	}
	return nil
}

// describe shows a domain error the way a clerk's console would: message and each bad field.
func describe(err error) string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)", e.Message, e.Code)
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "\n  %s: %s (%s)", v.Field, v.Description, v.Code)
	}
	return b.String()
}
