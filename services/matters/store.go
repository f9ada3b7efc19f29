package matters

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/slasweep"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// store is the service's SQL. Application queries always name the tenant.
type store struct{ db *sqlstore.DB }

// clocks are an application's two clocks: the statutory limit (法定时限) and the
// promised one (承诺时限), both started at submission and paused together.
type clocks struct {
	Statutory calendar.Clock `json:"statutory"`
	Promised  calendar.Clock `json:"promised"`
	// StepStart is when the current step began (acceptance or the previous step's close).
	StepStart time.Time `json:"step_start,omitzero"`
	// Corrections counts 补正 notices: the rule is one complete list.
	Corrections int `json:"corrections,omitempty"`
	// StepPromised and StepStatutory are the current step's clocks (zero: no step runs).
	StepPromised  calendar.Clock `json:"step_promised,omitzero"`
	StepStatutory calendar.Clock `json:"step_statutory,omitzero"`
	// Rectification is the clock of the open rectification task of a poor rating.
	Rectification calendar.Clock `json:"rectification,omitzero"`
}

// application is one row of applications: the API view plus its clocks.
type application struct {
	Tenant   tenancy.ID
	ID       string
	Revision int64
	App      *mattersv1.Application
	Clocks   clocks
	// NextCheck is when the SLA sweep must next look (next_check_us), Unix µs.
	NextCheck int64
}

var (
	marshal   = protojson.MarshalOptions{}
	unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// matter returns version v of a matter (0: the latest).
func (s *store) matter(ctx context.Context, code string, v int32) (*mattersv1.Matter, error) {
	var data string
	var err error
	if v == 0 {
		err = s.db.QueryRow(ctx, `SELECT data FROM matter_versions WHERE code = $1 ORDER BY version DESC LIMIT 1`, code).Scan(&data)
	} else {
		err = s.db.QueryRow(ctx, `SELECT data FROM matter_versions WHERE code = $1 AND version = $2`, code, int64(v)).Scan(&data)
	}
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrMatterNotFound.WithMessage("事项不存在: %s", code)
	}
	if err != nil {
		return nil, err
	}
	m := &mattersv1.Matter{}
	return m, unmarshal.Unmarshal([]byte(data), m)
}

// latestMatters lists the latest version of every matter, by code.
func (s *store) latestMatters(ctx context.Context, audience mattersv1.Audience) ([]*mattersv1.Matter, error) {
	return sqlstore.QueryAll(ctx, s.db, scanJSON[*mattersv1.Matter], `SELECT m.data FROM matter_versions m
		WHERE m.version = (SELECT MAX(v.version) FROM matter_versions v WHERE v.code = m.code)
		AND ($1 = 0 OR m.audience = $1) ORDER BY m.code`, int64(audience))
}

// scanJSON reads a row of one column, a message stored as JSON.
func scanJSON[M interface {
	proto.Message
	*T
}, T any](row sqlstore.Scanner) (M, error) {
	var data string
	if err := row.Scan(&data); err != nil {
		return nil, err
	}
	m := M(new(T))
	return m, unmarshal.Unmarshal([]byte(data), m)
}

// insertMatter adds a version; sqlstore.ErrDuplicate when that version exists.
func (s *store) insertMatter(ctx context.Context, m *mattersv1.Matter, now time.Time) error {
	data, err := marshal.Marshal(m)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO matter_versions (code, version, audience, create_us, data) VALUES ($1, $2, $3, $4, $5)`,
		m.GetCode(), int64(m.GetVersion()), int64(m.GetAudience()), now.UnixMicro(), string(data))
	return err
}

// enable records (or relocalises) a matter at a tenant.
func (s *store) enable(ctx context.Context, e *mattersv1.Enablement, code string, now time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO matter_enablements (tenant, code, local_note, create_us) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, code) DO UPDATE SET local_note = $3`, e.GetTenant(), code, e.GetLocalNote(), now.UnixMicro())
	return err
}

