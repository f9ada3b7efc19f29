package legalaid

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	legalaidv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/legalaid/v1"
)

// caseTypes are the case types by their settings name.
var caseTypes = map[string]legalaidv1.CaseType{
	"civil": legalaidv1.CaseType_CASE_TYPE_CIVIL, "commercial": legalaidv1.CaseType_CASE_TYPE_COMMERCIAL,
	"administrative": legalaidv1.CaseType_CASE_TYPE_ADMINISTRATIVE, "labour": legalaidv1.CaseType_CASE_TYPE_LABOUR,
	"bankruptcy": legalaidv1.CaseType_CASE_TYPE_BANKRUPTCY,
}

// typeName is the settings name of a case type.
func typeName(t legalaidv1.CaseType) string {
	return strings.ToLower(strings.TrimPrefix(t.String(), "CASE_TYPE_"))
}

type party struct {
	Name       string `json:"name"`
	CreditCode string `json:"credit_code,omitempty"`
}

type conflict struct {
	Case   string `json:"case"`
	Party  string `json:"party"`
	Reason string `json:"reason"`
}

type feeSupport struct {
	Decided      bool      `json:"decided"`
	Eligible     bool      `json:"eligible"`
	EstimatedFen int64     `json:"estimated_fen"`
	AmountFen    int64     `json:"amount_fen"`
	Reasons      []string  `json:"reasons,omitempty"`
	By           string    `json:"by,omitempty"`
	At           time.Time `json:"at,omitzero"`
}

type entry struct {
	ID           string                 `json:"id"`
	Title        string                 `json:"title"`
	Document     string                 `json:"document,omitempty"`
	Status       legalaidv1.EntryStatus `json:"status"`
	StatusReason string                 `json:"status_reason,omitempty"`
	By           string                 `json:"by"`
	At           time.Time              `json:"at"`
}

type hearing struct {
	ID        string                    `json:"id"`
	Start     time.Time                 `json:"start"`
	Courtroom string                    `json:"courtroom"`
	Outcome   legalaidv1.HearingOutcome `json:"outcome"`
	Note      string                    `json:"note,omitempty"`
	Override  string                    `json:"override,omitempty"`
}

type suspension struct {
	Reason legalaidv1.SuspensionReason `json:"reason"`
	Start  time.Time                   `json:"start"`
	End    time.Time                   `json:"end,omitzero"`
}

