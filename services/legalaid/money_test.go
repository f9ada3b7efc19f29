package legalaid

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseYuan(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in  string
		fen int64
		ok  bool
	}{
		{"", 0, true}, {"0", 0, true}, {"12", 1200, true}, {"12.5", 1250, true}, {"12.05", 1205, true},
		{"1250000.50", 125000050, true}, {"999999999999999.99", 0, false},
		{"12.345", 0, false}, {"-1", 0, false}, {"1e3", 0, false}, {"01", 0, false}, {"1,000", 0, false},
		{"12.", 0, false}, {".5", 0, false}, {" 1", 0, false}, {"NaN", 0, false},
	} {
		got, err := parseYuan("amount", c.in)
		if !c.ok {
			require.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.fen, got, c.in)
		if c.in != "" && c.in != "12.5" && c.in != "12" && c.in != "0" {
			require.Equal(t, c.in, formatFen(got))
		}
	}
}

// TestCourtFee: the national schedule for property claims, band by band.
func TestCourtFee(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ amount, fee string }{
		{"0", "0.00"}, {"5000", "50.00"}, {"10000", "50.00"},
		{"100000", "2300.00"},      // 50 + 90,000 × 2.5 %
		{"200000", "4300.00"},      // + 100,000 × 2 %
		{"1000000", "13800.00"},    // + 300,000 × 1.5 % + 500,000 × 1 %
		{"1250000.50", "16050.00"}, // + 250,000.50 × 0.9 % = 2,250.0045 → rounded to the fen
		{"30000000", "191800.00"},
	} {
		a, err := parseYuan("a", c.amount)
		require.NoError(t, err)
		require.Equal(t, c.fee, formatFen(courtFee(a)), c.amount)
	}
}

func TestCaseNumber(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in    string
		court string
		typ   string
		ok    bool
	}{
		{"（2026）辽0391民初123号", "辽0391", "民初", true},
		{"(2026)辽0391民初123号", "辽0391", "民初", true},
		{"（2026）辽03民终7号", "辽03", "民终", true},
		{"（2025）辽0391执1号", "辽0391", "执", true},
		{"（2026）辽0391知民初5号", "辽0391", "知民初", true},
		{"（2026）辽0391民初0号", "", "", false},
		{"（2026）辽039民初1号", "", "", false},
		{"（2026）0391民初1号", "", "", false},
		{"（26）辽0391民初1号", "", "", false},
		{"（2030）辽0391民初1号", "", "", false},
		{"（2026）辽0391民初123", "", "", false},
		{"（2026）辽0391123号", "", "", false},
		{"", "", "", false},
	} {
		got, err := parseCaseNumber(normalizeCaseNumber(c.in), now)
		if !c.ok {
			require.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.court, got.Court, c.in)
		require.Equal(t, c.typ, got.Type, c.in)
	}
}
