// Command identity runs the identity service on its own (one Kubernetes Deployment).
package main

import (
	"os"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/services/identity"
)

func main() { os.Exit(app.Main(identity.New(), os.Args[1:], os.Stderr)) }
