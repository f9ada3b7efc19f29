package matters

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

//go:embed catalogue/seed.yaml
var seedYAML []byte

var (
	codePattern     = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,39}$`)
	fieldKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	bundleIDPattern = regexp.MustCompile(`^B-[0-9]{8}-[0-9]{6}$`)
)

func matterName(code string) string { return "matters/" + code }

// codeOf is the code in matters/{code} ("" when malformed).
func codeOf(name string) string {
	code, ok := strings.CutPrefix(name, "matters/")
	if !ok || !codePattern.MatchString(code) {
		return ""
	}
	return code
}

// seedFile is catalogue/seed.yaml: matters and 一件事 bundles.
type seedFile struct {
	Matters []map[string]any `yaml:"matters"`
	Bundles []map[string]any `yaml:"bundles"`
}

func readSeed() (seedFile, error) {
	var f seedFile
	if err := yaml.Unmarshal(seedYAML, &f); err != nil {
		return f, fmt.Errorf("matters: seed catalogue: %w", err)
	}
	return f, nil
}

// decodeSeed reads one YAML entry as the protojson of m, unknown fields refused.
func decodeSeed(entry map[string]any, m proto.Message) error {
	b, err := json.Marshal(entry)
	if err != nil {
		return err
	}
	return unmarshalStrict.Unmarshal(b, m)
}

// SeedMatters is the catalogue shipped with the service (catalogue/seed.yaml): the seed's
// enterprise matters with their targets and illustrative citizen matters.
func SeedMatters() ([]*mattersv1.Matter, error) {
	f, err := readSeed()
	if err != nil {
		return nil, err
	}
	out := make([]*mattersv1.Matter, 0, len(f.Matters))
	for i, r := range f.Matters {
		m := &mattersv1.Matter{}
		if err := decodeSeed(r, m); err != nil {
			return nil, fmt.Errorf("matters: seed catalogue entry %d: %w", i, err)
		}
		m.Name, m.Version = matterName(m.GetCode()), 1
		if err := validateMatter(m); err != nil {
			return nil, fmt.Errorf("matters: seed catalogue %s: %w", m.GetCode(), err)
		}
		out = append(out, m)
	}
	return out, nil
}

// SeedBundles are the 一件事 bundles shipped with the service, checked against the
// shipped matters.
func SeedBundles() ([]*mattersv1.Bundle, error) {
	f, err := readSeed()
	if err != nil {
		return nil, err
	}
	ms, err := SeedMatters()
	if err != nil {
		return nil, err
	}
	byCode := map[string]*mattersv1.Matter{}
	for _, m := range ms {
		byCode[m.GetCode()] = m
	}
	out := make([]*mattersv1.Bundle, 0, len(f.Bundles))
	for i, r := range f.Bundles {
		b := &mattersv1.Bundle{}
		if err := decodeSeed(r, b); err != nil {
			return nil, fmt.Errorf("matters: seed bundle %d: %w", i, err)
		}
		b.Name = bundleName(b.GetCode())
		if err := validateBundle(b, byCode); err != nil {
			return nil, fmt.Errorf("matters: seed %w", err)
		}
		out = append(out, b)
	}
	return out, nil
}

// seed adds version 1 of every shipped matter the catalogue does not have yet; matters
// already there (perhaps changed by the district since) are left alone.
func (s *service) seed(ctx context.Context) error {
	ms, err := SeedMatters()
	if err != nil {
		return err
	}
	now := s.now()
	for _, m := range ms {
		if _, err := s.st.matter(ctx, m.GetCode(), 0); err == nil {
			continue
		} else if !errors.Is(err, ErrMatterNotFound) {
			return err
		}
		m.UpdateTime = ts(now)
		if err := s.st.insertMatter(ctx, m, now); err != nil && !errors.Is(err, sqlstore.ErrDuplicate) {
			return err
		}
	}
	return nil
}

// limitOf converts a contract limit to the calendar's.
func limitOf(l *mattersv1.Limit) calendar.Duration {
	u := map[mattersv1.Unit]calendar.Unit{
		mattersv1.Unit_UNIT_WORKING_DAYS: calendar.WorkingDays, mattersv1.Unit_UNIT_NATURAL_DAYS: calendar.NaturalDays,
		mattersv1.Unit_UNIT_HOURS: calendar.Hours,
	}[l.GetUnit()]
	return calendar.Duration{N: int(l.GetN()), Unit: u}
}

func validLimit(field string, l *mattersv1.Limit) error {
	if l == nil {
		return errs.Invalid(field, "REQUIRED", field+" 不能为空")
	}
	if err := limitOf(l).Validate(); err != nil {
		return errs.From(err).WithField(field, "INVALID_LIMIT", "时限无效")
	}
	return nil
}

// validateMatter checks a matter's elements.
func validateMatter(m *mattersv1.Matter) error {
	switch {
	case !codePattern.MatchString(m.GetCode()):
		return errs.Invalid("matter.code", "INVALID_CODE", "事项编码应为大写字母、数字和连字符")
	case strings.TrimSpace(m.GetTitle()) == "":
		return errs.Invalid("matter.title", "REQUIRED", "事项名称不能为空")
	case m.GetType() == mattersv1.MatterType_MATTER_TYPE_UNSPECIFIED || mattersv1.MatterType_name[int32(m.GetType())] == "":
		return errs.Invalid("matter.type", "INVALID_TYPE", "请选择事项类型")
	case m.GetAudience() == mattersv1.Audience_AUDIENCE_UNSPECIFIED || mattersv1.Audience_name[int32(m.GetAudience())] == "":
		return errs.Invalid("matter.audience", "INVALID_AUDIENCE", "请选择服务对象（企业或个人）")
	case strings.TrimSpace(m.GetImplementingBody()) == "":
		return errs.Invalid("matter.implementing_body", "REQUIRED", "实施机关不能为空")
	case len(m.GetSteps()) == 0:
		return errs.Invalid("matter.steps", "REQUIRED", "事项至少有一个环节")
	case len(m.GetChannels()) == 0:
		return errs.Invalid("matter.channels", "REQUIRED", "事项至少有一个办理渠道")
	}
	if err := validLimit("matter.statutory_limit", m.GetStatutoryLimit()); err != nil {
		return err
	}
	if err := validLimit("matter.promised_limit", m.GetPromisedLimit()); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, mt := range m.GetMaterials() {
		f := fmt.Sprintf("matter.materials[%d]", i)
		if strings.TrimSpace(mt.GetName()) == "" || seen[mt.GetName()] {
			return errs.Invalid(f+".name", "INVALID_MATERIAL", "材料名称不能为空或重复")
		}
		seen[mt.GetName()] = true
		if mt.GetRequirement() == mattersv1.Requirement_REQUIREMENT_UNSPECIFIED || mattersv1.Requirement_name[int32(mt.GetRequirement())] == "" {
			return errs.Invalid(f+".requirement", "INVALID_REQUIREMENT", "请注明材料是否必要、可否容缺")
		}
	}
	for i, st := range m.GetSteps() {
		f := fmt.Sprintf("matter.steps[%d]", i)
		if strings.TrimSpace(st.GetName()) == "" {
			return errs.Invalid(f+".name", "REQUIRED", "环节名称不能为空")
		}
		if err := validLimit(f+".statutory_limit", st.GetStatutoryLimit()); err != nil {
			return err
		}
		if err := validLimit(f+".promised_limit", st.GetPromisedLimit()); err != nil {
			return err
		}
	}
	keys := map[string]bool{}
	for i, f := range m.GetFormFields() {
		if !fieldKeyPattern.MatchString(f.GetKey()) || keys[f.GetKey()] || strings.TrimSpace(f.GetLabel()) == "" {
			return errs.Invalid(fmt.Sprintf("matter.form_fields[%d]", i), "INVALID_FORM_FIELD", "表单项应有唯一的键（小写字母、数字、下划线）和名称")
		}
		keys[f.GetKey()] = true
	}
	for i, c := range m.GetChannels() {
		if c == mattersv1.Channel_CHANNEL_UNSPECIFIED || c == mattersv1.Channel_CHANNEL_AGENT || mattersv1.Channel_name[int32(c)] == "" {
			return errs.Invalid(fmt.Sprintf("matter.channels[%d]", i), "INVALID_CHANNEL", "办理渠道应为窗口、网上或掌上")
		}
	}
	return nil
}

func (s *service) GetMatter(ctx context.Context, r *mattersv1.GetMatterRequest) (*mattersv1.Matter, error) {
	code := codeOf(r.GetName())
	if code == "" {
		return nil, errs.Invalid("name", "INVALID_NAME", "name 应为 matters/{code}")
	}
	if r.GetVersion() < 0 {
		return nil, errs.Invalid("version", "INVALID_VERSION", "版本号不能为负数")
	}
	return s.st.matter(ctx, code, r.GetVersion())
}

func (s *service) ListMatters(ctx context.Context, r *mattersv1.ListMattersRequest) (*mattersv1.ListMattersResponse, error) {
	if mattersv1.Audience_name[int32(r.GetAudience())] == "" {
		return nil, errs.Invalid("audience", "INVALID_AUDIENCE", "服务对象不正确")
	}
	ms, err := s.st.latestMatters(ctx, r.GetAudience())
	if err != nil {
		return nil, err
	}
	return &mattersv1.ListMattersResponse{Matters: ms}, nil
}

// UpdateMatter writes version n+1 of a matter (version 1 of a new one). The caller names
// the version it changed; another change in between makes it stale.
func (s *service) UpdateMatter(ctx context.Context, r *mattersv1.UpdateMatterRequest) (*mattersv1.Matter, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	if t.Depth() != 1 {
		return nil, ErrNotDistrict
	}
	in := r.GetMatter()
	if in == nil {
		return nil, errs.Invalid("matter", "REQUIRED", "matter 不能为空")
	}
	m := proto.Clone(in).(*mattersv1.Matter)
	if err := validateMatter(m); err != nil {
		return nil, err
	}
	var before *mattersv1.Matter
	cur, err := s.st.matter(ctx, m.GetCode(), 0)
	switch {
	case errors.Is(err, ErrMatterNotFound):
		if r.GetVersion() != 0 {
			return nil, errs.ErrStaleVersion
		}
	case err != nil:
		return nil, err
	case cur.GetVersion() != r.GetVersion():
		return nil, errs.ErrStaleVersion
	default:
		before = cur
	}
	now := s.now()
	m.Name, m.Version, m.UpdateTime = matterName(m.GetCode()), r.GetVersion()+1, ts(now)
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.insertMatter(ctx, m, now); err != nil {
			if errors.Is(err, sqlstore.ErrDuplicate) {
				return errs.ErrStaleVersion
			}
			return err
		}
		var b any
		if before != nil {
			b = before
		}
		_, err := s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "matters.UpdateMatter", Resource: m.GetName(), Before: b, After: m, Time: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// EnableMatter offers a matter at a tenant. The routing rule decides where: enterprise
// matters at the district hall only, citizen matters at any tier.
func (s *service) EnableMatter(ctx context.Context, r *mattersv1.EnableMatterRequest) (*mattersv1.Enablement, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	code := codeOf(r.GetMatter())
	if code == "" {
		return nil, errs.Invalid("matter", "INVALID_MATTER", "matter 应为 matters/{code}")
	}
	if err := text("local_note", r.GetLocalNote(), false, 1000); err != nil {
		return nil, err
	}
	m, err := s.st.matter(ctx, code, 0)
	if err != nil {
		return nil, err
	}
	if m.GetAudience() == mattersv1.Audience_AUDIENCE_ENTERPRISE && t.Depth() != 1 {
		return nil, ErrEnterpriseAtHall
	}
	now := s.now()
	e := &mattersv1.Enablement{Tenant: string(t), Matter: m.GetName(), LocalNote: r.GetLocalNote(), EnableTime: ts(now)}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := s.st.enable(ctx, e, code, now); err != nil {
			return err
		}
		_, err := s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "matters.EnableMatter",
			Resource: "tenants/" + string(t) + "/enablements/" + code, After: e, Time: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (s *service) ListEnablements(ctx context.Context, r *mattersv1.ListEnablementsRequest) (*mattersv1.ListEnablementsResponse, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	es, err := s.st.enablements(ctx, t)
	if err != nil {
		return nil, err
	}
	return &mattersv1.ListEnablementsResponse{Enablements: es}, nil
}

// offered checks the routing rule for filing matter m at t: enterprise matters at the
// district hall, citizen matters where the tenant enabled them.
func (s *service) offered(ctx context.Context, m *mattersv1.Matter, t tenancy.ID) error {
	if m.GetAudience() == mattersv1.Audience_AUDIENCE_ENTERPRISE {
		if t.Depth() != 1 {
			return ErrEnterpriseAtHall
		}
		return nil
	}
	ok, err := s.st.enabled(ctx, t, m.GetCode())
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotEnabled.WithMessage("本单位未认领事项 %s（%s）", m.GetCode(), m.GetTitle())
	}
	return nil
}

// subject is the caller's subject ("" for none).
func subject(ctx context.Context) string {
	sub, _ := authn.Subject(ctx)
	return sub
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// unmarshalStrict reads the shipped catalogue: an unknown field there is a defect.
var unmarshalStrict = protojson.UnmarshalOptions{}
