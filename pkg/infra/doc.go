// Package infra starts the infrastructure Gaoxing runs on when it runs on one machine:
// an embedded etcd member and a MinIO server process (found with Binary, the one lookup
// rule for helper binaries), with readiness polling. The launcher and pkg/testenv use it;
// in Kubernetes the chart runs these servers instead.
package infra
