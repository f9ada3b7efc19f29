// Package leader runs background work (SLA sweeps, reminders, webhook delivery) on exactly
// one replica of a service at a time: every replica campaigns in an etcd election (选主)
// held under a session lease, and only the winner runs the work. When the lease is lost
// (the replica stalls, etcd is unreachable, the client is closed) the work's context is
// cancelled and the replica campaigns again; another replica wins once the lease expires,
// so a crashed leader is replaced within the lease TTL. Leadership is a lease, not a lock:
// for a moment a stalled old leader may still believe it leads, so the work itself must be
// idempotent (claims or unique keys in SQL), as the outbox dispatcher's is.
//
//	// in every replica, as one actor of the service's run group:
//	err := leader.Run(ctx, etcd, "tickets/sla-sweeper", sweeper.Run)
package leader
