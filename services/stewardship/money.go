package stewardship

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// Money in the API is yuan as a decimal string with at most two decimals; in SQL and in
// every sum it is an int64 of fen (分), so that instalments and payments reconcile to the
// cent. A float never enters: JSON numbers are refused by the contract (string fields),
// and "1e3" or "12.345" are refused here.

// maxFen bounds one amount (one trillion yuan) so that sums of many stay far inside int64.
const maxFen = 100_000_000_000_000

var moneyPattern = regexp.MustCompile(`^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$`)
var tooPrecise = regexp.MustCompile(`^(0|[1-9][0-9]*)\.[0-9]{3,}$`)

// parseMoney reads a money string in field into fen. positive requires more than zero.
func parseMoney(field, s string, positive bool) (int64, error) {
	if s == "" {
		return 0, errs.Invalid(field, "REQUIRED", "金额不能为空")
	}
	if tooPrecise.MatchString(s) {
		return 0, errs.Invalid(field, "MONEY_TOO_PRECISE", "金额最多保留两位小数（精确到分）")
	}
	m := moneyPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, errs.Invalid(field, "INVALID_MONEY", "金额应为以元为单位的十进制数字，如 1234.50")
	}
	yuan, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, errs.Invalid(field, "INVALID_MONEY", "金额过大")
	}
	fen := yuan * 100
	if frac := m[2]; frac != "" {
		d := frac[1:]
		if len(d) == 1 {
			d += "0"
		}
		f, _ := strconv.ParseInt(d, 10, 64)
		fen += f
	}
	if fen > maxFen {
		return 0, errs.Invalid(field, "INVALID_MONEY", "金额过大")
	}
	if positive && fen <= 0 {
		return 0, errs.Invalid(field, "INVALID_MONEY", "金额须大于零")
	}
	return fen, nil
}

// formatMoney writes fen as yuan with two decimals.
func formatMoney(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
