// Command legalaid runs the legal-aid service on its own.
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/legalaid"
)

func main() { os.Exit(app.Main(legalaid.New(), os.Args[1:], os.Stderr)) }
