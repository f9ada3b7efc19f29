// Package objstore is how a service reaches the object store (MinIO, or any S3 server):
// the address and credentials it is given (Config) and the client made from them. It is
// kept apart from pkg/infra, which starts the servers of a one-machine install, so a
// service that only talks to MinIO does not link the embedded etcd server.
package objstore
