//go:build !unix

package main

// lockDataDir does nothing where flock is missing; do not run two launchers on one data
// directory there.
func lockDataDir(string) (func(), error) { return func() {}, nil }
