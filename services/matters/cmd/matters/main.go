// Command matters runs the matters service on its own.
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/matters"
)

func main() { os.Exit(app.Main(matters.New(), os.Args[1:], os.Stderr)) }
