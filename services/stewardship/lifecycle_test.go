package stewardship

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The arrears ledger's rules, without a server.
func TestDecide(t *testing.T) {
	const (
		unsorted = stewardshipv1.DebtClass_DEBT_CLASS_UNSORTED
		sweep    = stewardshipv1.DebtClass_DEBT_CLASS_SWEEP
		disputed = stewardshipv1.DebtClass_DEBT_CLASS_DISPUTED
		settled  = stewardshipv1.DebtClass_DEBT_CLASS_SETTLED
	)
	planned := ledger{class: sweep, amount: 100000, instalments: []instalment{{"2026-01-31", 30000, 0}, {"2026-06-30", 70000, 0}}}
	for _, c := range []struct {
		name  string
		from  ledger
		cmd   command
		want  ledger
		field string // a violation on this field, or
		code  string // this stable code
	}{
		{"undisputed to the sweep ledger", ledger{class: unsorted, amount: 100}, classify{class: sweep}, ledger{class: sweep, amount: 100}, "", ""},
		{"disputed cannot be swept", ledger{class: unsorted, amount: 100}, classify{class: sweep, disputed: true}, ledger{}, "disputed", "DISPUTED_NOT_SWEEP"},
		{"to disputed", ledger{class: unsorted, amount: 100}, classify{class: disputed, disputed: true}, ledger{class: disputed, disputed: true, amount: 100}, "", ""},
		{"dispute settled", ledger{class: disputed, disputed: true, amount: 100}, classify{class: sweep}, ledger{class: sweep, amount: 100}, "", ""},
		{"paid debts stay swept", ledger{class: sweep, amount: 100, paid: 1}, classify{class: disputed, disputed: true}, ledger{}, "", "ILLEGAL_TRANSITION"},
		{"plan adds up", ledger{class: sweep, amount: 100000}, plan{[]instalment{{"2026-01-31", 30000, 0}, {"2026-06-30", 70000, 0}}}, planned, "", ""},
		{"plan one cent short", ledger{class: sweep, amount: 100000}, plan{[]instalment{{"2026-01-31", 30000, 0}, {"2026-06-30", 69999, 0}}}, ledger{}, "instalments", "PLAN_MISMATCH"},
		{"plan dates must rise", ledger{class: sweep, amount: 200}, plan{[]instalment{{"2026-06-30", 100, 0}, {"2026-01-31", 100, 0}}}, ledger{}, "instalments[1].due_date", "NOT_ASCENDING"},
		{"no plan for a disputed debt", ledger{class: disputed, disputed: true, amount: 100}, plan{[]instalment{{"2026-01-31", 100, 0}}}, ledger{}, "", "DEBT_DISPUTED"},
		{"no plan before sorting", ledger{class: unsorted, amount: 100}, plan{[]instalment{{"2026-01-31", 100, 0}}}, ledger{}, "", "ILLEGAL_TRANSITION"},
		{"pay the first instalment", planned, pay{amount: 30000}, ledger{class: sweep, amount: 100000, paid: 30000,
			instalments: []instalment{{"2026-01-31", 30000, 30000}, {"2026-06-30", 70000, 0}}}, "", ""},
		{"a payment spills into the next", planned, pay{amount: 50000}, ledger{class: sweep, amount: 100000, paid: 50000,
			instalments: []instalment{{"2026-01-31", 30000, 30000}, {"2026-06-30", 70000, 20000}}}, "", ""},
		{"paying the balance settles", planned, pay{amount: 100000}, ledger{class: settled, amount: 100000, paid: 100000,
			instalments: []instalment{{"2026-01-31", 30000, 30000}, {"2026-06-30", 70000, 70000}}}, "", ""},
		{"over the balance", planned, pay{amount: 100001}, ledger{}, "payment.amount", "PAYMENT_OVER_BALANCE"},
		{"no such instalment", planned, pay{amount: 1, number: 3}, ledger{}, "payment.instalment", "NO_SUCH_INSTALMENT"},
		{"settled is final", ledger{class: settled, amount: 1, paid: 1}, pay{amount: 1}, ledger{}, "", "ILLEGAL_TRANSITION"},
		{"lump sum without a plan", ledger{class: sweep, amount: 500}, pay{amount: 200}, ledger{class: sweep, amount: 500, paid: 200}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := decide(c.from, c.cmd)
			switch {
			case c.field != "":
				apptest.RequireField(t, err, c.field, c.code)
			case c.code != "":
				_, code := apptest.Code(err)
				require.Equal(t, c.code, code, err)
			default:
				require.NoError(t, err)
				require.Equal(t, c.want, got)
			}
		})
	}
}

