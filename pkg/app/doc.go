// Package app is what lets one Gaoxing service run either under its own main (one
// process per Kubernetes Deployment) or inside the local launcher beside every other
// service: the Service interface and the Env it runs in, Main (the whole main of a
// service binary), NewKit (the one middleware chain every service is built with) and Run,
// the one skeleton every service runs in. A service declares itself as a Spec (name,
// migrations, shared tables, rules, a Build callback); Run waits for etcd and the
// database with backoff while /readyz says so, builds the service, and runs its
// listeners, its audit sealer and its background loops (Loop, some leader-elected) in
// one group, returning only after every one of them stopped and closing the database
// last.
package app
