package govid

import (
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// ErrInvalidCreditCode is returned for a malformed unified social credit code.
var ErrInvalidCreditCode = errs.New(errs.InvalidArgument, "INVALID_CREDIT_CODE", "统一社会信用代码不正确")

// creditCharset is the code's alphabet in value order: digits and capital letters
// without I, O, Z, S and V, which are too easily mistaken for 1, 0, 2, 5 and U.
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// CreditCodeLen is the length of a unified social credit code.
const CreditCodeLen = 18

// creditWeights are 3^i mod 31 for the first 17 positions.
var creditWeights = func() [CreditCodeLen - 1]int {
	var w [CreditCodeLen - 1]int
	p := 1
	for i := range w {
		w[i] = p
		p = p * 3 % 31
	}
	return w
}()

// NormalizeCreditCode trims spaces and upper-cases s, the form people type and codes are
// stored in.
func NormalizeCreditCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// CreditCodeCheck computes the check character for the first 17 characters of a code;
// false if they are not 17 characters of the code's alphabet.
func CreditCodeCheck(first17 string) (byte, bool) {
	if len(first17) != CreditCodeLen-1 {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(first17); i++ {
		v := strings.IndexByte(creditCharset, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	return creditCharset[(31-sum%31)%31], true
}

// ValidateCreditCode checks s (already normalized) as a unified social credit code: 18
// characters of the alphabet, the 3rd to 8th (the administrative division code) digits,
// and the 18th the check character of the first 17.
func ValidateCreditCode(s string) error {
	bad := func(why string) error {
		return ErrInvalidCreditCode.WithMessage("统一社会信用代码不正确：%s", why).
			WithField("credit_code", "INVALID_CREDIT_CODE", why)
	}
	if len(s) != CreditCodeLen {
		return bad("应为 18 位")
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(creditCharset, s[i]) < 0 {
			return bad("含有不允许的字符（不使用 I、O、Z、S、V）")
		}
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return bad("第 3 至 8 位应为行政区划码数字")
		}
	}
	check, _ := CreditCodeCheck(s[:CreditCodeLen-1])
	if s[CreditCodeLen-1] != check {
		return bad("校验码不符，请核对")
	}
	return nil
}
