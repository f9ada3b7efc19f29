// Package gen holds the code and documents generated from the contracts in proto/ (by
// generate.sh; never edit by hand) and serves the OpenAPI documents to the services.
package gen

import (
	"embed"
	"fmt"
)

//go:embed openapi/*.swagger.json
var openapi embed.FS

// OpenAPI returns the OpenAPI v2 document of a service, e.g. OpenAPI("tickets").
func OpenAPI(service string) ([]byte, error) {
	b, err := openapi.ReadFile("openapi/" + service + ".swagger.json")
	if err != nil {
		return nil, fmt.Errorf("no OpenAPI document for service %q: %w", service, err)
	}
	return b, nil
}
