package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// minioCredentials are MinIO's root credentials for one data directory. They are made
// on the first start and reused afterwards: the data MinIO keeps is bound to them.
type minioCredentials struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// loadOrCreateCredentials reads path, or creates it (mode 0600) with new random
// credentials when it does not exist.
func loadOrCreateCredentials(path string) (minioCredentials, error) {
	var c minioCredentials
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("%s: %w", path, err)
		}
		if len(c.AccessKey) < 3 || len(c.SecretKey) < 8 {
			return c, fmt.Errorf("%s: access_key needs ≥ 3 characters and secret_key ≥ 8", path)
		}
		return c, nil
	case !errors.Is(err, fs.ErrNotExist):
		return c, err
	}
	c = minioCredentials{AccessKey: "gaoxing-" + rand.Text()[:8], SecretKey: rand.Text()}
	b, err = json.MarshalIndent(c, "", "  ")
	if err != nil {
		return c, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return c, err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return c, err
	}
	return c, f.Close()
}
