// Package authz is Gaoxing's authorization, shared by every service: Casbin RBAC with
// domains where the domain is a tenant. A role granted at a tenant applies to that
// tenant's whole subtree (a district role reaches its streets and communities, a street
// role its communities) and never upward or sideways; an explicit deny beats every allow
// (read-only supervisors, suspended users). ModelText is the Casbin model; the policy is
// Casbin's p and g rules, kept in etcd one key per rule under one prefix and written
// through Adapter, a Casbin persist adapter on clientv3.
//
// Enforcer answers Allowed(subject, tenant, object, action) from an index of that policy:
// a subject's grants (role, tenant) lead to the role's rules by object and action, so a
// decision costs a few map lookups at any scale, where stock Casbin evaluates its matcher
// once per rule. Every replica's Enforcer follows the policy with an etcd watch, adding
// or removing one rule per event, and reloads everything only after a gap in the watch
// (compaction, lost leader). Tests hold Enforcer to the same decisions as a stock
// casbin.Enforcer on the same model and policy (see Casbin). Scope turns the same rule
// into a row filter for list queries (Scope.SQL), and Middleware checks each go-kit method
// against the Rule its contract declares, failing closed.
//
// Names. Subjects are the authenticated subjects ("u:7f3c…", "svc:court-01"); a role name
// is lowercase snake case ("window_clerk") and a subject may never look like one, so
// neither can pass for the other. Objects are "<service>.<resource>" in the resource's
// plural, as in the service's API: identity.users, identity.roles, identity.tenants,
// identity.clients, matters.matters (the catalogue), matters.applications (办件),
// matters.ratings (好差评), tickets.tickets (诉求), legalaid.cases, stewardship.enterprises,
// stewardship.visits, stewardship.arrears, stewardship.programmes, documents.documents,
// audit.records, config.settings, config.calendar, ops.telemetry. A permission may name
// "<service>.*" or "*". Actions are the closed list Actions (read, create, update,
// delete, approve, assign, admin, or "*"); services map their verbs onto it, which keeps
// read-only roles read-only as services add methods. The default roles
// (default_roles.yaml, DefaultRoles) are data, seeded once with Enforcer.Seed.
package authz
