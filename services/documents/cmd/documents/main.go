// Command documents runs the documents service on its own.
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/documents"
)

func main() { os.Exit(app.Main(documents.New(), os.Args[1:], os.Stderr)) }
