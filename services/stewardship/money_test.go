package stewardship

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
)

func TestMoney(t *testing.T) {
	for _, c := range []struct {
		in   string
		fen  int64
		code string
	}{
		{"0", 0, ""}, {"1", 100, ""}, {"1.5", 150, ""}, {"1.05", 105, ""}, {"1234567.89", 123456789, ""},
		{"12.345", 0, "MONEY_TOO_PRECISE"}, {"0.001", 0, "MONEY_TOO_PRECISE"},
		{"1e3", 0, "INVALID_MONEY"}, {"-1", 0, "INVALID_MONEY"}, {"01", 0, "INVALID_MONEY"}, {"1.", 0, "INVALID_MONEY"},
		{".5", 0, "INVALID_MONEY"}, {"1,000", 0, "INVALID_MONEY"}, {" 1", 0, "INVALID_MONEY"}, {"NaN", 0, "INVALID_MONEY"},
		{"", 0, "REQUIRED"}, {"99999999999999", 0, "INVALID_MONEY"},
	} {
		fen, err := parseMoney("amount", c.in, false)
		if c.code != "" {
			apptest.RequireField(t, err, "amount", c.code)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.fen, fen, c.in)
		again, err := parseMoney("amount", formatMoney(fen), false)
		require.NoError(t, err)
		require.Equal(t, fen, again)
	}
	_, err := parseMoney("amount", "0.00", true)
	apptest.RequireField(t, err, "amount", "INVALID_MONEY")
	require.Equal(t, "-0.05", formatMoney(-5))
}
