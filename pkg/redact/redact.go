package redact

import (
	"strings"
	"unicode/utf8"
)

// Redacted replaces a credential (password, secret, token) entirely.
const Redacted = "[REDACTED]"

// Kind is a class of personal or secret information, each with its own masking rule.
type Kind uint8

// The kinds. KindNone leaves a value as it is.
const (
	KindNone    Kind = iota
	KindPhone        // Phone
	KindIDCard       // IDCard
	KindName         // Name
	KindEmail        // Email
	KindAddress      // Address
	KindSecret       // replaced by Redacted
)

// Mask masks s by the rule of k.
func (k Kind) Mask(s string) string {
	switch k {
	case KindPhone:
		return Phone(s)
	case KindIDCard:
		return IDCard(s)
	case KindName:
		return Name(s)
	case KindEmail:
		return Email(s)
	case KindAddress:
		return Address(s)
	case KindSecret:
		return Secret(s)
	}
	return s
}

// Phone masks a telephone number, keeping the first 3 and last 4 characters of an
// 11-character or longer number: 13812345678 → 138****5678, the form every Chinese
// service uses on screens and SMS. Shorter values keep only their first and last
// character, and values under 6 characters are masked entirely.
func Phone(s string) string { return keepEnds(s, 3, 4) }

// IDCard masks a resident ID card number (18 characters, GB 11643; 15 for the old
// cards), keeping the first 3 and last 4: 110101199003077777 → 110***********7777.
//
// Why not the first 6 (the issuing county) as banks often show: the 6-digit county code
// and the last 4 together leave only the birth date unknown, and the birth date is
// often known (age on the application), so "6 + 4" is close to the whole number. The
// first 3 name only the province and part of the prefecture, and the last 4 are what
// people quote to confirm an ID ("尾号 7777"). The birth date (digits 7–14) never shows.
// Other lengths follow the same short-input rule as Phone.
func IDCard(s string) string { return keepEnds(s, 3, 4) }

// Name masks a natural person's name, keeping the first character (usually the
// surname) and masking the rest one for one: 张三丰 → 张**, 张三 → 张*. A
// one-character value is masked entirely.
func Name(s string) string {
	n := utf8.RuneCountInString(s)
	switch n {
	case 0:
		return ""
	case 1:
		return "*"
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + strings.Repeat("*", n-1)
}

// Email masks the mailbox part of an address, keeping its first character and the
// domain: zhangsan@example.com → z***@example.com. The mask has a fixed width so the
// mailbox length does not show. A value without "@" is masked as a mailbox alone.
func Email(s string) string {
	if s == "" {
		return ""
	}
	local, domain := s, ""
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		local, domain = s[:i], s[i:]
	}
	if utf8.RuneCountInString(local) < 2 {
		return "***" + domain
	}
	first, _ := utf8.DecodeRuneInString(local)
	return string(first) + "***" + domain
}

// Address masks a postal address, keeping at most its first 6 characters and never
// more than half of it — enough for the province and city (浙江省杭州市****) — and
// hiding the length of the rest behind a fixed-width mask.
func Address(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	return string(r[:min(6, len(r)/2)]) + "****"
}

// Secret replaces a credential entirely. An empty value stays empty, which tells a
// reader of the logs that none was given without revealing anything.
func Secret(s string) string {
	if s == "" {
		return ""
	}
	return Redacted
}

// keepEnds keeps head leading and tail trailing characters when at least 4 characters
// remain to mask, only the first and last when the value has at least 6, and nothing
// otherwise. The mask keeps the length, as users expect of masked numbers.
func keepEnds(s string, head, tail int) string {
	r := []rune(s)
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n >= head+tail+4:
	case n >= 6:
		head, tail = 1, 1
	default:
		head, tail = 0, 0
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(string(r[:head]))
	b.WriteString(strings.Repeat("*", n-head-tail))
	b.WriteString(string(r[n-tail:]))
	return b.String()
}
