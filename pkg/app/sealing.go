package app

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
)

// devKeyFile holds development sealing keys beside a SQLite database.
const devKeyFile = "sealed-keys"

// SealingKeys is the key ring a service seals PII with (pkg/sealed): from the
// environment (GAOXING_SEALED_KEYS, GAOXING_SEALED_INDEX_KEY), or in development (SQLite
// in a data directory, variables unset) from a key file made there once, with a warning.
// Production (PostgreSQL) without the variables is an error: keys never default.
func SealingKeys(env Env, log *slog.Logger) (*sealed.Ring, error) {
	if os.Getenv(sealed.EnvKeys) != "" || env.SQLDSN != "" || env.DataDir == "" {
		r, err := sealed.FromEnv()
		if err != nil {
			return nil, fmt.Errorf("sealing keys (%s, %s): %w", sealed.EnvKeys, sealed.EnvIndex, err)
		}
		return r, nil
	}
	path := filepath.Join(env.DataDir, devKeyFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		data = []byte("k1=" + sealed.NewKeySecret() + "\n" + sealed.NewKeySecret() + "\n")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
		log.Warn("development sealing keys created; set " + sealed.EnvKeys + " and " + sealed.EnvIndex + " in production")
	} else if err != nil {
		return nil, err
	}
	keys, index, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	return sealed.ParseRing(keys, index)
}
