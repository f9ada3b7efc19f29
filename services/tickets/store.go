package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/redact"
	"github.com/gaoxing-gov/gaoxing/pkg/sealed"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// ticket is one row of tickets. Tenant, ID and Revision are columns; the rest travels
// as the JSON in data, with the columns queries need copied out on every write.
type ticket struct {
	Tenant    tenancy.ID `json:"-"`
	ID        string     `json:"-"`
	Revision  int64      `json:"-"`
	NextCheck int64      `json:"-"` // next_check_us

	Source      ticketsv1.Source `json:"source"`
	ExternalID  string           `json:"external_id,omitempty"`
	Category    string           `json:"category"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Address     string           `json:"address,omitempty"`
	Complainant complainant      `json:"-"` // stored sealed, in SealedComplainant
	// SealedComplainant is Complainant encrypted at rest (pkg/sealed): names and phone
	// numbers never sit in the database in clear.
	SealedComplainant string             `json:"complainant_sealed,omitempty"`
	State             ticketsv1.State    `json:"state"`
	AssigneeTenant    tenancy.ID         `json:"assignee_tenant,omitempty"`
	AssigneeDept      string             `json:"assignee_department,omitempty"`
	Handler           string             `json:"handler,omitempty"`
	Priority          ticketsv1.Priority `json:"priority"`
	UrgeCount         int32              `json:"urge_count,omitempty"`
	LastUrge          string             `json:"last_urge,omitempty"`
	ResponseClock     calendar.Clock     `json:"response_clock"`
	CloseClock        calendar.Clock     `json:"close_clock"`
	ResponseDue       calendar.Due       `json:"response_due"`
	CloseDue          calendar.Due       `json:"close_due"`
	Responded         time.Time          `json:"responded,omitzero"`
	Closed            time.Time          `json:"closed,omitzero"`
	AreaCode          string             `json:"area_code,omitempty"`
	Attachments       []string           `json:"attachments,omitempty"`
	Score             int32              `json:"score,omitempty"`
	Reopened          int32              `json:"reopened,omitempty"` // times reopened after an unsatisfied rating
	ReturnCount       int32              `json:"return_count,omitempty"`
	ReturnReason      string             `json:"return_reason,omitempty"`
	Reply             string             `json:"reply,omitempty"`
	CloseSummary      string             `json:"close_summary,omitempty"`
	VisitNote         string             `json:"visit_note,omitempty"`
	Rated             bool               `json:"rated,omitempty"`
	Satisfied         bool               `json:"satisfied,omitempty"`
	RatingComment     string             `json:"rating_comment,omitempty"`
	Extension         *extension         `json:"extension,omitempty"`
	ExtendedDays      int32              `json:"extended_days,omitempty"`
	EscalatedTo       tenancy.ID         `json:"escalated_to,omitempty"`
	MergedInto        string             `json:"merged_into,omitempty"`
	Hard              *hardCase          `json:"hard,omitempty"`
	Duplicates        []string           `json:"duplicates,omitempty"`
	Parts             []*part            `json:"parts,omitempty"`
	Created           time.Time          `json:"created"`
	Updated           time.Time          `json:"updated"`
	// Owner is set when a citizen or an enterprise filed the ticket themselves (also in
	// the owner_subject and owner_org columns, which lists filter on).
	OwnerSubject string `json:"owner_subject,omitempty"`
	OwnerOrg     string `json:"owner_org,omitempty"`
}

// owner is whose the ticket is; nil for one no applicant filed.
func (tk *ticket) owner() *commonv1.Owner {
	if tk.OwnerSubject == "" && tk.OwnerOrg == "" {
		return nil
	}
	return &commonv1.Owner{Subject: tk.OwnerSubject, Org: tk.OwnerOrg}
}

type complainant struct {
	Name           string `json:"name,omitempty"`
	Phone          string `json:"phone,omitempty"`
	EnterpriseName string `json:"enterprise_name,omitempty"`
	CreditCode     string `json:"credit_code,omitempty"`
}

// part is a co-handler's share of a joint ticket (联办), with its own clock.
type part struct {
	Tenant     tenancy.ID          `json:"tenant"`
	Department string              `json:"department"`
	State      ticketsv1.PartState `json:"state"`
	Handler    string              `json:"handler,omitempty"`
	Result     string              `json:"result,omitempty"`
	Clock      calendar.Clock      `json:"clock"`
	Due        calendar.Due        `json:"due"`
}

type extension struct {
	Days      int32     `json:"days"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	Requested time.Time `json:"requested"`
}

