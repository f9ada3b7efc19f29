package infra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/objstore"
)

// MinIOServer describes a MinIO server process to start. MinIO is AGPL, so Gaoxing runs
// the unmodified binary as a child process and only talks to it over S3.
type MinIOServer struct {
	Binary string // path of the executable; "" means Binary("minio")
	Dir    string // data directory; kept across restarts
	// Address is the host:port of the S3 API; "" or port 0 picks a free loopback port.
	Address string
	// ConsoleAddress is where MinIO binds its console listener (the browser UI itself
	// is off); "" picks a free loopback port.
	ConsoleAddress string
	// AccessKey (≥ 3 characters) and SecretKey (≥ 8) are the root credentials.
	AccessKey, SecretKey string
	// Output receives the server's stdout and stderr; nil discards them.
	Output io.Writer
}

// StopGrace is how long Stop waits after SIGTERM before it kills the server.
const StopGrace = 10 * time.Second

// MinIOProcess is a running MinIO server.
type MinIOProcess struct {
	cmd      *exec.Cmd
	config   objstore.Config
	tail     *tailWriter
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
	stopErr  error
}

// StartMinIO starts the server and waits, until ctx ends, for /minio/health/ready.
// When the port was left to it and the server dies before it is ready (a port taken
// between choosing and binding), it tries again on other ports.
func StartMinIO(ctx context.Context, s MinIOServer) (*MinIOProcess, error) {
	if s.Binary == "" {
		b, err := Binary("minio")
		if err != nil {
			return nil, err
		}
		s.Binary = b
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("minio data dir: %w", err)
	}
	chosen := s.Address == "" || hasPortZero(s.Address)
	var lastErr error
	for range 3 {
		p, err := startMinIOOnce(ctx, s)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if !chosen || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func startMinIOOnce(ctx context.Context, s MinIOServer) (*MinIOProcess, error) {
	addr, err := pickAddr(s.Address)
	if err != nil {
		return nil, err
	}
	console, err := pickAddr(s.ConsoleAddress)
	if err != nil {
		return nil, err
	}
	p := &MinIOProcess{
		config: objstore.Config{Endpoint: addr, AccessKey: s.AccessKey, SecretKey: s.SecretKey},
		tail:   &tailWriter{max: 4 << 10},
		done:   make(chan struct{}),
	}
	var out io.Writer = p.tail
	if s.Output != nil {
		out = io.MultiWriter(p.tail, s.Output)
	}
	// exec.Command, not CommandContext: ctx bounds the start only, not the server's life.
	p.cmd = exec.Command(s.Binary, "server",
		"--address", addr, "--console-address", console, s.Dir)
	p.cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = childProcAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start minio: %w", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()

	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := p.Ready(ctx)
		if err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("minio exited before it was ready (%w): %s", p.waitErr, p.tail)
		case <-ctx.Done():
			_ = p.Stop()
			return nil, fmt.Errorf("minio not ready: %w (%w): %s", err, context.Cause(ctx), p.tail)
		case <-tick.C:
		}
	}
}

// Config is how clients reach this server.
func (p *MinIOProcess) Config() objstore.Config { return p.config }

// PID is the server's process id.
func (p *MinIOProcess) PID() int { return p.cmd.Process.Pid }

// Done is closed when the server process has exited, for whatever reason.
func (p *MinIOProcess) Done() <-chan struct{} { return p.done }

// Ready asks the server's readiness endpoint once.
func (p *MinIOProcess) Ready(ctx context.Context) error {
	select {
	case <-p.done:
		return errors.New("minio is not running")
	default:
	}
	return CheckHTTP(ctx, "http://"+p.config.Endpoint+"/minio/health/ready")
}

// Stop asks the server to shut down (SIGTERM), kills it if it has not gone after
// StopGrace, and waits for it to exit. Calling it again returns the first result.
func (p *MinIOProcess) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			return // already gone; nothing to stop
		default:
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.stopErr = fmt.Errorf("stop minio: %w", err)
		}
		select {
		case <-p.done:
		case <-time.After(StopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = fmt.Errorf("minio ignored SIGTERM for %s and was killed", StopGrace)
		}
	})
	return p.stopErr
}

// Output is the last few KiB the server wrote, for error messages.
func (p *MinIOProcess) Output() string { return p.tail.String() }

// pickAddr returns addr, or a free loopback host:port when addr is empty or has port 0.
// MinIO must be told a concrete port, so the port is found by binding and releasing it.
// A fixed addr is bound and released too: if something else (say an orphaned MinIO)
// holds it, the readiness probe would be answered by that and not by our server.
func pickAddr(addr string) (string, error) {
	if addr != "" && !hasPortZero(addr) {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return "", fmt.Errorf("minio address: %w", err)
		}
		_ = l.Close()
		return addr, nil
	}
	host := "127.0.0.1"
	if addr != "" {
		h, _, err := net.SplitHostPort(addr)
		if err != nil {
			return "", err
		}
		if h != "" {
			host = h
		}
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func hasPortZero(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && (port == "0" || port == "")
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tailWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(b), nil
}

func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
