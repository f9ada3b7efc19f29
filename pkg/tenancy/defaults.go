package tenancy

import (
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed default_tree.yaml
var defaultTreeYAML []byte

// DefaultTree is the zone's 1+2+29 tree (default_tree.yaml), parents first, ready for
// Tree.Seed. Names are placeholders; the real names are data.
func DefaultTree() []Tenant {
	var ts []Tenant
	if err := yaml.Unmarshal(defaultTreeYAML, &ts); err != nil {
		// The file is embedded and covered by tests: failing here is a build defect.
		panic(fmt.Sprintf("tenancy: default_tree.yaml: %v", err))
	}
	return ts
}