func ticketName(t tenancy.ID, id string) string { return "tenants/" + string(t) + "/tickets/" + id }

// name is the ticket's resource name.
func (tk *ticket) name() string { return ticketName(tk.Tenant, tk.ID) }

// open reports whether the ticket is still being handled (before 办结).
func (tk *ticket) open() bool { return tk.State < ticketsv1.State_STATE_CLOSED }

// handlingTenant is where the ticket is handled: the assignee once dispatched.
func (tk *ticket) handlingTenant() tenancy.ID {
	if tk.AssigneeTenant != "" {
		return tk.AssigneeTenant
	}
	return tk.Tenant
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// proto is the API view of tk; the complainant's name and phone are masked.
func (tk *ticket) proto() *ticketsv1.Ticket {
	p := &ticketsv1.Ticket{
		Name: tk.name(), Source: tk.Source, ExternalId: tk.ExternalID, Category: tk.Category, Title: tk.Title,
		Description: tk.Description, Address: tk.Address,
		Complainant: &ticketsv1.Complainant{
			Name: redact.Name(tk.Complainant.Name), Phone: redact.Phone(tk.Complainant.Phone),
			EnterpriseName: tk.Complainant.EnterpriseName, CreditCode: tk.Complainant.CreditCode,
		},
		State: tk.State, AssigneeTenant: string(tk.AssigneeTenant), AssigneeDepartment: tk.AssigneeDept,
		AssigneeHandler: tk.Handler, Priority: tk.Priority, UrgeCount: tk.UrgeCount,
		ResponseDue: ts(tk.ResponseDue.At), ResponseDueProvisional: tk.ResponseDue.Provisional,
		CloseDue: ts(tk.CloseDue.At), CloseDueProvisional: tk.CloseDue.Provisional, Owner: tk.owner(),
		Paused: tk.CloseClock.Paused(), ResponseTime: ts(tk.Responded), ReturnCount: tk.ReturnCount,
		ReturnReason: tk.ReturnReason, Reply: tk.Reply, CloseSummary: tk.CloseSummary, VisitNote: tk.VisitNote,
		Rated: tk.Rated, Satisfied: tk.Satisfied, RatingComment: tk.RatingComment,
		ExtendedWorkingDays: tk.ExtendedDays, EscalatedTo: string(tk.EscalatedTo),
		Etag: etag(tk.Revision), CreateTime: ts(tk.Created), UpdateTime: ts(tk.Updated),
		MergedInto: tk.MergedInto, Duplicates: tk.Duplicates, AreaCode: tk.AreaCode, Attachments: tk.Attachments,
		RatingScore: tk.Score,
	}
	for _, pt := range tk.Parts {
		p.CoHandlers = append(p.CoHandlers, &ticketsv1.CoHandler{Tenant: string(pt.Tenant), Department: pt.Department,
			State: pt.State, Handler: pt.Handler, Result: pt.Result, Due: ts(pt.Due.At)})
	}
	if h := tk.Hard; h != nil {
		p.HardCase, p.HardReason, p.ExplainDue = true, h.Reason, ts(h.ExplainDue.At)
		p.Explanation, p.ExplainTime = h.Explanation, ts(h.Explained)
	}
	if e := tk.Extension; e != nil {
		p.PendingExtension = &ticketsv1.Extension{WorkingDays: e.Days, Reason: e.Reason, RequestedBy: e.By, RequestTime: ts(e.Requested)}
	}
	return p
}

// store is the service's SQL: every query names the tenant.
type store struct {
	db   *sqlstore.DB
	ring *sealed.Ring
}

const ticketColumns = `tenant, id, revision, next_check_us, data`

func (s *store) scan(row interface{ Scan(...any) error }) (*ticket, error) {
	var tk ticket
	var tenant, data string
	if err := row.Scan(&tenant, &tk.ID, &tk.Revision, &tk.NextCheck, &data); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &tk); err != nil {
		return nil, err
	}
	tk.Tenant = tenancy.ID(tenant)
	if tk.SealedComplainant != "" {
		plain, err := s.ring.Open(tk.SealedComplainant, complainantContext(&tk))
		if err != nil {
			return nil, fmt.Errorf("open complainant of %s: %w", tk.ID, err)
		}
		if err := json.Unmarshal(plain, &tk.Complainant); err != nil {
			return nil, err
		}
	}
	return &tk, nil
}

