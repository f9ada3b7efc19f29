package infra

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeExecutable(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755))
}

func TestBinaryLookupOrder(t *testing.T) {
	const name = "gaoxing-test-server"
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.work"), []byte("go 1.26\n"), 0o644))
	workspaceBin := filepath.Join(root, "bin", name)
	override := filepath.Join(t.TempDir(), name)
	onPath := filepath.Join(t.TempDir(), name)
	emptyDir := t.TempDir()

	tests := []struct {
		name   string
		binDir string // GAOXING_BIN_DIR
		// run from inside the workspace; bin/ there has it; PATH has it
		inWorkspace, workspaceHas, pathHas bool
		want                               string // "" → ErrNoBinary
	}{
		{name: "override wins", binDir: filepath.Dir(override), inWorkspace: true, workspaceHas: true, pathHas: true, want: override},
		{name: "override without the file falls through", binDir: emptyDir, inWorkspace: true, workspaceHas: true, want: workspaceBin},
		{name: "workspace bin from a subdirectory", inWorkspace: true, workspaceHas: true, pathHas: true, want: workspaceBin},
		{name: "PATH outside a workspace", pathHas: true, want: onPath},
		{name: "PATH when the workspace has none", inWorkspace: true, pathHas: true, want: onPath},
		{name: "nowhere", inWorkspace: true},
	}
	writeExecutable(t, override)
	writeExecutable(t, onPath)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(BinDirEnv, tt.binDir)
			if tt.workspaceHas {
				writeExecutable(t, workspaceBin)
				t.Cleanup(func() { _ = os.Remove(workspaceBin) })
			}
			if tt.inWorkspace {
				sub := filepath.Join(root, "services", "documents")
				require.NoError(t, os.MkdirAll(sub, 0o755))
				t.Chdir(sub)
			} else {
				t.Chdir(t.TempDir())
			}
			if tt.pathHas {
				t.Setenv("PATH", filepath.Dir(onPath))
			} else {
				t.Setenv("PATH", emptyDir)
			}

			got, err := Binary(name)
			if tt.want == "" {
				require.True(t, errors.Is(err, ErrNoBinary), "got %q, %v", got, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestBinaryIgnoresNonExecutable(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "minio"), []byte("not a program"), 0o644))
	t.Setenv(BinDirEnv, dir)
	t.Setenv("PATH", t.TempDir())
	t.Chdir(t.TempDir())
	_, err := Binary("minio")
	require.ErrorIs(t, err, ErrNoBinary)
}
