package outbox

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// MinSecretLen is the shortest webhook secret LoadEndpoints accepts.
const MinSecretLen = 32

// LoadEndpoints reads the receivers' endpoints from dir, two files per receiver:
// "<receiver>.url" (the http or https URL to POST to) and "<receiver>.secret" (the shared
// signing secret, at least MinSecretLen bytes). This is the shape of a Kubernetes Secret
// mounted as a directory. Surrounding whitespace is trimmed from both. A directory with
// no receivers, or none at all, gives nil: there is nowhere to deliver, so events wait in
// the outbox instead of failing for want of an endpoint.
func LoadEndpoints(dir string) (Endpoints, error) {
	urls, err := filepath.Glob(filepath.Join(dir, "*.url"))
	if err != nil {
		return nil, err
	}
	eps := StaticEndpoints{}
	for _, path := range urls {
		receiver := strings.TrimSuffix(filepath.Base(path), ".url")
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(strings.TrimSpace(string(raw)))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("outbox: %s: not an http(s) URL", path)
		}
		secret, err := os.ReadFile(filepath.Join(dir, receiver+".secret"))
		if err != nil {
			return nil, fmt.Errorf("outbox: receiver %q has a URL but no secret: %w", receiver, err)
		}
		if secret = bytes.TrimSpace(secret); len(secret) < MinSecretLen {
			return nil, fmt.Errorf("outbox: receiver %q: secret is %d bytes, want at least %d", receiver, len(secret), MinSecretLen)
		}
		eps[receiver] = Endpoint{URL: u.String(), Secret: secret}
	}
	if len(eps) == 0 {
		return nil, nil
	}
	return eps, nil
}
