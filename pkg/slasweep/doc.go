// Package slasweep is the shared machinery of the SLA sweeps (时限巡检): the leader-only
// pass that finds the cases (tickets, applications) whose next check is due, records each
// 50/75/100 % threshold of their clocks once, reminds, escalates one tier up at 100 % and
// moves the next check to the threshold ahead. It holds what every such sweep does the
// same way: the loop that runs a pass on a timer and after a calendar change (Loop), the
// keyset paging with a few rows in flight (Pages), which thresholds of a set of named
// clocks are crossed at an instant (Crossed), when to look next (Earliest) and the tier a
// case escalates to (EscalationTarget, OneUp). Each service keeps its own tables, events,
// audit actions and what a crossing means for it. It sits beside pkg/calendar rather than
// in it because it is about running sweeps (timers, paging, workers, tenants), not about
// counting working days; it has no SQL of its own.
package slasweep
