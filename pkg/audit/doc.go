// Package audit keeps the audit log (审计日志): one record per state change, saying who
// (actor), in which tenant, when, what (action on a resource), the digests of the resource
// before and after, and the trace id of the request. Record writes it in the caller's SQL
// transaction, so a change and its record commit or roll back together. The log is
// append-only and hash-chained per tenant: each record's hash covers its fields and the
// previous record's hash, so Verify finds any record that was edited, deleted or moved,
// and says at which sequence. Records are chained just after their transaction commits,
// in batches (Seal), not inside it: a tenant's writers then never wait on one another's
// commit for the chain's head, which capped one tenant at one change per disk flush. Snapshots are never stored, only their SHA-256 digests, so
// the log holds no personal data in clear; a supervisor (营商监督员) who holds a snapshot
// can check it against a record with Digest.
//
// The database refuses UPDATE and DELETE (and TRUNCATE) of records by trigger, so no
// Gaoxing code path and no stray statement can change the log. The chain proves it was
// not altered by anyone who cannot also drop the trigger and rewrite every later record
// and the tenant's head. To catch a full rewrite by a database administrator,
// publish Report.HeadHash outside the database from time to time (an anchor) and compare.
package audit
