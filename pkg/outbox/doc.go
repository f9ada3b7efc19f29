// Package outbox sends what a state change must tell the outside world (webhooks to courts
// and legal-aid systems, notifications) without ever losing it or sending it half-done:
// the service calls Add in the same SQL transaction as the change (事务性发件箱), so the
// event exists exactly when the change committed, and a Dispatcher delivers pending
// events afterwards, retrying with exponential backoff and jitter and setting an event
// aside as dead (死信) after a number of failed tries until someone requeues it.
//
// Webhooks are HTTP POSTs of the event's JSON payload, signed with HMAC-SHA256 over
// "<unix time>.<body>" (header X-Gaoxing-Signature: t=<unix>,v1=<hex>) and carrying a
// delivery id (X-Gaoxing-Delivery) that stays the same across retries; VerifyRequest is
// the receiver's side.
//
// # Delivery contract
//
// Delivery is at least once, with a stable delivery id: a receiver that remembers the ids
// it has accepted sees every event exactly once. The Dispatcher runs on the leader only
// (package leader), and makes duplicates impossible on the normal paths: an event is
// claimed in SQL (an atomic UPDATE with a claim token and expiry) before it is sent, so
// two dispatchers never send it at once, even when an old leader has not yet noticed that
// it lost; a dispatcher whose leadership ends stops claiming but finishes the sends it
// has started and marks them, and a new leader takes only events that are neither
// delivered nor claimed. One window remains: a dispatcher that dies (or loses its
// database) after the receiver answered 2xx but before it marked the event, or a 2xx that
// arrives after the send timeout. The claim then expires and the event is sent again
// with the same delivery id, which the receiver de-duplicates.
//
//	// in the service's transaction:
//	err := db.InTx(ctx, func(ctx context.Context) error {
//		// ... the change ...
//		_, err := outbox.Add(ctx, db, outbox.Event{Tenant: t, Topic: "legalaid.case.registered",
//			Receiver: "court", Payload: body})
//		return err
//	})
//	// at start, in every replica:
//	d := outbox.NewDispatcher(db, &outbox.Webhooks{Endpoints: endpoints})
//	go leader.Run(ctx, etcd, "legalaid/outbox", d.Run)
package outbox
