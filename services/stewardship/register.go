package stewardship

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/redact"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The enterprise register (企业名录). A registry file is imported as a whole: every entry
// is checked first, then each enterprise is created, updated where a field differs, or
// left alone, so a second import of the same file changes nothing. What an enterprise was
// (its registration date, the tenant it was registered at) is history: an import that
// would change it is refused as a whole, never applied silently.

const maxImport = 1000

var phonePattern = regexp.MustCompile(`^[0-9+() -]{5,20}$`)

// enterprise is a register row: the record, and its contacts in the clear.
type enterprise struct {
	tenant   tenancy.ID
	record   *stewardshipv1.Enterprise // without contacts, stewards and owner
	contacts []*stewardshipv1.Contact
}

func enterpriseNotFound(name string) error {
	return ErrEnterpriseNotFound.WithMessage("企业不存在: %s", name)
}

// checkEnterprise validates one entry of an import under t and returns the row it makes.
func checkEnterprise(field string, t tenancy.ID, in *stewardshipv1.Enterprise) (*enterprise, error) {
	if in == nil {
		return nil, errs.Invalid(field, "REQUIRED", "企业信息不能为空")
	}
	cc, err := creditCode(field+".credit_code", in.GetCreditCode())
	if err != nil {
		return nil, err
	}
	at := t
	if in.GetName() != "" {
		nt, ncc, err := parseEnterprise(field+".name", in.GetName())
		if err != nil {
			return nil, err
		}
		if ncc != cc {
			return nil, errs.Invalid(field+".name", "INVALID_NAME", "名称中的信用代码与 credit_code 不一致")
		}
		if !t.Contains(nt) {
			return nil, errs.Invalid(field+".name", "OUTSIDE_SUBTREE", "企业所属辖区须在导入单位之内")
		}
		at = nt
	}
	for _, f := range []struct {
		field, v string
		required bool
		max      int
	}{
		{".enterprise_name", in.GetEnterpriseName(), true, 200}, {".industry", in.GetIndustry(), false, 100},
		{".address", in.GetAddress(), false, 300}, {".tax_status", in.GetTaxStatus(), false, 50},
	} {
		if err := text(field+f.field, f.v, f.required, f.max); err != nil {
			return nil, err
		}
	}
	if err := date(field+".registration_date", in.GetRegistrationDate(), false); err != nil {
		return nil, err
	}
	if len(in.GetScaleTags()) > 10 {
		return nil, errs.Invalid(field+".scale_tags", "TOO_MANY", "规模标签最多 10 个")
	}
	for i, tag := range in.GetScaleTags() {
		if err := text(fmt.Sprintf("%s.scale_tags[%d]", field, i), tag, true, 20); err != nil {
			return nil, err
		}
		if strings.Contains(tag, ",") {
			return nil, errs.Invalid(fmt.Sprintf("%s.scale_tags[%d]", field, i), "INVALID_TAG", "标签不能含逗号")
		}
	}
	if len(in.GetAttributes()) > 30 {
		return nil, errs.Invalid(field+".attributes", "TOO_MANY", "属性最多 30 个")
	}
	for k, v := range in.GetAttributes() {
		if !fieldKey.MatchString(k) {
			return nil, errs.Invalid(field+".attributes", "INVALID_ATTRIBUTE", "属性名应为小写字母、数字和下划线")
		}
		if err := text(field+".attributes."+k, v, false, 500); err != nil {
			return nil, err
		}
	}
	if _, ok := stewardshipv1.Stage_name[int32(in.GetStage())]; !ok {
		return nil, errs.Invalid(field+".stage", "INVALID_STAGE", "生命周期阶段不正确")
	}
	if len(in.GetContacts()) > 10 {
		return nil, errs.Invalid(field+".contacts", "TOO_MANY", "联系人最多 10 个")
	}
	var contacts []*stewardshipv1.Contact
	for i, c := range in.GetContacts() {
		f := fmt.Sprintf("%s.contacts[%d]", field, i)
		if err := text(f+".name", c.GetName(), true, 50); err != nil {
			return nil, err
		}
		if err := text(f+".position", c.GetPosition(), false, 50); err != nil {
			return nil, err
		}
		if c.GetPhone() != "" && !phonePattern.MatchString(c.GetPhone()) {
			return nil, errs.Invalid(f+".phone", "INVALID_PHONE", "电话号码格式不正确")
		}
		contacts = append(contacts, &stewardshipv1.Contact{Name: c.GetName(), Phone: c.GetPhone(), Position: c.GetPosition()})
	}
	tags := slices.Clone(in.GetScaleTags())
	slices.Sort(tags)
	rec := &stewardshipv1.Enterprise{
		Name: enterpriseName(at, cc), CreditCode: cc, EnterpriseName: in.GetEnterpriseName(), Industry: in.GetIndustry(),
		ScaleTags: slices.Compact(tags), Address: in.GetAddress(), RegistrationDate: in.GetRegistrationDate(),
		TaxStatus: in.GetTaxStatus(), Attributes: in.GetAttributes(), Stage: in.GetStage(),
	}
	return &enterprise{tenant: at, record: rec, contacts: contacts}, nil
}

