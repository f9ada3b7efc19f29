package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// snapshot is the last-known-good file: the accepted raw values, not the merged ones, so
// that defaults changed by a new release still apply underneath.
type snapshot struct {
	Service string                     `json:"service"`
	Values  map[string]json.RawMessage `json:"values"`
}

func readSnapshot(path, service string) (layers, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	if s.Service != service {
		return nil, fmt.Errorf("%s holds the settings of %q, not %q", path, s.Service, service)
	}
	return layers(s.Values), nil
}

// writeSnapshot replaces path atomically: a reader (or a restart after a crash) sees the
// old file or the new one, never half of one.
func writeSnapshot(path, service string, l layers) error {
	b, err := json.MarshalIndent(snapshot{Service: service, Values: l}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // created 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }() // a no-op once renamed
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; not every platform can sync a directory.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
