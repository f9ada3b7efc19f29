package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// FieldError is a validation failure of one field of a settings value. Validate methods
// return it (see Field) so that UpdateSettings can name the field and a stable code.
type FieldError struct {
	Path string // JSON path of the field, such as "categories.general.close"
	Code string // stable, upper snake case
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Field wraps a validation failure of the field at path. Its code is err's own (an
// *errs.Error's Code) or INVALID_SETTING.
func Field(path string, err error) error {
	if err == nil {
		return nil
	}
	code := "INVALID_SETTING"
	var e *errs.Error
	if errors.As(err, &e) && e.Code != "" && e.Code != "INVALID_ARGUMENT" {
		code = e.Code
	}
	return &FieldError{Path: path, Code: code, Err: err}
}

// Fieldf is Field with a formatted message and the code INVALID_SETTING.
func Fieldf(path, format string, args ...any) error {
	return Field(path, fmt.Errorf(format, args...))
}

// Errors of the settings API.
var (
	ErrInvalidSettings = errs.New(errs.InvalidArgument, "INVALID_SETTINGS", "设置值无效，未作任何修改")
	ErrGlobalNotRoot   = errs.Invalid("global", "GLOBAL_NOT_AT_ROOT", "全局设置只能在根租户上读取或修改")
)

// Auditor runs change (the etcd write) inside the service's transaction and records it
// in the service's audit trail there, so a refused change leaves no record. Package app
// provides one over the service's database.
type Auditor func(ctx context.Context, tenant tenancy.ID, resource string, before, after any, change func(context.Context) error) error

// SettingsAPI serves a service's settings through its contract: every service with
// settings has GetSettings and UpdateSettings (rule config.settings at the tenant named,
// so an administrator reaches their subtree only). A service embeds it in the type it
// registers with kit.Register. The browser never writes etcd: this is the only way in.
type SettingsAPI[T Validator] struct {
	Settings *Settings[T]
	Audit    Auditor
}

// maxOverrideBytes bounds one layer: settings are small, a huge value is a mistake.
const maxOverrideBytes = 256 << 10

// GetSettings reads a tenant's effective settings and its own override (or the global
// value), straight from etcd so a read after an update sees it.
func (a SettingsAPI[T]) GetSettings(ctx context.Context, r *commonv1.GetSettingsRequest) (*commonv1.Settings, error) {
	id, key, err := a.target(r.GetName(), r.GetGlobal())
	if err != nil {
		return nil, err
	}
	st, revs, _, err := a.Settings.current(ctx)
	if err != nil {
		return nil, err
	}
	return a.answer(id, r.GetGlobal(), st, key, revs[key])
}

// UpdateSettings sets or clears one layer. The merged values of the tenant and of every
// tenant below it are validated by the service's Validate before the write; the write
// happens only if nothing under the service's prefix changed since it was read.
func (a SettingsAPI[T]) UpdateSettings(ctx context.Context, r *commonv1.UpdateSettingsRequest) (*commonv1.Settings, error) {
	id, key, err := a.target(r.GetName(), r.GetGlobal())
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if r.GetOverride() != nil {
		if raw, err = json.Marshal(r.GetOverride().AsMap()); err != nil {
			return nil, errs.Invalid("override", "INVALID_SETTINGS", "设置值不是有效的 JSON 对象")
		}
		if len(raw) > maxOverrideBytes {
			return nil, errs.ErrTooLarge
		}
	}
	s := a.Settings
	for range 3 { // a concurrent change to another key retries; to this key it is stale
		cur, revs, rev, err := s.current(ctx)
		if err != nil {
			return nil, err
		}
		if err := errs.CheckEtag(r.GetEtag(), etag(revs[key])); err != nil {
			return nil, err
		}
		next, err := s.build(cur.layers.with(key, raw, raw == nil))
		if err != nil {
			return nil, invalid(err)
		}
		var before, after any
		if old, ok := cur.layers[key]; ok {
			before = old
		}
		if raw != nil {
			after = raw
		}
		full := s.prefix + key
		var newRev int64
		committed := false
		change := func(ctx context.Context) error {
			op := clientv3.OpDelete(full)
			if raw != nil {
				op = clientv3.OpPut(full, string(raw))
			}
			resp, err := s.client.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(s.prefix).WithPrefix(), "<", rev+1)).
				Then(op).Commit()
			if err != nil {
				return errs.ErrUnavailable.Wrap(err)
			}
			committed, newRev = resp.Succeeded, resp.Header.Revision
			if !committed {
				return errRetry
			}
			return nil
		}
		audited := change
		if a.Audit != nil { // the global value is recorded in the chain of the root tenant named
			audited = func(ctx context.Context) error {
				return a.Audit(ctx, id, "tenants/"+string(id)+"/settings", before, after, change)
			}
		}
		switch err := audited(ctx); {
		case errors.Is(err, errRetry):
			continue
		case err != nil:
			return nil, err
		}
		if raw == nil {
			newRev = 0
		}
		return a.answer(id, r.GetGlobal(), next, key, newRev)
	}
	return nil, errs.ErrStaleVersion
}

