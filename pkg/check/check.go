package check

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Stable codes of the field violations this package reports.
const (
	Required = "REQUIRED"
	TooLong  = "TOO_LONG"
)

// Text checks a free-text field of a request: when required it must not be blank (only
// white space counts as blank), and it may have at most maxRunes characters (runes, not
// bytes: a Chinese character is one). The violation names field.
func Text(field, v string, required bool, maxRunes int) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return errs.Invalid(field, Required, field+" 不能为空")
	case utf8.RuneCountInString(v) > maxRunes:
		return errs.Invalid(field, TooLong, fmt.Sprintf("%s 不能超过 %d 个字", field, maxRunes))
	}
	return nil
}
