package gen

import (
	"encoding/json"
	"testing"
)

// TestOpenAPIHasThePlainRoutes: the served documents carry the routes written beside the
// contracts, next to the generated RPC paths, and stay valid JSON.
func TestOpenAPIHasThePlainRoutes(t *testing.T) {
	for svc, want := range map[string][]string{
		"documents": {"/v1/tenants/{tenant}/documents:upload", "/v1/tenants/{tenant}/documents/{document}:download", "/v1/tenants/{tenant}/documents/{document}"},
		"tickets":   {"/open311/v2/services.json", "/open311/v2/requests.json", "/v1/tenants/{tenant}/tickets"},
		"sample":    {"/v1/tenants/{tenant}/notes"},
	} {
		b, err := OpenAPI(svc)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			BasePath string                    `json:"basePath"`
			Paths    map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		if doc.BasePath != "/api/"+svc {
			t.Errorf("%s: basePath %q", svc, doc.BasePath)
		}
		for _, p := range want {
			if len(doc.Paths[p]) == 0 {
				t.Errorf("%s: no operations at %s", svc, p)
			}
		}
	}
	if _, err := merge([]byte(`{"paths":{"/a":{"get":{}}}}`), []byte(`{"paths":{"/a":{"get":{}}}}`)); err == nil {
		t.Error("an overlay that redefines an operation is refused")
	}
}
