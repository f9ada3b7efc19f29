package matters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/calendar"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/outbox"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

func bundleName(code string) string { return "bundles/" + code }

func bundleApplicationName(t tenancy.ID, id string) string {
	return "tenants/" + string(t) + "/bundleApplications/" + id
}

// validateBundle checks a bundle against the matters it names: every member exists, every
// mapping joins a member field to a bundle field, and every required member field is fed.
func validateBundle(b *mattersv1.Bundle, matters map[string]*mattersv1.Matter) error {
	if !codePattern.MatchString(b.GetCode()) || strings.TrimSpace(b.GetTitle()) == "" || len(b.GetMembers()) < 2 {
		return fmt.Errorf("bundle %q: a code, a title and at least two members", b.GetCode())
	}
	fields := map[string]bool{}
	for _, f := range b.GetFields() {
		fields[f.GetKey()] = true
	}
	for _, mb := range b.GetMembers() {
		m := matters[codeOf(mb.GetMatter())]
		if m == nil {
			return fmt.Errorf("bundle %s: member %s is not in the catalogue", b.GetCode(), mb.GetMatter())
		}
		if m.GetAudience() != b.GetAudience() {
			return fmt.Errorf("bundle %s: member %s serves another audience", b.GetCode(), m.GetCode())
		}
		own := map[string]bool{}
		for _, f := range m.GetFormFields() {
			own[f.GetKey()] = true
			if _, ok := mb.GetFieldMap()[f.GetKey()]; f.GetRequired() && !ok {
				return fmt.Errorf("bundle %s: required field %s of %s is not mapped", b.GetCode(), f.GetKey(), m.GetCode())
			}
		}
		for mf, bf := range mb.GetFieldMap() {
			if !own[mf] || !fields[bf] {
				return fmt.Errorf("bundle %s: mapping %s→%s of %s names an unknown field", b.GetCode(), bf, mf, m.GetCode())
			}
		}
	}
	return nil
}

func (s *service) GetBundle(_ context.Context, r *mattersv1.GetBundleRequest) (*mattersv1.Bundle, error) {
	code, ok := strings.CutPrefix(r.GetName(), "bundles/")
	if !ok || !codePattern.MatchString(code) {
		return nil, errs.Invalid("name", "INVALID_NAME", "name 应为 bundles/{code}")
	}
	b := s.bundles[code]
	if b == nil {
		return nil, ErrBundleNotFound.WithMessage("一件事主题不存在: %s", code)
	}
	return b, nil
}

func (s *service) ListBundles(context.Context, *mattersv1.ListBundlesRequest) (*mattersv1.ListBundlesResponse, error) {
	resp := &mattersv1.ListBundlesResponse{}
	for _, code := range slices.Sorted(maps.Keys(s.bundles)) {
		resp.Bundles = append(resp.Bundles, s.bundles[code])
	}
	return resp, nil
}

