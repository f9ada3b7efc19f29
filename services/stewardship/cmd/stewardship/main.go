// Command stewardship runs the stewardship service on its own.
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/stewardship"
)

func main() { os.Exit(app.Main(stewardship.New(), os.Args[1:], os.Stderr)) }
