package stewardship

import (
	"errors"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/money"
)

// Money in the API is yuan as a decimal string with at most two decimals; in SQL and in
// every sum it is an int64 of fen (分), so that instalments and payments reconcile to the
// cent (pkg/money). A float never enters: JSON numbers are refused by the contract (string
// fields), and "1e3" or "12.345" are refused here.

// parseMoney reads a money string in field into fen. positive requires more than zero.
func parseMoney(field, s string, positive bool) (int64, error) {
	if s == "" {
		return 0, errs.Invalid(field, "REQUIRED", "金额不能为空")
	}
	fen, err := money.ParseFen(s)
	switch {
	case errors.Is(err, money.ErrTooPrecise):
		return 0, errs.Invalid(field, "MONEY_TOO_PRECISE", "金额最多保留两位小数（精确到分）")
	case errors.Is(err, money.ErrTooLarge):
		return 0, errs.Invalid(field, "INVALID_MONEY", "金额过大")
	case err != nil:
		return 0, errs.Invalid(field, "INVALID_MONEY", "金额应为以元为单位的十进制数字，如 1234.50")
	}
	if positive && fen <= 0 {
		return 0, errs.Invalid(field, "INVALID_MONEY", "金额须大于零")
	}
	return fen, nil
}

// formatMoney writes fen as yuan with two decimals.
func formatMoney(fen int64) string { return money.Format(fen) }
