// Package gaoxing holds what the contracts say about the plain-HTTP routes beside the RPCs
// (streaming transfers, protocol façades), which protobuf cannot describe: per service, the
// OpenAPI operations in <service>/v1/routes.openapi.json, written by hand next to the
// service's gateway.yaml. gen.OpenAPI merges them into the generated document, so that
// clients generated from it reach every route.
package gaoxing

import "embed"

// Routes holds <service>/v1/routes.openapi.json for each service that has plain routes.
//
//go:embed */v1/routes.openapi.json
var Routes embed.FS
