// Command console serves the staff console on its own (the chart runs it behind the
// ingress at /).
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/console"
)

func main() { os.Exit(app.Main(console.New(), os.Args[1:], os.Stderr)) }
