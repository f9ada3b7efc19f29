// Package matters is the government-service matters service (政务服务事项): the
// catalogue of matters with their elements (materials, form fields, steps and time
// limits), defined at the district as versions and enabled per tenant, and the
// applications (办件) filed against them, each run through its state machine — 受理,
// 容缺受理, 补正, 不予受理, step by step to 办结, 撤回, 好差评 with 差评整改 and 回访评价,
// free mailing of certificates — against a statutory and a promised clock per
// application and per step on the official working-day calendar, with every change
// audited, versioned and announced through the outbox. A leader-only sweep records each
// 50/75/100 % crossing once and escalates overdue work up the tenant tiers; work queues
// (mine, my window, my department, my tenant) list open applications overdue first from
// partial indexes. 一件事 bundles fan one combined form out to member applications in one
// transaction; 免申即享 policies grant benefits to enterprises whose profiles meet a
// declarative rule, with the reason; reports give median and p90 working days against
// the promised limits per matter, department, tenant and handler.
package matters
