// Package config is how a Gaoxing service is configured. Bootstrap settings (listen
// addresses, etcd endpoints, data directory) come from flags, each with a GAOXING_<NAME>
// environment fallback (Parse). Everything an admin may change while the service runs is
// a typed settings struct read from etcd and kept current by a watch (Watch): one global
// value per service and optional per-tenant overrides that a tenant's subtree inherits.
// A value that does not decode or validate is rejected and logged, and the previous one
// stays; every accepted state is saved to a local last-known-good snapshot so a service
// restarted while etcd is down starts with its last settings.
//
// People change settings through the services' contracts, never by writing etcd:
// SettingsAPI (GetSettings, UpdateSettings; rule config.settings at the tenant named) is
// embedded by every service with settings. An update is validated by the service's own
// Validate on the merged result for the tenant and its whole subtree before it is
// written; Validate names the failing field with Field so the refusal carries its path
// and a stable code.
package config
