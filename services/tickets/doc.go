// Package tickets is the tickets service (诉求办理): complaints, requests and suggestions
// from the 12345 hotline, the business-environment platform, petitions, walk-ins, online
// forms and 建言献策, taken in idempotently on the source's external id — one at a time or
// as a backlog batch — with the complainant's attachments referenced in the documents
// service, routed automatically (自动派单) by area and category per the routing rules in
// config, and carried through the 12345 loop 受理 → 派单 → 签收 → 办理 → 回复 → 办结 → 回访 →
// 评价, with 督办 (urging), 退单 (return to dispatch), 延期 (extension approved by the
// tenant above), 联办 (joint handling), merging duplicates and reopening after an
// unsatisfied rating. Every transition is checked against the state machine and the
// caller's role, versioned by etag, audited in its transaction, and, when the public
// state changes, recorded for the Open311 updates feed and queued in the outbox as a
// signed webhook to the source. Response and close deadlines run on the official
// calendar with pauses; a leader-only sweep records the 50/75/100 % crossings once each,
// sends reminders at 50 and 75 % and escalates up the tenant tiers at 100 %. A dashboard
// aggregates on-time rates, overdue counts and satisfaction per tenant, department and
// handler; an Open311 GeoReport v2 façade serves the same tickets to GeoReport clients.
package tickets
