// Command tickets runs the tickets service on its own.
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/tickets"
)

func main() { os.Exit(app.Main(tickets.New(), os.Args[1:], os.Stderr)) }