var errRetry = errors.New("config: settings changed meanwhile")

// target parses "tenants/{tenant}/settings" and picks the layer's key.
func (a SettingsAPI[T]) target(name string, global bool) (tenancy.ID, string, error) {
	rest, ok := strings.CutPrefix(name, "tenants/")
	t, ok2 := strings.CutSuffix(rest, "/settings")
	id, err := tenancy.Parse(t)
	if !ok || !ok2 || err != nil {
		return "", "", errs.Invalid("name", "INVALID_NAME", "name 应为 tenants/{tenant}/settings")
	}
	if global {
		if id.Parent() != "" {
			return "", "", ErrGlobalNotRoot
		}
		return id, globalName, nil
	}
	return id, tenantsDir + string(id), nil
}

// answer describes the layer key of st as seen by tenant id.
func (a SettingsAPI[T]) answer(id tenancy.ID, global bool, st *state[T], key string, rev int64) (*commonv1.Settings, error) {
	eff := st.global
	if !global {
		eff = st.resolve(id)
	}
	out := &commonv1.Settings{Name: "tenants/" + string(id) + "/settings", Global: global, Etag: etag(rev)}
	var err error
	if out.Effective, err = toStruct(eff); err != nil {
		return nil, err
	}
	if raw, ok := st.layers[key]; ok {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, errs.ErrInternal.Wrap(err)
		}
		if out.Override, err = structpb.NewStruct(m); err != nil {
			return nil, errs.ErrInternal.Wrap(err)
		}
	}
	return out, nil
}

func etag(rev int64) string { return strconv.FormatInt(rev, 10) }

func toStruct(v any) (*structpb.Struct, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.ErrInternal.Wrap(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errs.ErrInternal.Wrap(err)
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil, errs.ErrInternal.Wrap(err)
	}
	return s, nil
}

// invalid turns a build failure into INVALID_SETTINGS with one violation: the field
// and code of a FieldError, else the whole value with INVALID_SETTING (or a decode
// failure: an unknown field or a value of the wrong type).
func invalid(err error) error {
	field, code := "override", "INVALID_SETTING"
	var fe *FieldError
	desc := err.Error()
	if errors.As(err, &fe) {
		field, code = "override."+fe.Path, fe.Code
		var e *errs.Error
		if errors.As(fe.Err, &e) {
			desc = e.Message
		}
	} else if strings.Contains(err.Error(), "decode: ") {
		code = "SETTINGS_DECODE"
	}
	return ErrInvalidSettings.WithField(field, code, desc).Wrap(err)
}

// current reads every layer of the service from etcd, keeping only what is valid (a bad
// key in etcd is skipped, as the watcher does), with each key's mod revision and the
// revision read at.
func (s *Settings[T]) current(ctx context.Context) (*state[T], map[string]int64, int64, error) {
	resp, err := s.client.Get(ctx, s.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, nil, 0, errs.ErrUnavailable.Wrap(err)
	}
	desired := make(layers, len(resp.Kvs))
	revs := make(map[string]int64, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		key := strings.TrimPrefix(string(kv.Key), s.prefix)
		desired[key], revs[key] = kv.Value, kv.ModRevision
	}
	st, _ := s.reconcile(s.cur.Load(), desired, revs)
	return st, revs, resp.Header.Revision, nil
}

// resolve is For over st.
func (st *state[T]) resolve(tenant tenancy.ID) T {
	for id := tenant; id != ""; id = id.Parent() {
		if v, ok := st.tenants[id]; ok {
			return v
		}
	}
	return st.global
}
