// Package legalaid is the legal-aid service (涉企案件绿色通道): enterprise-related cases
// taken in by the district's legal-affairs coordinators, stewards, the enterprises
// themselves or on a court's referral — the applicant enterprise by its checked credit
// code, counterparties, case type, claims in exact decimal money — checked for conflicts
// against the parties of existing cases, assessed for litigation-fee support by hardship
// criteria kept as data, assigned to the district legal adviser or a legal-aid lawyer,
// filed with a court and carried through registration (立案, within 1 working day of a
// complete intake on the official calendar, reminded at 50/75 % and escalated at 100 % by
// the shared SLA sweep), docketing (entries struck or sealed, never deleted), hearings
// on court days, the trial clock (90 natural days for ordinary civil and commercial
// procedure, lawful suspensions not counted, approved extensions added; the statutory six
// months beside it), judgment and enforcement. Preservation measures record what is
// reserved to an enterprise in production (活封, 换封, working capital, accounts,
// equipment); bankruptcy cases carry the court–government coordination steps (府院联动).
//
// Courts and legal-aid teams use the same API (ECF's GetCase, GetCaseList,
// RecordDocketing, ReserveCourtDate, NotifyCourtDate, GetPolicy): a court's machine client
// reaches only the cases linked to its court, a lawyer only the cases assigned to them,
// an enterprise only its own; every status change goes to the case's court as a signed
// webhook through the outbox, with a stable delivery id. lifecycle.go is the case state
// machine as a pure function.
package legalaid
