package infra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a server the launcher runs as a child process (Jaeger, Prometheus): it
// binds loopback only and keeps its data in the directory it was given.
type Process struct {
	name     string
	cmd      *exec.Cmd
	tail     *tailWriter
	done     chan struct{}
	waitErr  error
	ready    func(context.Context) error
	stopOnce sync.Once
	stopErr  error
}

// startProcess runs binary with args (and env added to the process's) and waits, until ctx ends, for ready to pass.
func startProcess(ctx context.Context, name, binary string, args, env []string, out io.Writer, ready func(context.Context) error) (*Process, error) {
	p := &Process{name: name, tail: &tailWriter{max: 4 << 10}, done: make(chan struct{}), ready: ready}
	var w io.Writer = p.tail
	if out != nil {
		w = io.MultiWriter(p.tail, out)
	}
	// exec.Command, not CommandContext: ctx bounds the start only, not the server's life.
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = w, w
	p.cmd.SysProcAttr = childProcAttr()
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
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
			return nil, fmt.Errorf("%s exited before it was ready (%w): %s", name, p.waitErr, p.tail)
		case <-ctx.Done():
			_ = p.Stop()
			return nil, fmt.Errorf("%s not ready: %w (%w): %s", name, err, context.Cause(ctx), p.tail)
		case <-tick.C:
		}
	}
}

// Ready asks the server's readiness endpoint once.
func (p *Process) Ready(ctx context.Context) error {
	select {
	case <-p.done:
		return fmt.Errorf("%s is not running", p.name)
	default:
	}
	return p.ready(ctx)
}

// PID is the server's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited, for whatever reason.
func (p *Process) Done() <-chan struct{} { return p.done }

// Output is the last few KiB the server wrote, for error messages.
func (p *Process) Output() string { return p.tail.String() }

// Stop asks the server to shut down (SIGTERM), kills it if it has not gone after
// StopGrace, and waits for it to exit. Calling it again returns the first result.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			p.stopErr = fmt.Errorf("stop %s: %w", p.name, err)
		}
		select {
		case <-p.done:
		case <-time.After(StopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
			p.stopErr = fmt.Errorf("%s ignored SIGTERM for %s and was killed", p.name, StopGrace)
		}
	})
	return p.stopErr
}
