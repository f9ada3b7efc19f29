// Package stewardship is the enterprise steward's service (企业管家): the enterprise
// register the zone keeps (and 免申即享 in matters reads), who looks after each enterprise
// (招商/项目/企业管家 and 包保 pairing, with handover history), visits and the problems
// raised on them (a problem can become a ticket in the tickets service and follows it),
// the government arrears ledger (政府拖欠台账) with instalment plans and payments that
// reconcile to the cent, opportunity lists (机会清单) published by theme and period and
// readable without a token, the zero-cost start-up package, growth programmes (倍增计划)
// with their review and awards, 营商会客厅 meetings and 建言献策 suggestions, and the 360°
// view of an enterprise gathered from matters,
// tickets and legal aid concurrently, each part within its own deadline.
//
// Money is exact: decimal strings with at most two decimals in the API, integer fen in
// SQL (money.go). Contacts' phones are sealed at rest and masked in every answer. The
// rules of the arrears ledger are pure functions (lifecycle.go) with table tests.
package stewardship