type extension struct {
	Days     int32     `json:"days"`
	Reason   string    `json:"reason"`
	Approval string    `json:"approval"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// trial is the trial-time clock (审限) and the statutory one beside it; both share the
// suspensions as pauses.
type trial struct {
	Clock        calendar.Clock `json:"clock"`
	Statutory    calendar.Clock `json:"statutory"`
	Due          calendar.Due   `json:"due"`
	StatutoryDue calendar.Due   `json:"statutory_due"`
	Suspensions  []suspension   `json:"suspensions,omitempty"`
	Extensions   []extension    `json:"extensions,omitempty"`
	Stopped      bool           `json:"stopped,omitempty"` // judged
}

type preservation struct {
	ID                 string                 `json:"id"`
	Kind               legalaidv1.MeasureKind `json:"kind"`
	Asset              string                 `json:"asset"`
	AmountFen          int64                  `json:"amount_fen"`
	LegalBasis         string                 `json:"legal_basis"`
	Production         bool                   `json:"production,omitempty"`
	Flexibility        legalaidv1.Flexibility `json:"flexibility"`
	Substitute         string                 `json:"substitute,omitempty"`
	ReservedCapitalFen int64                  `json:"reserved_capital_fen,omitempty"`
	ReservedAccounts   []string               `json:"reserved_accounts,omitempty"`
	ReservedEquipment  []string               `json:"reserved_equipment,omitempty"`
	Released           bool                   `json:"released,omitempty"`
	Created            time.Time              `json:"created"`
	ReleasedAt         time.Time              `json:"released_at,omitzero"`
}

type step struct {
	ID         string              `json:"id"`
	Kind       legalaidv1.StepKind `json:"kind"`
	Title      string              `json:"title"`
	Department string              `json:"department"`
	Due        time.Time           `json:"due,omitzero"`
	Done       bool                `json:"done,omitempty"`
	Result     string              `json:"result,omitempty"`
	DoneAt     time.Time           `json:"done_at,omitzero"`
}

type judgment struct {
	Outcome     string    `json:"outcome"`
	At          time.Time `json:"at"`
	Enforcement bool      `json:"enforcement,omitempty"`
}

type caseFile struct {
	Document     string `json:"document"`
	Confidential bool   `json:"confidential,omitempty"`
	Hold         bool   `json:"hold"`
	// Own: the hold is this case's (it set it), so it releases it when it closes.
	Own bool   `json:"own,omitempty"`
	By  string `json:"by"`
}

// legalCase is one row of cases. Tenant, ID, Revision and NextCheck are columns; the rest
// travels as the JSON in data, with the columns queries need copied out on every write.
type legalCase struct {
	Tenant    tenancy.ID `json:"-"`
	ID        string     `json:"-"`
	Revision  int64      `json:"-"`
	NextCheck int64      `json:"-"`

	State          legalaidv1.State             `json:"state"`
	Type           legalaidv1.CaseType          `json:"type"`
	Applicant      party                        `json:"applicant"`
	Counterparties []party                      `json:"counterparties,omitempty"`
	Claims         string                       `json:"claims"`
	AmountFen      int64                        `json:"amount_fen"`
	Urgency        legalaidv1.Urgency           `json:"urgency"`
	Arrival        legalaidv1.Arrival           `json:"arrival"`
	Ticket         string                       `json:"ticket,omitempty"`
	Hardship       map[string]string            `json:"hardship,omitempty"`
	Conflicts      []conflict                   `json:"conflicts,omitempty"`
	Fee            *feeSupport                  `json:"fee,omitempty"`
	Assignee       string                       `json:"assignee,omitempty"`
	AssigneeRole   legalaidv1.AssigneeRole      `json:"assignee_role,omitempty"`
	Court          string                       `json:"court,omitempty"`
	Number         string                       `json:"number,omitempty"`
	RegClock       calendar.Clock               `json:"registration_clock"`
	RegDue         calendar.Due                 `json:"registration_due"`
	Registered     time.Time                    `json:"registered,omitzero"`
	Trial          *trial                       `json:"trial,omitempty"`
	Hearings       []hearing                    `json:"hearings,omitempty"`
	Docket         []entry                      `json:"docket,omitempty"`
	Preservations  []preservation               `json:"preservations,omitempty"`
	Steps          []step                       `json:"steps,omitempty"`
	Judgment       *judgment                    `json:"judgment,omitempty"`
	Enforcement    legalaidv1.EnforcementStatus `json:"enforcement,omitempty"`
	Files          []caseFile                   `json:"files,omitempty"`
	EscalatedTo    tenancy.ID                   `json:"escalated_to,omitempty"`
	OwnerSubject   string                       `json:"owner_subject,omitempty"`
	OwnerOrg       string                       `json:"owner_org,omitempty"`
	Created        time.Time                    `json:"created"`
	Updated        time.Time                    `json:"updated"`
}

// clone is a deep copy (through JSON: the record is plain data).
func (lc *legalCase) clone() *legalCase {
	b, err := json.Marshal(lc)
	if err != nil {
		panic(err) // plain data always marshals
	}
	var out legalCase
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	out.Tenant, out.ID, out.Revision, out.NextCheck = lc.Tenant, lc.ID, lc.Revision, lc.NextCheck
	return &out
}

func caseName(t tenancy.ID, id string) string { return "tenants/" + string(t) + "/cases/" + id }

func (lc *legalCase) name() string { return caseName(lc.Tenant, lc.ID) }

// open reports whether the case can still change.
func (lc *legalCase) open() bool { return lc.State < legalaidv1.State_STATE_CLOSED }

// registering reports whether the registration clock runs.
func (lc *legalCase) registering() bool { return lc.open() && lc.Registered.IsZero() }

// trialRunning reports whether the trial clock runs.
func (lc *legalCase) trialRunning() bool { return lc.open() && lc.Trial != nil && !lc.Trial.Stopped }

func (lc *legalCase) owner() *commonv1.Owner {
	if lc.OwnerSubject == "" && lc.OwnerOrg == "" {
		return nil
	}
	return &commonv1.Owner{Subject: lc.OwnerSubject, Org: lc.OwnerOrg}
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// proto is the API view of lc. A sealed docket entry keeps its place and date; its title
// and document are shown to its court only (courtView).
func (lc *legalCase) proto(courtView bool) *legalaidv1.Case {
	p := &legalaidv1.Case{
		Name: lc.name(), Etag: etag(lc.Revision), State: lc.State, CaseType: lc.Type,
		Applicant: &legalaidv1.Party{Name: lc.Applicant.Name, CreditCode: lc.Applicant.CreditCode},
		Claims:    lc.Claims, ClaimAmount: formatFen(lc.AmountFen), Urgency: lc.Urgency, Arrival: lc.Arrival, Ticket: lc.Ticket,
		Hardship: maps.Clone(lc.Hardship), Assignee: lc.Assignee, AssigneeRole: lc.AssigneeRole, Court: lc.Court,
		CourtCaseNumber: lc.Number, RegistrationDueTime: ts(lc.RegDue.At), RegistrationTime: ts(lc.Registered),
		Enforcement: lc.Enforcement, EscalatedTo: string(lc.EscalatedTo), Owner: lc.owner(),
		CreateTime: ts(lc.Created), UpdateTime: ts(lc.Updated),
	}
	for _, c := range lc.Counterparties {
		p.Counterparties = append(p.Counterparties, &legalaidv1.Party{Name: c.Name, CreditCode: c.CreditCode})
	}
	for _, c := range lc.Conflicts {
		p.Conflicts = append(p.Conflicts, &legalaidv1.Conflict{Case: c.Case, Party: c.Party, Reason: c.Reason})
	}
	if f := lc.Fee; f != nil {
		p.FeeSupport = &legalaidv1.FeeSupport{Decided: f.Decided, Eligible: f.Eligible, EstimatedFee: formatFen(f.EstimatedFen),
			Amount: formatFen(f.AmountFen), Reasons: f.Reasons, DecidedBy: f.By, DecideTime: ts(f.At)}
	}
	if t := lc.Trial; t != nil {
		tc := &legalaidv1.TrialClock{StartTime: ts(t.Clock.Start), LimitDays: int32(t.Clock.Limit.N), DueTime: ts(t.Due.At),
			StatutoryDueTime: ts(t.StatutoryDue.At), Paused: t.Clock.Paused()}
		for _, s := range t.Suspensions {
			tc.Suspensions = append(tc.Suspensions, &legalaidv1.Suspension{Reason: s.Reason, StartTime: ts(s.Start), EndTime: ts(s.End)})
		}
		for _, e := range t.Extensions {
			tc.Extensions = append(tc.Extensions, &legalaidv1.Extension{Days: e.Days, Reason: e.Reason, Approval: e.Approval,
				RecordedBy: e.By, RecordTime: ts(e.At)})
		}
		p.Trial = tc
	}
	for _, h := range lc.Hearings {
		p.Hearings = append(p.Hearings, &legalaidv1.Hearing{Id: h.ID, StartTime: ts(h.Start), Courtroom: h.Courtroom,
			Outcome: h.Outcome, Note: h.Note, OverrideReason: h.Override})
	}
	for _, e := range lc.Docket {
		de := &legalaidv1.DocketEntry{Id: e.ID, Title: e.Title, Document: e.Document, Status: e.Status,
			StatusReason: e.StatusReason, RecordedBy: e.By, RecordTime: ts(e.At)}
		if e.Status == legalaidv1.EntryStatus_ENTRY_STATUS_SEALED && !courtView {
			de.Title, de.Document, de.StatusReason = "（已密封）", "", ""
		}
		p.Docket = append(p.Docket, de)
	}
	for _, m := range lc.Preservations {
		p.Preservations = append(p.Preservations, &legalaidv1.Preservation{Id: m.ID, Kind: m.Kind, Asset: m.Asset,
			Amount: formatFen(m.AmountFen), LegalBasis: m.LegalBasis, ProductionAsset: m.Production, Flexibility: m.Flexibility,
			Substitute: m.Substitute, ReservedWorkingCapital: formatFen(m.ReservedCapitalFen), ReservedAccounts: m.ReservedAccounts,
			ReservedEquipment: m.ReservedEquipment, Released: m.Released, CreateTime: ts(m.Created), ReleaseTime: ts(m.ReleasedAt)})
	}
	for _, s := range lc.Steps {
		p.BankruptcySteps = append(p.BankruptcySteps, &legalaidv1.BankruptcyStep{Id: s.ID, Kind: s.Kind, Title: s.Title,
			Department: s.Department, DueTime: ts(s.Due), Done: s.Done, Result: s.Result, DoneTime: ts(s.DoneAt)})
	}
	if j := lc.Judgment; j != nil {
		p.Judgment = &legalaidv1.Judgment{Outcome: j.Outcome, JudgmentTime: ts(j.At), EnforcementNeeded: j.Enforcement}
	}
	for _, f := range lc.Files {
		p.Files = append(p.Files, &legalaidv1.CaseFile{Document: f.Document, Confidential: f.Confidential, LegalHold: f.Hold, AddedBy: f.By})
	}
	return p
}

// store is the service's SQL.
type store struct{ db *sqlstore.DB }

const caseColumns = `tenant, id, revision, next_check_us, data`

func (s *store) scan(row sqlstore.Scanner) (*legalCase, error) {
	var lc legalCase
	var tenant, data string
	if err := row.Scan(&tenant, &lc.ID, &lc.Revision, &lc.NextCheck, &data); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &lc); err != nil {
		return nil, err
	}
	lc.Tenant = tenancy.ID(tenant)
	return &lc, nil
}

func caseNotFound(name string) error { return ErrCaseNotFound.WithMessage("案件不存在: %s", name) }

// ownerOf is whose case name is, for the owner check of applicants (authz.OwnerLookup).
func (s *store) ownerOf(ctx context.Context, name string) (*commonv1.Owner, error) {
	t, id, err := parseName("name", name)
	if err != nil {
		return nil, err
	}
	var o commonv1.Owner
	err = s.db.QueryRow(ctx, `SELECT owner_subject, owner_org FROM cases WHERE tenant = $1 AND id = $2`, string(t), id).
		Scan(&o.Subject, &o.Org)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, caseNotFound(name)
	}
	return &o, err
}

func (s *store) get(ctx context.Context, t tenancy.ID, id string) (*legalCase, error) {
	lc, err := s.scan(s.db.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE tenant = $1 AND id = $2`, string(t), id))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, caseNotFound(caseName(t, id))
	}
	return lc, err
}

