package money

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// MaxFen bounds one amount (one trillion yuan), so that sums of many and fee computations
// stay far inside int64.
const MaxFen = int64(1_000_000_000_000) * 100

// Why a string is not an amount.
var (
	ErrFormat     = errors.New("money: not a non-negative decimal number of yuan")
	ErrTooPrecise = errors.New("money: more than two decimals")
	ErrTooLarge   = errors.New("money: larger than MaxFen")
)

var (
	decimal    = regexp.MustCompile(`^(0|[1-9][0-9]{0,14})(?:\.([0-9]{1,2}))?$`)
	tooPrecise = regexp.MustCompile(`^(0|[1-9][0-9]*)\.[0-9]{3,}$`)
)

// ParseFen reads yuan ("12500.5") into fen (1250050). It refuses with ErrFormat,
// ErrTooPrecise or ErrTooLarge; the empty string is ErrFormat (a service that takes ""
// as zero or as missing says so before calling).
func ParseFen(s string) (int64, error) {
	m := decimal.FindStringSubmatch(s)
	if m == nil {
		if tooPrecise.MatchString(s) {
			return 0, ErrTooPrecise
		}
		return 0, ErrFormat
	}
	yuan, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, ErrFormat
	}
	frac := m[2]
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.Atoi(frac)
	fen := yuan*100 + int64(f)
	if fen > MaxFen {
		return 0, ErrTooLarge
	}
	return fen, nil
}

// Format writes fen as yuan with two decimals ("-12.05" for -1205).
func Format(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
