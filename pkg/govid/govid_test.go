package govid

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// withCheck appends the check character the algorithm gives, so the tests build valid
// codes from a body instead of trusting a hand-typed value.
func withCreditCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, ok := CreditCodeCheck(first17)
	require.True(t, ok, first17)
	return first17 + string(c)
}

func withIDCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, ok := IDNumberCheck(first17)
	require.True(t, ok, first17)
	return first17 + string(c)
}

// flipLast replaces the check character with another of the alphabet.
func flipLast(s, alphabet string) string {
	last := s[len(s)-1]
	for i := 0; i < len(alphabet); i++ {
		if alphabet[i] != last {
			return s[:len(s)-1] + string(alphabet[i])
		}
	}
	panic("alphabet of one")
}

func TestCreditCode(t *testing.T) {
	// 91350100M000100Y43 is the worked example used in explanations of GB 32100-2015.
	computed := withCreditCheck(t, "9111010859963405X")
	tests := []struct {
		name  string
		code  string
		valid bool
	}{
		{"published example", "91350100M000100Y43", true},
		{"computed company code", computed, true},
		{"computed government agency", withCreditCheck(t, "11330100002484963"), true},
		{"computed social organisation", withCreditCheck(t, "51110000500021568"), true},
		{"wrong check character", flipLast("91350100M000100Y43", creditCharset), false},
		{"wrong check on computed", flipLast(computed, creditCharset), false},
		{"two characters swapped", "91350100M000100Y34", false},
		{"one digit mistyped", "91350100M000101Y43", false},
		{"17 characters", "91350100M000100Y4", false},
		{"19 characters", "91350100M000100Y433", false},
		{"letter I not in the alphabet", "91350100M00010IY43", false},
		{"letter O", "91350100M000O00Y43", false},
		{"lower case is not normalized here", "91350100m000100y43", false},
		{"letters in the division code", "9135A100M000100Y43", false},
		{"empty", "", false},
		{"non-ASCII", "91350100M000100Y4３", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCreditCode(tt.code)
			if tt.valid {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrInvalidCreditCode))
			e := errs.From(err)
			require.Equal(t, errs.InvalidArgument, e.Kind)
			require.Equal(t, "INVALID_CREDIT_CODE", e.Code)
			require.NotEmpty(t, e.Violations)
		})
	}
	require.Equal(t, "91350100M000100Y43", NormalizeCreditCode(" 91350100m000100y43 "))
}

func TestCreditWeights(t *testing.T) {
	// GB 32100-2015 lists the weights of positions 1 to 17.
	require.Equal(t, [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}, creditWeights)
}

func TestIDNumber(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	// 11010519491231002X and 440524188001010014 are the examples in GB 11643-1999.
	tests := []struct {
		name  string
		id    string
		valid bool
	}{
		{"published example with X", "11010519491231002X", true},
		{"published example, born 1880", "440524188001010014", true},
		{"computed, born on a leap day", withIDCheck(t, "34010220000229123"), true},
		{"computed, born today", withIDCheck(t, "44030520261126001"), true},
		{"wrong check character", flipLast("11010519491231002X", idChecks), false},
		{"lower-case x is not normalized here", "11010519491231002x", false},
		{"two digits swapped", "11010519491213002X", false},
		{"no 29 February in 2001", withIDCheck(t, "34010220010229123"), false},
		{"month 13", withIDCheck(t, "34010219901301123"), false},
		{"born tomorrow", withIDCheck(t, "44030520261127001"), false},
		{"born before 1850", withIDCheck(t, "44030518491231001"), false},
		{"17 characters", "11010519491231002", false},
		{"15-digit first-generation number", "110105491231002", false},
		{"letter inside", "1101051949123100AX", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateIDNumber(tt.id, now)
			if tt.valid {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrInvalidIDNumber))
			e := errs.From(err)
			require.Equal(t, errs.InvalidArgument, e.Kind)
			require.Equal(t, "INVALID_ID_NUMBER", e.Code)
			require.NotEmpty(t, e.Violations)
		})
	}
	require.Equal(t, "11010519491231002X", NormalizeIDNumber(" 11010519491231002x"))
	d, err := BirthDate("11010519491231002X")
	require.NoError(t, err)
	require.Equal(t, time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), d)
}

func TestEveryCheckCharacterOccurs(t *testing.T) {
	// Sweep bodies so every check value (including X and the credit code's letters) is
	// produced and accepted, and every other final character refused.
	seenID := map[byte]bool{}
	for n := range 200 {
		body := "11010519900101" + string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
		id := withIDCheck(t, body)
		seenID[id[17]] = true
		require.NoError(t, ValidateIDNumber(id, time.Now()))
		for i := 0; i < len(idChecks); i++ {
			if idChecks[i] != id[17] {
				require.Error(t, ValidateIDNumber(body+string(idChecks[i]), time.Now()))
			}
		}
	}
	require.Len(t, seenID, 11)
	seenCredit := map[byte]bool{}
	for n := range 400 {
		body := "91330100MA2" + string(creditCharset[n%31]) + string(creditCharset[n/31%31]) + "CD0X"
		code := withCreditCheck(t, body)
		seenCredit[code[17]] = true
		require.NoError(t, ValidateCreditCode(code))
	}
	require.Len(t, seenCredit, 31)
}