func (s *store) insert(ctx context.Context, lc *legalCase) error {
	data, err := json.Marshal(lc)
	if err != nil {
		return err
	}
	if _, err = s.db.Exec(ctx, `INSERT INTO cases (tenant, id, state, case_type, credit_code, assignee, court, case_number,
		next_check_us, create_us, update_us, revision, owner_subject, owner_org, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		string(lc.Tenant), lc.ID, int64(lc.State), int64(lc.Type), lc.Applicant.CreditCode, lc.Assignee, lc.Court, lc.Number,
		lc.NextCheck, lc.Created.UnixMicro(), lc.Updated.UnixMicro(), lc.Revision, lc.OwnerSubject, lc.OwnerOrg, string(data)); err != nil {
		return err
	}
	parties := append([]party{lc.Applicant}, lc.Counterparties...)
	for i, p := range parties {
		side := int64(2)
		if i == 0 {
			side = 1
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO case_parties (tenant, case_id, seq, side, name, credit_code) VALUES ($1, $2, $3, $4, $5, $6)`,
			string(lc.Tenant), lc.ID, int64(i), side, p.Name, p.CreditCode); err != nil {
			return err
		}
	}
	return nil
}

// update writes lc if its revision is still prev; false when it was not. A case number
// taken by another case of the court is sqlstore.ErrDuplicate.
func (s *store) update(ctx context.Context, lc *legalCase, prev int64) (bool, error) {
	data, err := json.Marshal(lc)
	if err != nil {
		return false, err
	}
	res, err := s.db.Exec(ctx, `UPDATE cases SET state = $3, assignee = $4, court = $5, case_number = $6, next_check_us = $7,
		update_us = $8, revision = $9, data = $10 WHERE tenant = $1 AND id = $2 AND revision = $11`,
		string(lc.Tenant), lc.ID, int64(lc.State), lc.Assignee, lc.Court, lc.Number, lc.NextCheck, lc.Updated.UnixMicro(),
		lc.Revision, string(data), prev)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// conflicts finds the open cases in t's subtree where one of the named parties stands on
// the other side: the applicant as a counterparty there, or a counterparty as an
// applicant there (same credit code, or same name when it has none).
func (s *store) conflicts(ctx context.Context, t tenancy.ID, applicant party, counter []party) ([]conflict, error) {
	sub, args := t.SubtreeSQL("p.tenant", 1)
	var out []conflict
	check := func(p party, otherSide int64, reason string) error {
		col, key, lit := "p.name", p.Name, ""
		if p.CreditCode != "" {
			// The literal lets SQLite use the partial index of credit codes.
			col, key, lit = "p.credit_code", p.CreditCode, " AND p.credit_code <> ''"
		}
		found, err := sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (conflict, error) {
			var tenant, id string
			err := row.Scan(&tenant, &id)
			return conflict{Case: caseName(tenancy.ID(tenant), id), Party: p.Name, Reason: reason}, err
		}, `SELECT p.tenant, p.case_id FROM case_parties p JOIN cases c ON c.tenant = p.tenant AND c.id = p.case_id
			WHERE `+sub+` AND `+col+` = $3`+lit+` AND p.side = $4 AND c.state < 6 ORDER BY p.case_id LIMIT 20`,
			append(slices.Clone(args), key, otherSide)...)
		out = append(out, found...)
		return err
	}
	if err := check(applicant, 2, "申请企业在该案件中为对方当事人"); err != nil {
		return nil, err
	}
	for _, c := range counter {
		if err := check(c, 1, "对方当事人在该案件中为受援企业"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// narrow is who the caller may see beyond the tenant subtree: everything, one court's
// cases, or the cases assigned to one account; applicants are narrowed by the owner
// filter besides.
type narrow struct {
	court    string
	assignee string
	all      bool
}

// listFilter is a search of ListCases.
type listFilter struct {
	state  legalaidv1.State
	credit string
	party  string
	number string
	court  string
}

// list returns up to limit cases of t's subtree after the cursor (id, tenant), filtered
// by f, narrowed by n and the caller's owner filter.
func (s *store) list(ctx context.Context, t tenancy.ID, f listFilter, n narrow, acc authz.Access, afterID, afterTenant string, limit int) ([]*legalCase, error) {
	q, args := listSQL(t, f, n, acc, afterID, afterTenant, limit)
	return sqlstore.QueryAll(ctx, s.db, s.scan, q, args...)
}

// listSQL is the query of list: every value a placeholder. A search by party reads the
// party index in the lists' order and joins the cases, so that a rare enterprise's cases
// are found without walking every case before them.
func listSQL(t tenancy.ID, f listFilter, n narrow, acc authz.Access, afterID, afterTenant string, limit int) (string, []any) {
	key := "c.id, c.tenant"
	from := `FROM cases c WHERE `
	col, val := "", ""
	switch {
	case f.credit != "":
		col, val = "credit_code", f.credit
	case f.party != "":
		col, val = "name", f.party
	}
	tenantCol := "c.tenant"
	if col != "" {
		key, tenantCol = "p.case_id, p.tenant", "p.tenant"
		// The literal lets SQLite use the partial index of credit codes.
		from = `FROM case_parties p JOIN cases c ON c.tenant = p.tenant AND c.id = p.case_id WHERE p.` + col + ` = $5 AND p.` + col + ` <> '' AND `
	}
	sub, args := t.SubtreeSQL(tenantCol, 1)
	args = append(args, afterID, afterTenant)
	if col != "" {
		args = append(args, val)
	}
	q := `SELECT c.tenant, c.id, c.revision, c.next_check_us, c.data ` + from + sub + ` AND (` + key + `) > ($3, $4)`
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + strings.ReplaceAll(cond, "?", "$"+itoa(len(args)))
	}
	if f.state != 0 {
		add("c.state = ?", int64(f.state))
	}
	if f.number != "" {
		add("c.case_number = ? AND c.case_number <> ''", f.number)
	}
	if f.court != "" {
		add("c.court = ?", f.court)
	}
	if col == "credit_code" && f.party != "" {
		add("EXISTS (SELECT 1 FROM case_parties q WHERE q.tenant = c.tenant AND q.case_id = c.id AND q.name = ?)", f.party)
	}
	switch {
	case n.all:
	case n.court != "":
		add("c.court = ?", n.court)
	default:
		add("c.assignee = ?", n.assignee)
	}
	// An enterprise lists its own cases only.
	mine, more := acc.OwnerFilter("c.owner_subject", "c.owner_org", len(args)+1)
	q += mine
	args = append(args, more...)
	args = append(args, limit)
	q += " ORDER BY " + key + " LIMIT $" + itoa(len(args))
	return q, args
}

// sweepCursor is where a sweep pass is: the last (next_check_us, tenant, id) it read.
type sweepCursor struct {
	nextCheck  int64
	tenant, id string
}

// dueCases returns up to limit open cases whose next check is at or before now, after
// the cursor, across tenants.
func (s *store) dueCases(ctx context.Context, now time.Time, after sweepCursor, limit int) ([]*legalCase, error) {
	return sqlstore.QueryAll(ctx, s.db, s.scan, `SELECT `+caseColumns+` FROM cases WHERE state < 6 AND next_check_us <= $1
		AND (next_check_us, tenant, id) > ($2, $3, $4) ORDER BY next_check_us, tenant, id LIMIT $5`,
		now.UnixMicro(), after.nextCheck, after.tenant, after.id, limit)
}

// setNextCheck moves lc's next check forward (sweep bookkeeping: no revision).
func (s *store) setNextCheck(ctx context.Context, lc *legalCase) error {
	_, err := s.db.Exec(ctx, `UPDATE cases SET next_check_us = $3
		WHERE tenant = $1 AND id = $2 AND revision = $4 AND next_check_us <= $3`, string(lc.Tenant), lc.ID, lc.NextCheck, lc.Revision)
	return err
}

// addAlert records a threshold crossing; false when it was already recorded.
func (s *store) addAlert(ctx context.Context, lc *legalCase, clock string, th calendar.Threshold, escalatedTo tenancy.ID, now time.Time) (bool, error) {
	res, err := s.db.Exec(ctx, `INSERT INTO case_alerts (tenant, case_id, clock, threshold, escalated_to, create_us)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, case_id, clock, threshold) DO NOTHING`,
		string(lc.Tenant), lc.ID, clock, int64(th), string(escalatedTo), now.UnixMicro())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// alerts lists the crossings recorded for lc, oldest first.
func (s *store) alerts(ctx context.Context, lc *legalCase) ([]*legalaidv1.Alert, error) {
	return sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (*legalaidv1.Alert, error) {
		var a legalaidv1.Alert
		var th, at int64
		if err := row.Scan(&a.Clock, &th, &a.EscalatedTo, &at); err != nil {
			return nil, err
		}
		a.Threshold, a.CreateTime = int32(th), ts(time.UnixMicro(at))
		return &a, nil
	}, `SELECT clock, threshold, escalated_to, create_us FROM case_alerts
		WHERE tenant = $1 AND case_id = $2 ORDER BY create_us, clock, threshold`, string(lc.Tenant), lc.ID)
}

// preservations reads the measures in force over t's subtree for the report.
func (s *store) preservations(ctx context.Context, t tenancy.ID, n narrow) ([]*legalCase, error) {
	sub, args := t.SubtreeSQL("tenant", 1)
	q := `SELECT ` + caseColumns + ` FROM cases WHERE ` + sub + ` AND state < 6 AND data LIKE '%"preservations"%'`
	switch {
	case n.all:
	case n.court != "":
		args = append(args, n.court)
		q += " AND court = $" + itoa(len(args))
	default:
		args = append(args, n.assignee)
		q += " AND assignee = $" + itoa(len(args))
	}
	return sqlstore.QueryAll(ctx, s.db, s.scan, q+" ORDER BY id, tenant LIMIT 10000", args...)
}
