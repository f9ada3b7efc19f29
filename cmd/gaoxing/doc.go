// Command gaoxing is Gaoxing's launcher and admin CLI. `gaoxing up` runs the whole
// platform on one machine: embedded etcd, a MinIO server process and every registered
// service in this one process on loopback listeners, behind one HTTP port that routes
// /api/<service>/ to each service and shows a status page. Its data directory survives
// restarts.
package main
