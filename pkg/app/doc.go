// Package app is what lets one Gaoxing service run either under its own main (one
// process per Kubernetes Deployment) or inside the local launcher beside every other
// service: the Service interface and the Env it runs in, plus the process helpers both
// kinds of main share — embedded etcd, a MinIO server process, the lookup of helper
// binaries, and readiness polling.
package app
