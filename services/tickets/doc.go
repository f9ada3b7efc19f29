// Package tickets is the tickets service (诉求办理): complaints, requests and suggestions
// from the 12345 hotline, the business-environment platform, petitions, walk-ins, online
// forms and 建言献策, taken in idempotently on the source's external id and carried
// through the 12345 loop 受理 → 派单 → 签收 → 办理 → 回复 → 办结 → 回访 → 评价, with 督办
// (urging), 退单 (return to dispatch), 延期 (extension approved by the tenant above) and
// reopening after an unsatisfied rating. Every transition is checked against the state
// machine and the caller's role, versioned by etag, audited in its transaction, and, when
// the public state changes, queued in the outbox as a signed webhook to the source.
// Response and close deadlines run on the official calendar with pauses; a leader-only
// sweep records the 50/75/100 % crossings once each and escalates up the tenant tiers.
package tickets
