// Package gen holds the code and documents generated from the contracts in proto/ (by
// generate.sh; never edit by hand) and serves the OpenAPI documents to the services.
package gen

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/gaoxing-gov/gaoxing/proto/gaoxing"
)

//go:embed openapi/*.swagger.json
var openapi embed.FS

// OpenAPI returns the OpenAPI v2 document of a service, e.g. OpenAPI("tickets"): the one
// generated from its RPCs' HTTP rules, with its plain routes' operations
// (gaoxing/<service>/v1/routes.openapi.json) merged in.
func OpenAPI(service string) ([]byte, error) {
	b, err := openapi.ReadFile("openapi/" + service + ".swagger.json")
	if err != nil {
		return nil, fmt.Errorf("no OpenAPI document for service %q: %w", service, err)
	}
	routes, err := gaoxing.Routes.ReadFile(service + "/v1/routes.openapi.json")
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	merged, err := merge(b, routes)
	if err != nil {
		return nil, fmt.Errorf("OpenAPI document of %q: routes.openapi.json: %w", service, err)
	}
	return merged, nil
}

// merge adds the paths, definitions and tags of overlay to doc. An operation or a
// definition both have is an error: the overlay documents routes, it never redefines RPCs.
func merge(doc, overlay []byte) ([]byte, error) {
	var d, o map[string]any
	if err := decode(doc, &d); err != nil {
		return nil, err
	}
	if err := decode(overlay, &o); err != nil {
		return nil, err
	}
	for _, key := range []string{"paths", "definitions"} {
		add, _ := o[key].(map[string]any)
		if len(add) == 0 {
			continue
		}
		have, _ := d[key].(map[string]any)
		if have == nil {
			have = map[string]any{}
			d[key] = have
		}
		for name, v := range add {
			if key == "definitions" {
				if _, dup := have[name]; dup {
					return nil, fmt.Errorf("definition %s is already in the generated document", name)
				}
				have[name] = v
				continue
			}
			ops, _ := v.(map[string]any)
			item, _ := have[name].(map[string]any)
			if item == nil {
				item = map[string]any{}
				have[name] = item
			}
			for method, op := range ops {
				if _, dup := item[method]; dup {
					return nil, fmt.Errorf("%s %s is already in the generated document", method, name)
				}
				item[method] = op
			}
		}
	}
	if tags, _ := o["tags"].([]any); len(tags) > 0 {
		have, _ := d["tags"].([]any)
		d["tags"] = append(have, tags...)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