// changedFields names the fields in which next differs from prev (both without times).
func changedFields(prev, next *enterprise) []string {
	var out []string
	a, b := prev.record, next.record
	for _, f := range []struct {
		name string
		same bool
	}{
		{"enterprise_name", a.GetEnterpriseName() == b.GetEnterpriseName()},
		{"industry", a.GetIndustry() == b.GetIndustry()},
		{"scale_tags", slices.Equal(a.GetScaleTags(), b.GetScaleTags())},
		{"address", a.GetAddress() == b.GetAddress()},
		{"registration_date", a.GetRegistrationDate() == b.GetRegistrationDate()},
		{"tax_status", a.GetTaxStatus() == b.GetTaxStatus()},
		{"attributes", maps.Equal(a.GetAttributes(), b.GetAttributes())},
		{"stage", a.GetStage() == b.GetStage()},
		{"contacts", slices.EqualFunc(prev.contacts, next.contacts, func(x, y *stewardshipv1.Contact) bool { return proto.Equal(x, y) })},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// ImportEnterprises imports a registry file (see the contract).
func (s *service) ImportEnterprises(ctx context.Context, r *stewardshipv1.ImportEnterprisesRequest) (*stewardshipv1.ImportEnterprisesResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if n := len(r.GetEnterprises()); n == 0 || n > maxImport {
		return nil, errs.Invalid("enterprises", "INVALID_COUNT", fmt.Sprintf("一次导入 1—%d 家企业", maxImport))
	}
	rows := make([]*enterprise, 0, len(r.GetEnterprises()))
	seen := map[string]bool{}
	for i, in := range r.GetEnterprises() {
		e, err := checkEnterprise(fmt.Sprintf("enterprises[%d]", i), t, in)
		if err != nil {
			return nil, err
		}
		if seen[e.record.GetCreditCode()] {
			return nil, errs.Invalid(fmt.Sprintf("enterprises[%d].credit_code", i), "DUPLICATE", "同一文件中信用代码重复")
		}
		seen[e.record.GetCreditCode()] = true
		rows = append(rows, e)
	}
	now := s.now()
	resp := &stewardshipv1.ImportEnterprisesResponse{DryRun: r.GetDryRun()}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		resp.Created, resp.Updated, resp.Unchanged, resp.Changes = 0, 0, 0, nil
		for i, e := range rows {
			cc := e.record.GetCreditCode()
			prev, err := s.enterprise(ctx, cc)
			switch {
			case errors.Is(err, ErrEnterpriseNotFound):
				resp.Created++
				resp.Changes = append(resp.Changes, &stewardshipv1.EnterpriseChange{CreditCode: cc, Action: "created"})
				if r.GetDryRun() {
					continue
				}
				if err := s.putEnterprise(ctx, e, now, false); err != nil {
					return err
				}
				if _, err := s.audit.Record(ctx, audit.Entry{Tenant: e.tenant, Action: "stewardship.ImportEnterprise",
					Resource: e.record.GetName(), After: masked(e), Time: now}); err != nil {
					return err
				}
				continue
			case err != nil:
				return err
			}
			field := fmt.Sprintf("enterprises[%d]", i)
			if prev.tenant != e.tenant {
				return ErrHistoryRewrite.WithMessage("企业 %s 已登记在 %s，导入不能改变其登记辖区", cc, prev.tenant).
					WithField(field+".name", ErrHistoryRewrite.Code, "已登记企业的辖区不能由导入改变")
			}
			if old := prev.record.GetRegistrationDate(); old != "" && old != e.record.GetRegistrationDate() {
				return ErrHistoryRewrite.WithMessage("企业 %s 的成立日期已登记为 %s，导入不能改写", cc, old).
					WithField(field+".registration_date", ErrHistoryRewrite.Code, "已登记的成立日期不能由导入改写")
			}
			changed := changedFields(prev, e)
			if len(changed) == 0 {
				resp.Unchanged++
				continue
			}
			resp.Updated++
			resp.Changes = append(resp.Changes, &stewardshipv1.EnterpriseChange{CreditCode: cc, Action: "updated", Fields: changed})
			if r.GetDryRun() {
				continue
			}
			if err := s.putEnterprise(ctx, e, now, true); err != nil {
				return err
			}
			if _, err := s.audit.Record(ctx, audit.Entry{Tenant: e.tenant, Action: "stewardship.ImportEnterprise",
				Resource: e.record.GetName(), Before: masked(prev), After: masked(e), Time: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// masked is what the audit trail digests of an enterprise: no contacts in the clear.
func masked(e *enterprise) *stewardshipv1.Enterprise {
	out := proto.Clone(e.record).(*stewardshipv1.Enterprise)
	out.Contacts = maskContacts(e.contacts)
	return out
}

func maskContacts(cs []*stewardshipv1.Contact) []*stewardshipv1.Contact {
	out := make([]*stewardshipv1.Contact, 0, len(cs))
	for _, c := range cs {
		out = append(out, &stewardshipv1.Contact{Name: redact.Name(c.GetName()), Phone: redact.Phone(c.GetPhone()), Position: c.GetPosition()})
	}
	return out
}

// sealContext binds sealed contacts to their enterprise, so a sealed value copied to
// another row does not open.
func sealContext(cc string) string { return "stewardship/enterprises/" + cc + "/contacts" }

func (s *service) putEnterprise(ctx context.Context, e *enterprise, now time.Time, update bool) error {
	rec := proto.Clone(e.record).(*stewardshipv1.Enterprise)
	rec.UpdateTime = ts(now)
	data, err := marshal.Marshal(rec)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(contactsJSON(e.contacts))
	if err != nil {
		return err
	}
	cc := rec.GetCreditCode()
	sealedContacts := s.ring.SealString(string(plain), sealContext(cc))
	tags := ""
	if len(rec.GetScaleTags()) > 0 {
		tags = "," + strings.Join(rec.GetScaleTags(), ",") + ","
	}
	if update {
		_, err = s.db.Exec(ctx, `UPDATE enterprises SET enterprise_name = $2, industry = $3, scale_tags = $4, stage = $5,
			registration_date = $6, contacts = $7, data = $8, update_us = $9 WHERE credit_code = $1`,
			cc, rec.GetEnterpriseName(), rec.GetIndustry(), tags, int64(rec.GetStage()), rec.GetRegistrationDate(), sealedContacts, string(data), now.UnixMicro())
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO enterprises (credit_code, tenant, enterprise_name, industry, scale_tags, stage,
		registration_date, contacts, data, update_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		cc, string(e.tenant), rec.GetEnterpriseName(), rec.GetIndustry(), tags, int64(rec.GetStage()), rec.GetRegistrationDate(),
		sealedContacts, string(data), now.UnixMicro())
	return err
}

type contactJSON struct {
	Name     string `json:"name"`
	Phone    string `json:"phone,omitempty"`
	Position string `json:"position,omitempty"`
}

func contactsJSON(cs []*stewardshipv1.Contact) []contactJSON {
	out := make([]contactJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, contactJSON{Name: c.GetName(), Phone: c.GetPhone(), Position: c.GetPosition()})
	}
	return out
}

// enterprise loads one enterprise by credit code, wherever it is registered.
func (s *service) enterprise(ctx context.Context, cc string) (*enterprise, error) {
	var tenant, sealedContacts, data string
	err := s.db.QueryRow(ctx, `SELECT tenant, contacts, data FROM enterprises WHERE credit_code = $1`, cc).Scan(&tenant, &sealedContacts, &data)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrEnterpriseNotFound.WithMessage("企业不存在: %s", cc)
	}
	if err != nil {
		return nil, err
	}
	rec := &stewardshipv1.Enterprise{}
	if err := unmarshal.Unmarshal([]byte(data), rec); err != nil {
		return nil, err
	}
	plain, err := s.ring.OpenString(sealedContacts, sealContext(cc))
	if err != nil {
		return nil, fmt.Errorf("stewardship: contacts of %s: %w", cc, err)
	}
	var cj []contactJSON
	if err := json.Unmarshal([]byte(plain), &cj); err != nil {
		return nil, err
	}
	e := &enterprise{tenant: tenancy.ID(tenant), record: rec}
	for _, c := range cj {
		e.contacts = append(e.contacts, &stewardshipv1.Contact{Name: c.Name, Phone: c.Phone, Position: c.Position})
	}
	return e, nil
}

// enterpriseAt loads the enterprise a request names; one registered elsewhere is not found.
func (s *service) enterpriseAt(ctx context.Context, field, name string) (*enterprise, error) {
	t, cc, err := parseEnterprise(field, name)
	if err != nil {
		return nil, err
	}
	e, err := s.enterprise(ctx, cc)
	if err != nil || e.tenant != t {
		return nil, enterpriseNotFound(name)
	}
	return e, nil
}

// ownerOf is the owner of an enterprise record, or of a programme enrolment: the
// enterprise itself, so that its own accounts (which carry its credit code) read it.
func (s *service) ownerOf(ctx context.Context, name string) (*commonv1.Owner, error) {
	if strings.Contains(name, "/enrolments/") {
		t, id, err := parseEnrolment(name)
		if err != nil {
			return nil, err
		}
		var cc string
		err = s.db.QueryRow(ctx, `SELECT credit_code FROM records WHERE tenant = $1 AND kind = 'enrolment' AND id = $2`, string(t), id).Scan(&cc)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return nil, enrolmentNotFound(name)
		}
		return &commonv1.Owner{Org: cc}, err
	}
	e, err := s.enterpriseAt(ctx, "name", name)
	if err != nil {
		return nil, err
	}
	return &commonv1.Owner{Org: e.record.GetCreditCode()}, nil
}

// GetEnterprise returns the record with masked contacts and its current stewards.
func (s *service) GetEnterprise(ctx context.Context, r *stewardshipv1.GetEnterpriseRequest) (*stewardshipv1.Enterprise, error) {
	e, err := s.enterpriseAt(ctx, "name", r.GetName())
	if err != nil {
		return nil, err
	}
	return s.full(ctx, e)
}

// full is the answer for one enterprise: masked contacts, current stewards, the owner.
func (s *service) full(ctx context.Context, e *enterprise) (*stewardshipv1.Enterprise, error) {
	out := masked(e)
	out.Owner = &commonv1.Owner{Org: out.GetCreditCode()}
	cur, err := s.assignments(ctx, assignmentFilter{creditCode: out.GetCreditCode()}, "", 10)
	if err != nil {
		return nil, err
	}
	out.Stewards = cur
	return out, nil
}

// listEnterprisesSQL is the register's list query for a subtree condition on $1–$2 (the
// keyset after ($3, $4), the filters $5–$8, the limit $9), in the order of the
// enterprises_tenant index so that a page reads an index range from its keyset and stops
// at the limit. The keyset is a row comparison, which both engines use as the start of
// the index range; the first page starts at the subtree's root (a tenant sorts before
// the ids it prefixes in every collation, so nothing of the subtree lies before it).
func listEnterprisesSQL(subtree string) string {
	return `SELECT tenant, credit_code, data FROM enterprises WHERE ` + subtree + `
		AND (tenant, credit_code) > ($3, $4) AND ($5 = '' OR industry = $5)
		AND ($6 = '' OR scale_tags LIKE $6) AND ($7 = 0 OR stage = $7)
		AND ($8 = '' OR credit_code IN (SELECT credit_code FROM assignments WHERE steward = $8 AND end_us = 0))
		ORDER BY tenant, credit_code LIMIT $9`
}

// ListEnterprises lists the register of a subtree in (tenant, credit code) order. Lists
// carry no contacts: GetEnterprise does.
func (s *service) ListEnterprises(ctx context.Context, r *stewardshipv1.ListEnterprisesRequest) (*stewardshipv1.ListEnterprisesResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if _, ok := stewardshipv1.Stage_name[int32(r.GetStage())]; !ok {
		return nil, errs.Invalid("stage", "INVALID_STAGE", "生命周期阶段不正确")
	}
	if r.GetSteward() != "" && !subjectPattern.MatchString(r.GetSteward()) {
		return nil, errs.Invalid("steward", "INVALID_SUBJECT", "管家账号格式不正确")
	}
	for f, v := range map[string]string{"industry": r.GetIndustry(), "scale_tag": r.GetScaleTag()} {
		if err := text(f, v, false, 100); err != nil {
			return nil, err
		}
	}
	size, err := page.Size(r.GetPageSize(), 50, 500)
	if err != nil {
		return nil, err
	}
	query := page.Hash("enterprises", string(t), r.GetIndustry(), r.GetScaleTag(), r.GetStage().String(), r.GetSteward())
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	afterTenant, afterCC, _ := strings.Cut(after, "/")
	if after == "" {
		afterTenant = string(t)
	}
	tag := ""
	if r.GetScaleTag() != "" {
		tag = "%," + r.GetScaleTag() + ",%"
	}
	where, args := t.SubtreeSQL("tenant", 1)
	args = append(args, afterTenant, afterCC, r.GetIndustry(), tag, int64(r.GetStage()), r.GetSteward(), size+1)
	rows, err := s.db.Query(ctx, listEnterprisesSQL(where), args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	resp := &stewardshipv1.ListEnterprisesResponse{}
	last := ""
	for rows.Next() {
		var tenant, cc, data string
		if err := rows.Scan(&tenant, &cc, &data); err != nil {
			return nil, err
		}
		if len(resp.Enterprises) == size {
			resp.NextPageToken = page.Encode(last, query)
			break
		}
		e := &stewardshipv1.Enterprise{}
		if err := unmarshal.Unmarshal([]byte(data), e); err != nil {
			return nil, err
		}
		e.Owner = &commonv1.Owner{Org: cc}
		resp.Enterprises, last = append(resp.Enterprises, e), tenant+"/"+cc
	}
	return resp, rows.Err()
}
