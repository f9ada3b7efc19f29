//go:build !linux

package infra

import "syscall"

// childProcAttr has no portable equivalent of Linux's parent-death signal; the parent
// stops its children itself on a clean shutdown.
func childProcAttr() *syscall.SysProcAttr { return nil }
