package config

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// EnvPrefix starts the environment name of every bootstrap flag.
const EnvPrefix = "GAOXING_"

// EnvName is the environment variable that sets flag name: "grpc-addr" → GAOXING_GRPC_ADDR.
func EnvName(name string) string {
	return EnvPrefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

// Parse sets fs's flags from the environment, then parses args, so the command line wins
// over the environment, which wins over the defaults. Declare flags once, then:
//
//	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
//	grpcAddr := fs.String("grpc-addr", "127.0.0.1:9090", "gRPC listen address")
//	if err := config.Parse(fs, os.Args[1:]); err != nil { ... }
//
// Each flag's usage text gains its variable's name.
func Parse(fs *flag.FlagSet, args []string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := EnvName(f.Name)
		f.Usage += " [$" + env + "]"
		v, ok := os.LookupEnv(env)
		if !ok || err != nil {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("config: %s=%q: %w", env, v, serr)
		}
	})
	if err != nil {
		return err
	}
	return fs.Parse(args)
}

// List is a comma-separated flag value, such as etcd endpoints:
//
//	endpoints := config.List{"http://127.0.0.1:2379"}
//	fs.Var(&endpoints, "etcd-endpoints", "etcd client URLs")
type List []string

func (l *List) String() string { return strings.Join(*l, ",") }

// Set replaces the list (a flag given twice keeps the last value, as other flags do).
func (l *List) Set(s string) error {
	*l = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}
