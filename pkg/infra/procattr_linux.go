package infra

import "syscall"

// childProcAttr puts a server child in its own process group, so a Ctrl-C in the
// terminal reaches only its parent (which then stops it in order), and has the kernel
// send it SIGTERM if the parent dies without stopping it, so no orphan outlives us.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
