package charts_test

import "syscall"

// childProcAttr has the kernel stop a server child if the test binary dies without
// running its cleanups (a -timeout panic), so no etcd or kube-apiserver outlives it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
