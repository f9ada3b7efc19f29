// Package identity is the service every other one trusts: it owns the tenant tree (租户树)
// in etcd, the accounts (账号) of staff, enterprises and citizens with their argon2id
// passwords and lockout, the roles people hold at tenants (the Casbin grants in etcd), and
// the machine clients of other systems (courts, legal aid, the 12345 platform). It
// implements Directory for the OpenID Provider (package oidc), which issues the tokens
// every service verifies. Citizens' ID card numbers are validated (GB 11643), stored
// sealed with a blind index and only ever returned masked; enterprises' unified social
// credit codes are validated (GB 32100). Every change is audited: SQL changes in the same
// transaction, etcd changes (tenants, grants) in a transaction that commits only once the
// etcd write has succeeded and that takes the write back if it cannot commit.
package identity
