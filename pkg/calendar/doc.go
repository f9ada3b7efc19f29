// Package calendar is the official working-day calendar (工作日历) and the SLA clock (时限计时)
// every Gaoxing service counts deadlines with. "N working days" counts days on the State
// Council's holiday schedule in China Standard Time: weekends off, public holidays off,
// make-up working weekends (调休上班) on; it never means N×24 hours. The schedule is data,
// one Year per calendar year, kept in etcd under Prefix and watched by every replica; the
// official years the team has verified are embedded and seeded when etcd lacks them. A date
// in a year whose schedule is not loaded yet is counted on weekends only and the result is
// flagged Provisional, so a filing is never blocked and the guess is never silent; once an
// admin loads the year (Put, or ParseYear from a file), the same inputs give the official
// answer. Counting follows 民法典 art. 201–203: the day of acceptance is not counted, a
// period of days ends at 24:00 of its last day, a 即办件 (same-day matter) ends the same day.
// A Clock is one application's or ticket's SLA as plain data (start, limit, pauses for
// 补正/容缺/延期); Calendar.Status turns it into a deadline, the elapsed fraction and the
// 50/75/100 % thresholds used for reminders and escalation.
package calendar
