// Package matrix is the isolation matrix: every RPC of every service, called over HTTP
// against the real services (one etcd, MinIO, SQLite each) by every role of the default
// role set, on records in the caller's own tenant (its own and another person's), a
// sibling, the parent, a child and an unknown tenant. The cells are generated from the
// contracts' descriptors and gateway rules; the expected outcome of each is derived from
// one table of rules (the method's access rule, the role's permissions, the relation)
// with a short list of explained exceptions, and any other outcome fails the test.
package matrix
