package legalaid

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A court case number (案号) by the Supreme People's Court's rules: （year）, the court's
// code (a province's short name, then 2 or 4 digits), an optional specialised-trial
// character and the case-type code (at most 3 characters, e.g. 民初, 民终, 执, 破), the
// sequence number from 1, and 号. The number comes from the court; the service checks its
// shape, that it is the court's own, and keeps it unique per court.
var caseNumberPattern = regexp.MustCompile(`^（([0-9]{4})）(\p{Han}(?:[0-9]{4}|[0-9]{2})?)(\p{Han}{1,4})([1-9][0-9]{0,7})号$`)

// caseNumber is a parsed case number.
type caseNumber struct {
	Year  int
	Court string // 辽0391
	Type  string // 民初
	Seq   int
}

// normalizeCaseNumber accepts ASCII parentheses and surrounding space for the
// full-width ones the rules use.
func normalizeCaseNumber(s string) string {
	s = strings.TrimSpace(s)
	return strings.NewReplacer("(", "（", ")", "）").Replace(s)
}

// parseCaseNumber checks s (normalized) against the rules and against now: the year is
// at most next year and not before 2000.
func parseCaseNumber(s string, now time.Time) (caseNumber, error) {
	m := caseNumberPattern.FindStringSubmatch(s)
	if m == nil {
		return caseNumber{}, ErrInvalidCaseNumber.WithField("court_case_number", ErrInvalidCaseNumber.Code, "案号格式不正确")
	}
	year, _ := strconv.Atoi(m[1])
	if year < 2000 || year > now.Year()+1 {
		return caseNumber{}, ErrInvalidCaseNumber.WithMessage("案号年份 %d 不正确", year).
			WithField("court_case_number", ErrInvalidCaseNumber.Code, "案号年份不正确")
	}
	seq, _ := strconv.Atoi(m[4])
	return caseNumber{Year: year, Court: m[2], Type: m[3], Seq: seq}, nil
}
