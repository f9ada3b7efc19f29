// Package testenv starts the real servers Gaoxing's tests run against: embedded etcd, a
// MinIO server process and a PostgreSQL server, each on a free loopback port and cleaned
// up when the test (or, for the shared ones, the test binary) ends.
//
// A server that cannot be started is skipped under -short and when CI is unset with a
// missing binary; under CI=true it is always a failure, so CI never passes by skipping.
package testenv
