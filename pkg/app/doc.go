// Package app is what lets one Gaoxing service run either under its own main (one
// process per Kubernetes Deployment) or inside the local launcher beside every other
// service: the Service interface and the Env it runs in, Main (the whole main of a
// service binary) and NewKit (the one middleware chain every service is built with).
package app