// encode is tk's stored form, with the complainant sealed to this ticket.
func (s *store) encode(tk *ticket) (string, error) {
	plain, err := json.Marshal(tk.Complainant)
	if err != nil {
		return "", err
	}
	tk.SealedComplainant = s.ring.Seal(plain, complainantContext(tk))
	data, err := json.Marshal(tk)
	return string(data), err
}

// complainantContext binds a sealed complainant to its ticket: copied to another row, it
// does not open.
func complainantContext(tk *ticket) string {
	return "tickets/" + string(tk.Tenant) + "/" + tk.ID + "/complainant"
}

// ownerOf is whose ticket name is, for the owner check of applicants
// (authz.OwnerLookup): one indexed read.
func (s *store) ownerOf(ctx context.Context, name string) (*commonv1.Owner, error) {
	t, id, err := parseName("name", name)
	if err != nil {
		return nil, err
	}
	var o commonv1.Owner
	err = s.db.QueryRow(ctx, `SELECT owner_subject, owner_org FROM tickets WHERE tenant = $1 AND id = $2`, string(t), id).
		Scan(&o.Subject, &o.Org)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ticketNotFound(name)
	}
	return &o, err
}

// ticketNotFound is the answer for a ticket an applicant may not see: the same as for one
// that does not exist.
func ticketNotFound(name string) error {
	return ErrTicketNotFound.WithMessage("工单不存在: %s", name)
}

func (s *store) get(ctx context.Context, t tenancy.ID, id string) (*ticket, error) {
	tk, err := s.scan(s.db.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE tenant = $1 AND id = $2`, string(t), id))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrTicketNotFound.WithMessage("工单不存在: %s", ticketName(t, id))
	}
	return tk, err
}

// byExternal finds the ticket a source already sent with this external id.
func (s *store) byExternal(ctx context.Context, t tenancy.ID, src ticketsv1.Source, ext string) (*ticket, error) {
	tk, err := s.scan(s.db.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets
		WHERE tenant = $1 AND source = $2 AND external_id = $3 AND external_id <> ''`, string(t), int64(src), ext))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, nil
	}
	return tk, err
}

// dashboardColumns are the values of the columns the dashboard aggregates, in the order
// of dashboardNames.
func dashboardColumns(tk *ticket) []any {
	rated := int64(0)
	if tk.Rated {
		rated = 1
		if tk.Satisfied {
			rated = 2
		}
	}
	return []any{tk.AssigneeDept, tk.Handler, tk.ResponseDue.At.UnixMicro(), micros(tk.Responded), micros(tk.Closed), rated, int64(tk.Score)}
}

const dashboardNames = `assignee_dept, handler, response_due_us, responded_us, closed_us, rated, score`