func TestAgeBucket(t *testing.T) {
	for _, c := range []struct {
		since, asOf string
		want        int
	}{{"2026-01-01", "2026-11-25", 0}, {"2025-11-25", "2026-11-25", 1}, {"2025-11-26", "2026-11-25", 0}, {"2023-12-01", "2026-11-25", 2}, {"2018-03-01", "2026-11-25", 3}} {
		require.Equal(t, c.want, ageBucket(c.since, c.asOf), c.since)
	}
}

// The programme and suggestion rules, without a server.
func TestDecideEnrolmentAndSuggestion(t *testing.T) {
	enrolled := &stewardshipv1.Enrolment{State: stewardshipv1.EnrolmentState_ENROLMENT_STATE_ENROLLED,
		Milestones: []*stewardshipv1.Milestone{{Title: "投产", DueDate: "2027-06-30"}}}
	recognised := clone(enrolled)
	recognised.State = stewardshipv1.EnrolmentState_ENROLMENT_STATE_RECOGNISED
	paidOnce := clone(recognised)
	paidOnce.Awards = []*stewardshipv1.Award{{Number: 1, Kind: stewardshipv1.AwardKind_AWARD_KIND_INCOME_TAX, Amount: "10.00", Paid: true}}
	for _, c := range []struct {
		name string
		from *stewardshipv1.Enrolment
		cmd  enrolmentCommand
		code string // "" for success; "field:CODE" for a violation
	}{
		{"award before recognition", enrolled, grantAward{kind: stewardshipv1.AwardKind_AWARD_KIND_INCOME_TAX, amount: 100}, "NOT_RECOGNISED"},
		{"award after recognition", recognised, grantAward{kind: stewardshipv1.AwardKind_AWARD_KIND_INCOME_TAX, amount: 100}, ""},
		{"review once", recognised, review{recognised: false}, "ILLEGAL_TRANSITION"},
		{"milestone out of range", enrolled, reachMilestone{number: 2, date: "2026-01-01"}, "milestone:NO_SUCH_MILESTONE"},
		{"paid twice", paidOnce, payAward{number: 1, date: "2026-01-01", reference: "x"}, "ALREADY_PAID"},
	} {
		t.Run(c.name, func(t *testing.T) {
			next, err := decideEnrolment(c.from, c.cmd)
			if c.code == "" {
				require.NoError(t, err)
				require.Equal(t, "1.00", next.GetAwarded())
				require.Empty(t, c.from.GetAwards(), "the input is not changed")
				return
			}
			if field, code, ok := strings.Cut(c.code, ":"); ok {
				apptest.RequireField(t, err, field, code)
				return
			}
			_, code := apptest.Code(err)
			require.Equal(t, c.code, code)
		})
	}
	submitted := &stewardshipv1.Suggestion{State: stewardshipv1.SuggestionState_SUGGESTION_STATE_SUBMITTED}
	s, err := decideSuggestion(submitted, true, "好", "《办法》")
	require.NoError(t, err)
	require.Equal(t, stewardshipv1.SuggestionState_SUGGESTION_STATE_ENACTED, s.GetState())
	_, err = decideSuggestion(submitted, false, "", "《办法》")
	apptest.RequireField(t, err, "policy", "NOT_ADOPTED")
	no, err := decideSuggestion(submitted, false, "不可行", "")
	require.NoError(t, err)
	_, err = decideSuggestion(no, true, "", "")
	_, code := apptest.Code(err)
	require.Equal(t, "ILLEGAL_TRANSITION", code)
}
