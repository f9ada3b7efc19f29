package infra

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BinDirEnv names the environment variable that points at a directory of helper
// binaries (minio, etcd, ...), overriding every other place.
const BinDirEnv = "GAOXING_BIN_DIR"

// ErrNoBinary is returned by Binary when the executable is nowhere to be found.
var ErrNoBinary = errors.New("binary not found")

// Binary finds a helper executable such as "minio", in this order: $GAOXING_BIN_DIR/name;
// bin/name in the workspace root (the nearest directory holding go.work, walking up from
// the working directory), which is where `make tools` builds them; then PATH. The tests
// and the launcher both use it, so they always agree on which server they run.
func Binary(name string) (string, error) {
	var tried []string
	if dir := os.Getenv(BinDirEnv); dir != "" {
		p := filepath.Join(dir, name)
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	if root, ok := workspaceRoot(); ok {
		p := filepath.Join(root, "bin", name)
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	tried = append(tried, "PATH")
	return "", fmt.Errorf("%s: %w (looked in %v; run `make tools` or set %s)", name, ErrNoBinary, tried, BinDirEnv)
}

// workspaceRoot walks up from the working directory to the directory holding go.work.
func workspaceRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.work")); err == nil && !fi.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
