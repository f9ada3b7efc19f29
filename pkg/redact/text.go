package redact

import "strings"

// Text masks the mobile numbers and resident ID card numbers that appear inside free
// text — an error message quoting its input, a note typed by a clerk — and leaves the
// rest alone. It is a safety net under ReplaceAttr, not a substitute for keeping PII in
// String values: it only recognises an 11-digit mainland mobile number (optionally
// written with a leading 86) and an 18-character ID number whose check digit and birth
// date are valid, standing on their own (not inside a longer run of letters and
// digits, such as a hex trace id or a credit code). Text that holds neither is returned
// as is, without allocating.
func Text(s string) string {
	var b *strings.Builder
	done := 0 // s[:done] has been copied to b
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		end := i
		for end < len(s) && isDigit(s[end]) {
			end++
		}
		if end-i == 17 && end < len(s) && (s[end] == 'X' || s[end] == 'x') {
			end++
		}
		masked, ok := "", false
		if (i == 0 || !isAlnum(s[i-1])) && (end == len(s) || !isAlnum(s[end])) {
			masked, ok = maskNumber(s[i:end])
		}
		if ok {
			if b == nil {
				b = &strings.Builder{}
				b.Grow(len(s))
			}
			b.WriteString(s[done:i])
			b.WriteString(masked)
			done = end
		}
		i = end
	}
	if b == nil {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// maskNumber masks run when it is a mobile or an ID card number.
func maskNumber(run string) (string, bool) {
	switch {
	case len(run) == 11 && isMobile(run):
		return Phone(run), true
	case len(run) == 13 && run[:2] == "86" && isMobile(run[2:]):
		return "86" + Phone(run[2:]), true
	case len(run) == 18 && isIDCard(run):
		return IDCard(run), true
	}
	return "", false
}

// isMobile: mainland mobile numbers are 1[3-9] followed by 9 digits.
func isMobile(d string) bool {
	return d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// isIDCard checks an 18-character GB 11643 number: a plausible birth date in digits
// 7–14 and the ISO 7064 MOD 11-2 check character at the end.
func isIDCard(id string) bool {
	year := atoi(id[6:10])
	month := atoi(id[10:12])
	day := atoi(id[12:14])
	if year < 1900 || year > 2099 || month < 1 || month > 12 || day < 1 || day > 31 {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(id[i]-'0') * w
	}
	check := "10X98765432"[sum%11]
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	return last == check
}

func atoi(d string) int {
	n := 0
	for i := 0; i < len(d); i++ {
		n = n*10 + int(d[i]-'0')
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
