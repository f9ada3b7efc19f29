package config

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// limits stands in for a service's settings whose Validate names its fields.
type limits struct {
	MaxUploadMB int   `json:"max_upload_mb"`
	Hours       hours `json:"office_hours"`
}

func (l limits) Validate() error {
	if l.MaxUploadMB < 1 || l.MaxUploadMB > 1024 {
		return Field("max_upload_mb", errs.New(errs.InvalidArgument, "OUT_OF_RANGE", "上传上限应在 1—1024 MB 之间"))
	}
	if l.Hours.Open >= l.Hours.Close {
		return errors.New("office hours: open must come before close")
	}
	return nil
}

type audited struct {
	tenant        tenancy.ID
	resource      string
	before, after any
}

func TestSettingsAPI(t *testing.T) {
	c := etcdClient(t, testenv.StartEtcd(t))
	s, err := Watch(t.Context(), c, "limits", limits{MaxUploadMB: 10, Hours: hours{"09:00", "17:00"}})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	var trail []audited
	failAudit := false
	api := SettingsAPI[limits]{Settings: s, Audit: func(ctx context.Context, tenant tenancy.ID, resource string, before, after any, change func(context.Context) error) error {
		if failAudit {
			return errs.ErrUnavailable
		}
		if err := change(ctx); err != nil {
			return err
		}
		trail = append(trail, audited{tenant, resource, before, after})
		return nil
	}}
	obj := func(m map[string]any) *structpb.Struct {
		st, err := structpb.NewStruct(m)
		require.NoError(t, err)
		return st
	}
	get := func(tenant string, global bool) *commonv1.Settings {
		out, err := api.GetSettings(t.Context(), &commonv1.GetSettingsRequest{Name: "tenants/" + tenant + "/settings", Global: global})
		require.NoError(t, err)
		return out
	}
	update := func(tenant string, global bool, override map[string]any, etag string) (*commonv1.Settings, error) {
		r := &commonv1.UpdateSettingsRequest{Name: "tenants/" + tenant + "/settings", Global: global, Etag: etag}
		if override != nil {
			r.Override = obj(override)
		}
		return api.UpdateSettings(t.Context(), r)
	}

	// Nothing set: the defaults, no override, etag "0".
	got := get("ahz.s01", false)
	require.Nil(t, got.GetOverride())
	require.Equal(t, "0", got.GetEtag())
	require.EqualValues(t, 10, got.GetEffective().AsMap()["max_upload_mb"])

	// A street's override, seen by the street and inherited below it.
	got, err = update("ahz.s01", false, map[string]any{"max_upload_mb": 20}, "0")
	require.NoError(t, err)
	require.EqualValues(t, 20, got.GetEffective().AsMap()["max_upload_mb"])
	require.Equal(t, map[string]any{"max_upload_mb": float64(20)}, got.GetOverride().AsMap())
	etag := got.GetEtag()
	require.NotEqual(t, "0", etag)
	require.Equal(t, etag, get("ahz.s01", false).GetEtag())
	child := get("ahz.s01.c07", false)
	require.Nil(t, child.GetOverride())
	require.EqualValues(t, 20, child.GetEffective().AsMap()["max_upload_mb"])
	require.EqualValues(t, 10, get("ahz.s02", false).GetEffective().AsMap()["max_upload_mb"])
	require.Len(t, trail, 1)
	require.Equal(t, audited{"ahz.s01", "tenants/ahz.s01/settings", nil, json.RawMessage(`{"max_upload_mb":20}`)},
		audited{trail[0].tenant, trail[0].resource, trail[0].before, trail[0].after})

	// A child's override that a parent's change would break.
	_, err = update("ahz.s01.c07", false, map[string]any{"office_hours": map[string]any{"open": "12:00"}}, "")
	require.NoError(t, err)

	for _, tc := range []struct {
		name     string
		tenant   string
		global   bool
		override map[string]any
		etag     string
		code     string // the error's code
		field    string // its violation's field and code, when it has one
		vcode    string
	}{
		{"out of range", "ahz.s01", false, map[string]any{"max_upload_mb": 5000}, etag, "INVALID_SETTINGS", "override.max_upload_mb", "OUT_OF_RANGE"},
		{"breaks a tenant below", "ahz.s01", false, map[string]any{"office_hours": map[string]any{"close": "11:00"}}, etag, "INVALID_SETTINGS", "override", "INVALID_SETTING"},
		{"unknown field", "ahz.s01", false, map[string]any{"max_upload": 5}, etag, "INVALID_SETTINGS", "override", "SETTINGS_DECODE"},
		{"wrong type", "ahz.s01", false, map[string]any{"max_upload_mb": "many"}, etag, "INVALID_SETTINGS", "override", "SETTINGS_DECODE"},
		{"stale etag", "ahz.s01", false, map[string]any{"max_upload_mb": 30}, "1", "STALE_VERSION", "", ""},
		{"global below the root", "ahz.s01", true, map[string]any{"max_upload_mb": 30}, "", "INVALID_ARGUMENT", "global", "GLOBAL_NOT_AT_ROOT"},
		{"bad name", "AHZ/x", false, map[string]any{"max_upload_mb": 30}, "", "INVALID_ARGUMENT", "name", "INVALID_NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.tenant, tc.global, tc.override, tc.etag)
			e := errs.From(err)
			require.NotNil(t, e)
			require.Equal(t, tc.code, e.Code, "%v", err)
			if tc.field != "" {
				require.Len(t, e.Violations, 1)
				require.Equal(t, tc.field, e.Violations[0].Field)
				require.Equal(t, tc.vcode, e.Violations[0].Code)
			}
			require.Equal(t, etag, get("ahz.s01", false).GetEtag(), "nothing written")
		})
	}
	require.Len(t, trail, 2, "refused changes are not audited")

	// An audit that fails writes nothing.
	failAudit = true
	_, err = update("ahz.s01", false, map[string]any{"max_upload_mb": 30}, etag)
	require.Error(t, err)
	require.Equal(t, etag, get("ahz.s01", false).GetEtag())
	failAudit = false

	// The global value, at the root; the watcher follows.
	got, err = update("ahz", true, map[string]any{"max_upload_mb": 50}, "")
	require.NoError(t, err)
	require.True(t, got.GetGlobal())
	require.EqualValues(t, 50, get("ahz.s02", false).GetEffective().AsMap()["max_upload_mb"])
	require.EqualValues(t, 20, get("ahz.s01", false).GetEffective().AsMap()["max_upload_mb"])
	require.Eventually(t, func() bool { return s.For("ahz.s02").MaxUploadMB == 50 }, 5*time.Second, 10*time.Millisecond)

	// Clearing the override: the street inherits again.
	got, err = update("ahz.s01", false, nil, etag)
	require.NoError(t, err)
	require.Nil(t, got.GetOverride())
	require.Equal(t, "0", got.GetEtag())
	require.EqualValues(t, 50, get("ahz.s01", false).GetEffective().AsMap()["max_upload_mb"])
	require.Nil(t, trail[len(trail)-1].after)
}