func (s *store) enabled(ctx context.Context, t tenancy.ID, code string) (bool, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM matter_enablements WHERE tenant = $1 AND code = $2`, string(t), code).Scan(&n)
	return n > 0, err
}

func (s *store) enablements(ctx context.Context, t tenancy.ID) ([]*mattersv1.Enablement, error) {
	return sqlstore.QueryAll(ctx, s.db, func(row sqlstore.Scanner) (*mattersv1.Enablement, error) {
		var code, note string
		var us int64
		if err := row.Scan(&code, &note, &us); err != nil {
			return nil, err
		}
		return &mattersv1.Enablement{Tenant: string(t), Matter: matterName(code), LocalNote: note, EnableTime: ts(time.UnixMicro(us))}, nil
	}, `SELECT code, local_note, create_us FROM matter_enablements WHERE tenant = $1 ORDER BY code`, string(t))
}

const appColumns = `tenant, id, revision, data, clocks, next_check_us`

// never is the next check of an application no clock will call for.
const never = slasweep.Never

func scanApplication(row interface{ Scan(...any) error }) (*application, error) {
	var a application
	var tenant, data, clk string
	if err := row.Scan(&tenant, &a.ID, &a.Revision, &data, &clk, &a.NextCheck); err != nil {
		return nil, err
	}
	a.Tenant, a.App = tenancy.ID(tenant), &mattersv1.Application{}
	if err := unmarshal.Unmarshal([]byte(data), a.App); err != nil {
		return nil, err
	}
	return &a, json.Unmarshal([]byte(clk), &a.Clocks)
}

func (s *store) get(ctx context.Context, t tenancy.ID, id string) (*application, error) {
	a, err := scanApplication(s.db.QueryRow(ctx, `SELECT `+appColumns+` FROM applications WHERE tenant = $1 AND id = $2`, string(t), id))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrApplicationNotFound.WithMessage("办件不存在: %s", applicationName(t, id))
	}
	return a, err
}

// columns are the values insert and update write, in the order of rowColumns: the filter
// columns copied out of the record, then the record itself.
func (a *application) columns() ([]any, error) {
	b, err := marshal.Marshal(a.App)
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(a.Clocks)
	if err != nil {
		return nil, err
	}
	var commitmentDue, promisedDue, completed, onTime, green int64
	rank := int64(1)
	if t := a.App.GetCommitmentDueTime(); t != nil {
		commitmentDue = t.AsTime().UnixMicro()
	}
	if t := a.App.GetPromisedDueTime(); t != nil {
		promisedDue = t.AsTime().UnixMicro()
	}
	if t := a.App.GetCompleteTime(); t != nil {
		completed = t.AsTime().UnixMicro()
		if completed <= promisedDue {
			onTime = 1
		}
	}
	if a.App.GetGreenChannel() {
		green, rank = 1, 0
	}
	_, bundleID, _ := strings.Cut(a.App.GetBundle(), "/bundleApplications/")
	return []any{int64(a.App.GetState()), commitmentDue, promisedDue, a.App.GetUpdateTime().AsTime().UnixMicro(), a.Revision,
		string(b), string(c), a.NextCheck, a.App.GetHandler(), a.App.GetWindow(), a.App.GetDepartment(), green, bundleID,
		completed, int64(a.App.GetWorkingDaysUsed()), onTime, rank}, nil
}

// rowColumns are the columns of application.columns, from $3 on ($1, $2: tenant and id).
const rowColumns = `state, commitment_due_us, promised_due_us, update_us, revision, data, clocks, next_check_us,
	handler, window_name, department, green, bundle_id, complete_us, working_days, on_time, queue_rank`

func (s *store) insert(ctx context.Context, a *application) error {
	cols, err := a.columns()
	if err != nil {
		return err
	}
	args := append([]any{string(a.Tenant), a.ID, codeOf(a.App.GetMatter()), a.App.GetCreateTime().AsTime().UnixMicro()}, cols...)
	args = append(args, a.App.GetOwner().GetSubject(), a.App.GetOwner().GetOrg())
	_, err = s.db.Exec(ctx, `INSERT INTO applications (tenant, id, matter_code, create_us, `+rowColumns+`, owner_subject, owner_org)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`, args...)
	return err
}

// owner is whose application (tenant, id) is, for the owner check of applicants.
func (s *store) owner(ctx context.Context, t tenancy.ID, id string) (*commonv1.Owner, error) {
	var o commonv1.Owner
	err := s.db.QueryRow(ctx, `SELECT owner_subject, owner_org FROM applications WHERE tenant = $1 AND id = $2`,
		string(t), id).Scan(&o.Subject, &o.Org)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrApplicationNotFound.WithMessage("办件不存在: %s", applicationName(t, id))
	}
	return &o, err
}

// bundleOwner is whose bundle application (tenant, id) is: its members' owner (they are
// filed together, by one caller).
func (s *store) bundleOwner(ctx context.Context, t tenancy.ID, id string) (*commonv1.Owner, error) {
	var o commonv1.Owner
	err := s.db.QueryRow(ctx, `SELECT owner_subject, owner_org FROM applications WHERE tenant = $1 AND bundle_id = $2 LIMIT 1`,
		string(t), id).Scan(&o.Subject, &o.Org)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrApplicationNotFound.WithMessage("一件事办件不存在: %s", bundleApplicationName(t, id))
	}
	return &o, err
}

// update writes a if its revision is still prev; false when it was not.
func (s *store) update(ctx context.Context, a *application, prev int64) (bool, error) {
	cols, err := a.columns()
	if err != nil {
		return false, err
	}
	args := append([]any{string(a.Tenant), a.ID, prev}, cols...)
	res, err := s.db.Exec(ctx, `UPDATE applications SET state = $4, commitment_due_us = $5, promised_due_us = $6,
		update_us = $7, revision = $8, data = $9, clocks = $10, next_check_us = $11, handler = $12, window_name = $13,
		department = $14, green = $15, bundle_id = $16, complete_us = $17, working_days = $18, on_time = $19,
		queue_rank = $20 WHERE tenant = $1 AND id = $2 AND revision = $3`, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// expiredCommitments lists up to limit applications accepted under 容缺 whose commitment
// ran out at or before now, across tenants (the sweep's view, via the partial index).
func (s *store) expiredCommitments(ctx context.Context, now time.Time, limit int) ([]*application, error) {
	rows, err := s.db.Query(ctx, `SELECT `+appColumns+` FROM applications WHERE state = 3 AND commitment_due_us <= $1
		ORDER BY commitment_due_us LIMIT $2`, now.UnixMicro(), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows)
}

// collect scans and closes rows of appColumns.
func collect(rows *sql.Rows) ([]*application, error) {
	return sqlstore.Collect(rows, scanApplication)
}

// caseCounts is the open applications (submitted, accepted, 容缺, 补正) per tenant and
// matter with how many reach their promised deadline within slasweep.DueSoon of now or
// are past it, for the SLA gauges (after each sweep).
func (s *store) caseCounts(ctx context.Context, now time.Time) ([]slasweep.Count, error) {
	return sqlstore.QueryAll(ctx, s.db, slasweep.ScanCount, `SELECT tenant, matter_code, COUNT(*),
		SUM(CASE WHEN promised_due_us >= $1 AND promised_due_us < $2 THEN 1 ELSE 0 END),
		SUM(CASE WHEN promised_due_us > 0 AND promised_due_us < $1 THEN 1 ELSE 0 END)
		FROM applications WHERE state IN (1, 2, 3, 4) GROUP BY tenant, matter_code`,
		now.UnixMicro(), now.Add(slasweep.DueSoon).UnixMicro())
}
