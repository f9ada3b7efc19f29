// Package docref handles references to documents (材料) kept by the documents service:
// the reference form tenants/{tenant}/documents/{id}, the stable errors a service returns
// when a reference cannot be used, and a Checker that asks the documents service, as the
// caller, whether the document exists, is readable by the caller, and is neither deleted
// nor infected. Services that take document references (matters' materials, tickets'
// attachments) check them here before any transaction opens (Check refuses to run inside
// one, ErrInTransaction); a nil *Checker checks the form only, for a service started
// without a documents peer.
package docref
