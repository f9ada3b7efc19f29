package money_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/money"
)

func TestParseFen(t *testing.T) {
	for _, c := range []struct {
		in   string
		fen  int64
		want error
	}{
		{"0", 0, nil}, {"12", 1200, nil}, {"12.5", 1250, nil}, {"12.05", 1205, nil},
		{"1000000000000", money.MaxFen, nil},
		{"", 0, money.ErrFormat}, {"-1", 0, money.ErrFormat}, {"1e3", 0, money.ErrFormat},
		{"01", 0, money.ErrFormat}, {"1,000", 0, money.ErrFormat}, {"1.", 0, money.ErrFormat},
		{"12.345", 0, money.ErrTooPrecise},
		{"1000000000000.01", 0, money.ErrTooLarge},
	} {
		fen, err := money.ParseFen(c.in)
		require.ErrorIs(t, err, c.want, c.in)
		if c.want == nil {
			require.NoError(t, err, c.in)
			require.Equal(t, c.fen, fen, c.in)
			again, err := money.ParseFen(money.Format(fen))
			require.NoError(t, err)
			require.Equal(t, fen, again, "round trip of %s", c.in)
		}
	}
	require.Equal(t, "-12.05", money.Format(-1205))
}
