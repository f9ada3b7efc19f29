package infra_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/infra"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
)

// helperEnv makes the test binary act as a parent that starts MinIO and then waits to
// be killed (see TestMinIODiesWithItsParent).
const helperEnv = "GAOXING_APP_TEST_MINIO_PARENT"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(minioParent(dir))
	}
	os.Exit(m.Run())
}

func minioParent(dir string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := infra.StartMinIO(ctx, infra.MinIOServer{Dir: dir, AccessKey: "parent", SecretKey: "parent-secret"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(p.PID())
	select {} // until killed
}

func TestMinIODiesWithItsParent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real MinIO")
	}
	bin := testenv.Binary(t, "minio")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	parent := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), helperEnv+"="+t.TempDir(), infra.BinDirEnv+"="+filepath.Dir(bin))
	parent.Stderr = os.Stderr
	out, err := parent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, parent.Start())
	t.Cleanup(func() { _ = parent.Process.Kill(); _ = parent.Wait() })

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	pid, err := strconv.Atoi(line[:len(line)-1])
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(pid, 0), "MinIO should be running under the parent")

	// The parent dies without any chance to clean up; the kernel must take MinIO with it.
	require.NoError(t, parent.Process.Signal(syscall.SIGKILL))
	_ = parent.Wait()
	gone := func() bool { return syscall.Kill(pid, 0) == syscall.ESRCH }
	deadline := time.Now().Add(30 * time.Second)
	for !gone() {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // do not leave the orphan behind
			t.Fatalf("MinIO %d outlived its parent", pid)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, bounded by the deadline above
	}
}

func TestMinIOThatCannotStartReportsWhy(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := infra.StartMinIO(ctx, infra.MinIOServer{
		Binary: "/bin/false", Dir: t.TempDir(), AccessKey: "user", SecretKey: "password",
	})
	require.ErrorContains(t, err, "minio exited before it was ready")
}

func TestMinIORefusesTakenFixedPort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real MinIO")
	}
	m := testenv.StartMinIO(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := infra.StartMinIO(ctx, infra.MinIOServer{
		Binary: testenv.Binary(t, "minio"), Dir: t.TempDir(), Address: m.Endpoint,
		AccessKey: "second", SecretKey: "second-secret",
	})
	require.ErrorContains(t, err, "address already in use",
		"a second server on a taken port must fail, not report the first one as ready")
}
