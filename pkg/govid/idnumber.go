package govid

import (
	"strings"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// ErrInvalidIDNumber is returned for a malformed resident identity card number.
var ErrInvalidIDNumber = errs.New(errs.InvalidArgument, "INVALID_ID_NUMBER", "居民身份证号码不正确")

// IDNumberLen is the length of a resident identity card number.
const IDNumberLen = 18

// idWeights are 2^(17-i) mod 11 for the first 17 digits (ISO 7064 MOD 11-2).
var idWeights = [IDNumberLen - 1]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idChecks maps the weighted sum mod 11 to the check character.
const idChecks = "10X98765432"

// earliestBirth bounds the birth date: older than any living person, and before the oldest example of GB 11643 (1880).
var earliestBirth = time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC)

// NormalizeIDNumber trims spaces and upper-cases a trailing x.
func NormalizeIDNumber(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// IDNumberCheck computes the check character for the first 17 digits of a number;
// false if they are not 17 digits.
func IDNumberCheck(first17 string) (byte, bool) {
	if len(first17) != IDNumberLen-1 {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(first17); i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idChecks[sum%11], true
}

// ValidateIDNumber checks s (already normalized) as an 18-digit resident identity card
// number: 17 digits, a check character (digit or X) per ISO 7064 MOD 11-2, and a birth
// date (digits 7 to 14, YYYYMMDD) that exists and lies between 1850 and now.
func ValidateIDNumber(s string, now time.Time) error {
	bad := func(why string) error {
		return ErrInvalidIDNumber.WithMessage("居民身份证号码不正确：%s", why).
			WithField("id_number", "INVALID_ID_NUMBER", why)
	}
	if len(s) != IDNumberLen {
		return bad("应为 18 位")
	}
	check, ok := IDNumberCheck(s[:IDNumberLen-1])
	if !ok {
		return bad("前 17 位应为数字")
	}
	if _, err := BirthDate(s); err != nil || !birthPlausible(s, now) {
		return bad("出生日期无效")
	}
	if s[IDNumberLen-1] != check {
		return bad("校验码不符，请核对")
	}
	return nil
}

// BirthDate returns the birth date encoded in an 18-digit number (digits 7 to 14).
func BirthDate(s string) (time.Time, error) {
	if len(s) < 14 {
		return time.Time{}, ErrInvalidIDNumber
	}
	d, err := time.Parse("20060102", s[6:14])
	if err != nil {
		return time.Time{}, ErrInvalidIDNumber.Wrap(err)
	}
	return d, nil
}

func birthPlausible(s string, now time.Time) bool {
	d, err := BirthDate(s)
	return err == nil && !d.Before(earliestBirth) && !d.After(now)
}
