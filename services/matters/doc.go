// Package matters is the government-service matters service (政务服务事项): the
// catalogue of matters with their elements (materials, steps and time limits), defined
// at the district as versions and enabled per tenant, and the applications (办件) filed
// against them, each run through its state machine — 受理, 容缺受理, 补正, 不予受理, step by
// step to 办结, 撤回, 好差评 — against a statutory and a promised clock on the official
// working-day calendar, with every change audited and versioned.
package matters
