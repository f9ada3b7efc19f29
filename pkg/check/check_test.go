package check

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

func TestText(t *testing.T) {
	tests := []struct {
		name     string
		v        string
		required bool
		max      int
		want     *errs.FieldViolation
	}{
		{"required and given", "窗口", true, 10, nil},
		{"optional and empty", "", false, 10, nil},
		{"required and empty", "", true, 10, &errs.FieldViolation{Field: "note", Code: Required, Description: "note 不能为空"}},
		{"required and blank", " \t\n", true, 10, &errs.FieldViolation{Field: "note", Code: Required, Description: "note 不能为空"}},
		{"at the limit in characters, over it in bytes", strings.Repeat("字", 10), true, 10, nil},
		{"over the limit", strings.Repeat("字", 11), false, 10, &errs.FieldViolation{Field: "note", Code: TooLong, Description: "note 不能超过 10 个字"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Text("note", tt.v, tt.required, tt.max)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			var e *errs.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, errs.InvalidArgument, e.Kind)
			require.Equal(t, []errs.FieldViolation{*tt.want}, e.Violations)
		})
	}
}
