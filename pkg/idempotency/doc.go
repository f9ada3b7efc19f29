// Package idempotency makes retried creates safe (幂等): a call that carries an
// idempotency key runs once, and every retry with the same key gets the first call's
// response instead of a second 办件 or 工单. The key arrives in the gRPC metadata
// "idempotency-key" (the HTTP gateway maps the Idempotency-Key header to it); calls
// without one pass straight through.
//
// The record of a call is written in the same SQL transaction as the call's own writes
// (the service's InTx runs as a savepoint of it), so the two commit together or not at
// all: a failed call leaves no record and its retry runs again, and of two concurrent
// calls with one key exactly one writes while the other returns its response. The
// transaction opens at the service's first write (sqlstore.InLazyTx), so the service's
// checks and calls to other services before it hold no transaction; a retry of a call
// that committed is answered from its record before anything of the method runs. A
// key reused with a different request body is refused with IDEMPOTENCY_KEY_REUSED. Records
// expire after a day by default; Purge removes expired ones.
package idempotency
