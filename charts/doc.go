// Package charts tests the platform's Helm chart (charts/gaoxing): every values file
// renders, every object decodes strictly into its Kubernetes type, every pod passes Pod
// Security "restricted", and the rendered output matches its golden file. The module
// stays out of the workspace so Helm's and Kubernetes' dependencies never move the
// versions the services build with.
package charts
