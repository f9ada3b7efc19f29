// Package e2e holds Gaoxing's end-to-end tests: they build the real binaries, start them
// as processes against real etcd and MinIO, and talk to them only over the network, as
// people and other systems do.
package e2e