// SubmitBundle fans one combined form out to an application per member matter. Each
// member gets the form fields its matter maps and the materials its matter lists. All
// members are checked before anything is written, and written in one transaction: a
// form that misses a field some member requires creates nothing.
func (s *service) SubmitBundle(ctx context.Context, r *mattersv1.SubmitBundleRequest) (*mattersv1.BundleApplication, error) {
	t, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	b, err := s.GetBundle(ctx, &mattersv1.GetBundleRequest{Name: r.GetBundle()})
	if err != nil {
		return nil, errs.From(err).WithField("bundle", errs.From(err).Code, "一件事主题不存在或名称有误")
	}
	known := map[string]bool{}
	for _, f := range b.GetFields() {
		known[f.GetKey()] = true
	}
	for _, k := range slices.Sorted(maps.Keys(r.GetForm())) {
		if !known[k] {
			return nil, errs.Invalid("form."+k, "UNKNOWN_FORM_FIELD", "一件事申请表没有此项")
		}
	}
	now := s.now()
	var members []*application
	for i, mb := range b.GetMembers() {
		m, err := s.st.matter(ctx, codeOf(mb.GetMatter()), 0)
		if err != nil {
			return nil, err
		}
		form := map[string]string{}
		for _, f := range m.GetFormFields() {
			bf, mapped := mb.GetFieldMap()[f.GetKey()]
			v := strings.TrimSpace(r.GetForm()[bf])
			switch {
			case mapped && v != "":
				form[f.GetKey()] = r.GetForm()[bf]
			case f.GetRequired():
				return nil, ErrBundleFieldMissing.WithMessage("缺少“%s”：成员事项 %s（%s）要求填写", labelOf(b, bf), m.GetCode(), m.GetTitle()).
					WithField("form."+bf, "BUNDLE_FIELD_MISSING", fmt.Sprintf("成员事项 %s 必填", m.GetCode()))
			}
		}
		var materials []*mattersv1.SubmittedMaterial
		for _, sm := range r.GetMaterials() {
			if materialOf(m, sm.GetName()) != nil {
				materials = append(materials, sm)
			}
		}
		in := &mattersv1.Application{Matter: m.GetName(), Applicant: r.GetApplicant(), Channel: r.GetChannel(), Agent: r.GetAgent(),
			GreenChannel: r.GetGreenChannel(), Form: form, Materials: materials}
		a, err := s.prepare(ctx, t, in, fmt.Sprintf("members[%d]", i), now)
		if err != nil {
			return nil, err
		}
		members = append(members, a)
	}
	for i, sm := range r.GetMaterials() {
		if err := s.docs.Check(ctx, fmt.Sprintf("materials[%d].document", i), sm.GetDocument()); err != nil {
			return nil, err
		}
	}
	ba := &mattersv1.BundleApplication{Bundle: b.GetName(), Applicant: members[0].App.GetApplicant(),
		State: mattersv1.BundleState_BUNDLE_STATE_IN_PROGRESS, CreateTime: ts(now)}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		day := calendar.DateOf(now)
		n, err := s.db.NextSeq(ctx, fmt.Sprintf("matters-bundles/%s/%04d%02d%02d", t, day.Year, day.Month, day.Day))
		if err != nil {
			return err
		}
		id := fmt.Sprintf("B-%04d%02d%02d-%06d", day.Year, day.Month, day.Day, n)
		ba.Name = bundleApplicationName(t, id)
		data, err := marshal.Marshal(ba)
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO bundle_applications (tenant, id, bundle_code, members, complete_us, create_us, data)
			VALUES ($1, $2, $3, $4, 0, $5, $6)`, string(t), id, b.GetCode(), int64(len(members)), now.UnixMicro(), string(data)); err != nil {
			return err
		}
		for _, a := range members {
			a.App.Bundle = ba.Name
			if err := s.file(ctx, a, now); err != nil {
				return err
			}
			ba.Members = append(ba.Members, a.App)
		}
		_, err = s.audit.Record(ctx, audit.Entry{Tenant: t, Action: "matters.SubmitBundle", Resource: ba.Name, After: ba, Time: now})
		return err
	})
	if err != nil {
		return nil, err
	}
	return ba, nil
}

func labelOf(b *mattersv1.Bundle, key string) string {
	for _, f := range b.GetFields() {
		if f.GetKey() == key {
			return f.GetLabel()
		}
	}
	return key
}

// GetBundleApplication returns a bundle filing with its members and overall state.
func (s *service) GetBundleApplication(ctx context.Context, r *mattersv1.GetBundleApplicationRequest) (*mattersv1.BundleApplication, error) {
	parent, id, ok := strings.Cut(r.GetName(), "/bundleApplications/")
	t, err := parseParent(parent)
	if !ok || err != nil || !bundleIDPattern.MatchString(id) {
		return nil, errs.Invalid("name", "INVALID_NAME", "name 应为 tenants/{tenant}/bundleApplications/{id}")
	}
	ba, err := s.st.bundleApplication(ctx, t, id)
	if err != nil {
		return nil, err
	}
	members, err := s.st.bundleMembers(ctx, t, id)
	if err != nil {
		return nil, err
	}
	for _, a := range members {
		ba.Members = append(ba.Members, a.App)
	}
	ba.State = bundleState(members)
	return ba, nil
}

// bundleState is COMPLETED when every member is, IN_PROGRESS while any is open, and
// CLOSED when all are closed but not all complete.
func bundleState(members []*application) mattersv1.BundleState {
	done, open := 0, 0
	for _, a := range members {
		switch st := a.App.GetState(); {
		case st == mattersv1.State_STATE_COMPLETED:
			done++
		case isOpen(st):
			open++
		}
	}
	switch {
	case done == len(members):
		return mattersv1.BundleState_BUNDLE_STATE_COMPLETED
	case open > 0:
		return mattersv1.BundleState_BUNDLE_STATE_IN_PROGRESS
	}
	return mattersv1.BundleState_BUNDLE_STATE_CLOSED
}

// bundleProgress runs in the transaction of a member's state change: when the last
// member completes, the bundle is complete, audited and announced once.
func (s *service) bundleProgress(ctx context.Context, a *application, now time.Time) error {
	if a.App.GetBundle() == "" || a.App.GetState() != mattersv1.State_STATE_COMPLETED {
		return nil
	}
	_, id, _ := strings.Cut(a.App.GetBundle(), "/bundleApplications/")
	members, err := s.st.bundleMembers(ctx, a.Tenant, id)
	if err != nil {
		return err
	}
	if bundleState(members) != mattersv1.BundleState_BUNDLE_STATE_COMPLETED {
		return nil
	}
	ba, err := s.st.bundleApplication(ctx, a.Tenant, id)
	if err != nil {
		return err
	}
	before := proto.Clone(ba).(*mattersv1.BundleApplication)
	ba.State, ba.CompleteTime = mattersv1.BundleState_BUNDLE_STATE_COMPLETED, ts(now)
	data, err := marshal.Marshal(ba)
	if err != nil {
		return err
	}
	res, err := s.db.Exec(ctx, `UPDATE bundle_applications SET complete_us = $3, data = $4 WHERE tenant = $1 AND id = $2 AND complete_us = 0`,
		string(a.Tenant), id, now.UnixMicro(), string(data))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if _, err := s.audit.Record(ctx, audit.Entry{Tenant: a.Tenant, Action: "matters.CompleteBundle", Resource: ba.GetName(), Before: before, After: ba, Time: now}); err != nil {
		return err
	}
	payload, err := json.Marshal(map[string]any{"name": ba.GetName(), "bundle": ba.GetBundle(), "state": ba.GetState().String(), "complete_time": now})
	if err != nil {
		return err
	}
	_, err = outbox.Add(ctx, s.db, outbox.Event{Tenant: a.Tenant, Topic: TopicBundleDone, Receiver: ReceiverNotify, Key: ba.GetName() + "#completed", Payload: payload})
	return err
}

func (s *store) bundleApplication(ctx context.Context, t tenancy.ID, id string) (*mattersv1.BundleApplication, error) {
	var data string
	err := s.db.QueryRow(ctx, `SELECT data FROM bundle_applications WHERE tenant = $1 AND id = $2`, string(t), id).Scan(&data)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, ErrApplicationNotFound.WithMessage("一件事办件不存在: %s", bundleApplicationName(t, id))
	}
	if err != nil {
		return nil, err
	}
	ba := &mattersv1.BundleApplication{}
	return ba, unmarshal.Unmarshal([]byte(data), ba)
}

func (s *store) bundleMembers(ctx context.Context, t tenancy.ID, id string) ([]*application, error) {
	rows, err := s.db.Query(ctx, `SELECT `+appColumns+` FROM applications WHERE tenant = $1 AND bundle_id = $2 ORDER BY id`, string(t), id)
	if err != nil {
		return nil, err
	}
	return collect(rows)
}
