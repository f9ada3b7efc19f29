// Package backup tests the chart's backup and restore scripts (charts/gaoxing/files/backup
// and files/minio) against real servers: a PostgreSQL backup taken while services write
// restores into fresh databases with every record committed before it and every audit
// chain verifying; an etcd snapshot taken under writes, over TLS with a client certificate
// and auth, restores into a fresh data directory that a real etcd serves with every key
// acknowledged before it; the object store's provisioning gives the services' users the
// bucket's objects and nothing else, and its replica restores into a fresh store beside a
// restored database so that the documents service serves every document committed before
// the backup with its exact bytes.
package backup
