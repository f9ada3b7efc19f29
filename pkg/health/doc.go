// Package health answers the questions Kubernetes and the launcher ask of a service:
// is the process alive (/healthz), can it do its work now (/readyz: every dependency
// check passes), and the same readiness over the standard gRPC health protocol.
package health