// micros is t in Unix microseconds, 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func (s *store) insert(ctx context.Context, tk *ticket) error {
	data, err := s.encode(tk)
	if err != nil {
		return err
	}
	args := append([]any{string(tk.Tenant), tk.ID, int64(tk.Source), tk.ExternalID, int64(tk.State), string(tk.AssigneeTenant),
		tk.CloseDue.At.UnixMicro(), tk.NextCheck, tk.Created.UnixMicro(), tk.Updated.UnixMicro(), tk.Revision, data}, dashboardColumns(tk)...)
	args = append(args, tk.OwnerSubject, tk.OwnerOrg, tk.Complainant.CreditCode)
	_, err = s.db.Exec(ctx, `INSERT INTO tickets (tenant, id, source, external_id, state, assignee_tenant, close_due_us,
		next_check_us, create_us, update_us, revision, data, `+dashboardNames+`, owner_subject, owner_org, complainant_org)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`, args...)
	return err
}

// update writes tk if its revision is still prev; false when it was not.
func (s *store) update(ctx context.Context, tk *ticket, prev int64) (bool, error) {
	data, err := s.encode(tk)
	if err != nil {
		return false, err
	}
	args := append([]any{string(tk.Tenant), tk.ID, int64(tk.State), string(tk.AssigneeTenant), tk.CloseDue.At.UnixMicro(),
		tk.Updated.UnixMicro(), tk.Revision, data, prev, tk.NextCheck}, dashboardColumns(tk)...)
	res, err := s.db.Exec(ctx, `UPDATE tickets SET state = $3, assignee_tenant = $4, close_due_us = $5, update_us = $6,
		revision = $7, data = $8, next_check_us = $10, assignee_dept = $11, handler = $12, response_due_us = $13,
		responded_us = $14, closed_us = $15, rated = $16, score = $17 WHERE tenant = $1 AND id = $2 AND revision = $9`, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// listFilter narrows a list: one state, or only the open tickets whose close deadline
// passed before overdueAt.
type listFilter struct {
	state     ticketsv1.State
	overdueAt time.Time
	// org is the credit code of the enterprise the tickets concern: filed by it (owner)
	// or about it (complainant); "" for any.
	org string
}

// list returns up to limit tickets received in, or assigned into, t's subtree, after the
// id after (ids sort by day and number), filtered by f.
func (s *store) list(ctx context.Context, t tenancy.ID, f listFilter, after string, limit int) ([]*ticket, error) {
	q, args := listSQL(ctx, t, f, after, limit)
	return sqlstore.QueryAll(ctx, s.db, s.scan, q, args...)
}

// listSQL is list's query and its arguments.
func listSQL(ctx context.Context, t tenancy.ID, f listFilter, after string, limit int) (string, []any) {
	own, args := t.SubtreeSQL("tenant", 1)
	assigned, args2 := t.SubtreeSQL("assignee_tenant", 3)
	args = append(args, args2...)
	// $8 is compared with a BIGINT column first, so PostgreSQL types it BIGINT.
	args = append(args, after, int64(f.state), limit, micros(f.overdueAt), f.org)
	// The enterprise's tickets are the union of two partial indexes, one per column; each
	// branch repeats its index's condition so that SQLite, which matches a partial index's
	// condition by its text, may use it.
	org := ` AND $9 = ''`
	if f.org != "" {
		org = ` AND ((owner_org = $9 AND owner_org <> '') OR (complainant_org = $9 AND complainant_org <> ''))`
	}
	// An applicant lists the tickets it filed only (its enterprise's, for an enterprise):
	// one raised about its enterprise by staff is not its own.
	mine, more := authz.AccessFrom(ctx).OwnerFilter("owner_subject", "owner_org", 10)
	return `SELECT ` + ticketColumns + ` FROM tickets WHERE (` + own + ` OR ` + assigned + `)
		AND id > $5 AND ($6 = 0 OR state = $6) AND ((state < 6 AND close_due_us < $8) OR $8 = 0)` + org + mine +
		` ORDER BY id LIMIT $7`, append(args, more...)
}

// sweepCursor is where a sweep pass is: the last (next_check_us, tenant, id) it read.
type sweepCursor struct {
	nextCheck  int64
	tenant, id string
}

// startCursor is before every ticket.
var startCursor = sweepCursor{nextCheck: math.MinInt64}

// dueQuery is the sweep's query: open tickets due by $1, after the cursor ($2, $3, $4),
// in the order of the partial index tickets_sweep, so both engines read an index range
// and stop at the limit. The state bound is a literal so that the partial index applies
// to any plan.
const dueQuery = `SELECT ` + ticketColumns + ` FROM tickets WHERE state < 6 AND next_check_us <= $1
	AND (next_check_us, tenant, id) > ($2, $3, $4) ORDER BY next_check_us, tenant, id LIMIT $5`

// dueTickets returns up to limit open tickets whose next check is at or before now,
// after the cursor, across tenants: the sweep's view.
func (s *store) dueTickets(ctx context.Context, now time.Time, after sweepCursor, limit int) ([]*ticket, error) {
	return sqlstore.QueryAll(ctx, s.db, s.scan, dueQuery, now.UnixMicro(), after.nextCheck, after.tenant, after.id, limit)
}

// setNextCheck is the sweep's bookkeeping: it changes no state, so no revision.
// setNextCheck moves tk's next check forward. A sweep that read an older revision, or
// that looked at an earlier time than another sweep of the same revision, changes
// nothing: its view is stale, and a later next check has everything before it recorded.
func (s *store) setNextCheck(ctx context.Context, tk *ticket) error {
	_, err := s.db.Exec(ctx, `UPDATE tickets SET next_check_us = $3
		WHERE tenant = $1 AND id = $2 AND revision = $4 AND next_check_us <= $3`, string(tk.Tenant), tk.ID, tk.NextCheck, tk.Revision)
	return err
}

// addAlert records a threshold crossing; false when it was already recorded.
func (s *store) addAlert(ctx context.Context, tk *ticket, clock string, th calendar.Threshold, escalatedTo tenancy.ID, now time.Time) (bool, error) {
	res, err := s.db.Exec(ctx, `INSERT INTO ticket_alerts (tenant, ticket_id, clock, threshold, escalated_to, create_us)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, ticket_id, clock, threshold) DO NOTHING`,
		string(tk.Tenant), tk.ID, clock, int64(th), string(escalatedTo), now.UnixMicro())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// alerts lists the crossings recorded for tk, oldest first.
func (s *store) alerts(ctx context.Context, tk *ticket) ([]*ticketsv1.Alert, error) {
	return sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (*ticketsv1.Alert, error) {
		var a ticketsv1.Alert
		var th, at int64
		if err := row.Scan(&a.Clock, &th, &a.EscalatedTo, &at); err != nil {
			return nil, err
		}
		a.Threshold, a.CreateTime = int32(th), ts(time.UnixMicro(at))
		return &a, nil
	}, `SELECT clock, threshold, escalated_to, create_us FROM ticket_alerts
		WHERE tenant = $1 AND ticket_id = $2 ORDER BY create_us, clock, threshold`, string(tk.Tenant), tk.ID)
}

// caseCounts is the open tickets per tenant and category with how many close within
// slasweep.DueSoon of now or are past their close deadline, for the SLA gauges (one
// pass over the open tickets' partial index after each sweep).
func (s *store) caseCounts(ctx context.Context, now time.Time) ([]slasweep.Count, error) {
	category := `json_extract(data, '$.category')`
	if s.db.Dialect() == sqlstore.Postgres {
		category = `(data::jsonb ->> 'category')`
	}
	return sqlstore.QueryAll(ctx, s.db, slasweep.ScanCount, `SELECT tenant, COALESCE(`+category+`, ''), COUNT(*),
		SUM(CASE WHEN close_due_us >= $1 AND close_due_us < $2 THEN 1 ELSE 0 END),
		SUM(CASE WHEN close_due_us > 0 AND close_due_us < $1 THEN 1 ELSE 0 END)
		FROM tickets WHERE state < 6 GROUP BY 1, 2`, now.UnixMicro(), now.Add(slasweep.DueSoon).UnixMicro())
}
