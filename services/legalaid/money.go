package legalaid

import (
	"errors"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/money"
)

// Money is exact (pkg/money): yuan strings in the API, integer fen in the database.

// parseYuan reads a non-negative amount of yuan into fen. "" is zero. It refuses
// exponents, signs, separators and more than two decimals rather than round them.
func parseYuan(field, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	fen, err := money.ParseFen(s)
	switch {
	case errors.Is(err, money.ErrTooLarge):
		return 0, errs.Invalid(field, "AMOUNT_TOO_LARGE", "金额超出范围")
	case err != nil:
		return 0, errs.Invalid(field, "INVALID_AMOUNT", "金额应为不超过两位小数的非负十进制数，如 12500.50")
	}
	return fen, nil
}

// parseDecimal reads a fact of the hardship criteria ("45", "92.5"): a non-negative
// decimal with at most two decimals, scaled by 100 like fen.
func parseDecimal(field, s string) (int64, error) {
	if s == "" {
		return 0, errs.Invalid(field, "REQUIRED", "不能为空")
	}
	v, err := parseYuan(field, s)
	if err != nil {
		return 0, errs.Invalid(field, "INVALID_DECIMAL", "应为不超过两位小数的非负十进制数")
	}
	return v, nil
}

// formatFen writes fen as yuan with two decimals.
func formatFen(fen int64) string { return money.Format(fen) }

// feeBand is one band of the court-fee schedule for property cases (诉讼费用交纳办法 art.
// 13): the part of the claim up to Upto fen is charged Rate basis points.
type feeBand struct {
	Upto int64 // fen; 0 for the open top band
	Rate int64 // basis points (1/10000)
}

var feeBands = []feeBand{
	{10_000_00, 0}, // up to 10,000 yuan: a flat 50 yuan, added below
	{100_000_00, 250}, {200_000_00, 200}, {500_000_00, 150}, {1_000_000_00, 100},
	{2_000_000_00, 90}, {5_000_000_00, 80}, {10_000_000_00, 70}, {20_000_000_00, 60}, {0, 50},
}

// courtFee is the court fee of a property claim of amount fen, in fen, rounded half up:
// 50 yuan for the first 10,000, then the schedule's rate on each band's part.
func courtFee(amount int64) int64 {
	if amount <= 0 {
		return 0
	}
	num, prev := int64(0), int64(0)
	for _, b := range feeBands {
		top := b.Upto
		if top == 0 || top > amount {
			top = amount
		}
		if top > prev {
			num += (top - prev) * b.Rate
		}
		if top == amount {
			break
		}
		prev = top
	}
	return 50_00 + (num+5000)/10000
}
