package stewardship

import (
	"fmt"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The arrears ledger's rules as a pure function: decide takes a debt's ledger state and a
// command and returns the next state, or the refusal. The handlers load, call it and
// write; the table tests need no server.

// instalment is one planned payment, in fen.
type instalment struct {
	due          string // YYYY-MM-DD
	amount, paid int64
}

// ledger is what the rules see of a debt.
type ledger struct {
	class       stewardshipv1.DebtClass
	disputed    bool
	amount      int64 // principal, fen
	paid        int64
	instalments []instalment
}

func (l ledger) balance() int64 { return l.amount - l.paid }

// command is one change asked of a debt.
type command interface{ isCommand() }

// classify sorts a debt: SWEEP needs it undisputed; DISPUTED marks it disputed.
type classify struct {
	class    stewardshipv1.DebtClass
	disputed bool
}

// plan replaces the instalment plan; the amounts must add up to the balance.
type plan struct{ instalments []instalment }

// pay records a payment of amount fen against instalment number (1-based; 0: the
// earliest unpaid), spilling over into the following instalments.
type pay struct {
	amount int64
	number int
}

func (classify) isCommand() {}
func (plan) isCommand()     {}
func (pay) isCommand()      {}

// decide applies c to l.
func decide(l ledger, c command) (ledger, error) {
	if l.class == stewardshipv1.DebtClass_DEBT_CLASS_SETTLED {
		return l, ErrIllegalTransition.WithMessage("欠款已结清")
	}
	switch c := c.(type) {
	case classify:
		switch c.class {
		case stewardshipv1.DebtClass_DEBT_CLASS_SWEEP:
			if c.disputed {
				return l, errs.Invalid("disputed", "DISPUTED_NOT_SWEEP", "有争议的欠款不能列入扫尾台账")
			}
		case stewardshipv1.DebtClass_DEBT_CLASS_DISPUTED:
			if !c.disputed {
				return l, errs.Invalid("disputed", "UNDISPUTED_NOT_DISPUTED", "无争议的欠款不能列为争议")
			}
			if l.paid > 0 {
				return l, ErrIllegalTransition.WithMessage("已开始拨付的欠款不能改列争议")
			}
			l.instalments = nil // a plan for a disputed debt no longer stands
		default:
			return l, errs.Invalid("class", "INVALID_CLASS", "台账分类应为扫尾或争议")
		}
		l.class, l.disputed = c.class, c.disputed
		return l, nil
	case plan:
		if err := l.payable(); err != nil {
			return l, err
		}
		if len(c.instalments) == 0 || len(c.instalments) > 60 {
			return l, errs.Invalid("instalments", "INVALID_COUNT", "分期为 1—60 期")
		}
		var sum int64
		for i, in := range c.instalments {
			if in.amount <= 0 {
				return l, errs.Invalid(fmt.Sprintf("instalments[%d].amount", i), "INVALID_MONEY", "每期金额须大于零")
			}
			if i > 0 && in.due <= c.instalments[i-1].due {
				return l, errs.Invalid(fmt.Sprintf("instalments[%d].due_date", i), "NOT_ASCENDING", "各期到期日须逐期递增")
			}
			sum += in.amount
		}
		if sum != l.balance() {
			return l, ErrPlanMismatch.WithMessage("分期合计 %s 元，欠款余额 %s 元，须相等", formatMoney(sum), formatMoney(l.balance())).
				WithField("instalments", ErrPlanMismatch.Code, "分期计划合计须等于欠款余额")
		}
		l.instalments = make([]instalment, len(c.instalments))
		for i, in := range c.instalments {
			l.instalments[i] = instalment{due: in.due, amount: in.amount}
		}
		return l, nil
	case pay:
		if err := l.payable(); err != nil {
			return l, err
		}
		if c.amount <= 0 {
			return l, errs.Invalid("payment.amount", "INVALID_MONEY", "付款金额须大于零")
		}
		if c.amount > l.balance() {
			return l, ErrOverBalance.WithMessage("付款 %s 元超过欠款余额 %s 元", formatMoney(c.amount), formatMoney(l.balance())).
				WithField("payment.amount", ErrOverBalance.Code, "付款金额超过欠款余额")
		}
		if c.number < 0 || c.number > len(l.instalments) {
			return l, errs.Invalid("payment.instalment", "NO_SUCH_INSTALMENT", "没有这一期")
		}
		l.instalments = append([]instalment(nil), l.instalments...)
		left := c.amount
		start := c.number - 1
		if c.number == 0 {
			start = 0
		}
		for i := start; i < len(l.instalments) && left > 0; i++ {
			due := l.instalments[i].amount - l.instalments[i].paid
			n := min(due, left)
			l.instalments[i].paid += n
			left -= n
		}
		if left > 0 && len(l.instalments) > 0 {
			// More than the instalments from the one named: the earlier ones take the rest.
			for i := 0; i < start && left > 0; i++ {
				due := l.instalments[i].amount - l.instalments[i].paid
				n := min(due, left)
				l.instalments[i].paid += n
				left -= n
			}
		}
		l.paid += c.amount
		if l.balance() == 0 {
			l.class = stewardshipv1.DebtClass_DEBT_CLASS_SETTLED
		}
		return l, nil
	}
	return l, fmt.Errorf("stewardship: unknown command %T", c)
}

// payable refuses plans and payments for a debt not in the 扫尾 ledger.
func (l ledger) payable() error {
	switch {
	case l.disputed || l.class == stewardshipv1.DebtClass_DEBT_CLASS_DISPUTED:
		return ErrDebtDisputed
	case l.class != stewardshipv1.DebtClass_DEBT_CLASS_SWEEP:
		return ErrIllegalTransition.WithMessage("欠款须先列入扫尾台账，才能制定分期计划或付款")
	}
	return nil
}

// A growth-programme enrolment's rules: milestones are reached while enrolled or
// recognised; the review (审核认定) is decided once; awards go to recognised enrolments
// only and are paid once each.

type enrolmentCommand interface{ isEnrolmentCommand() }

type reachMilestone struct {
	number int
	date   string
}

type review struct {
	recognised bool
	note       string
}

type grantAward struct {
	kind   stewardshipv1.AwardKind
	amount int64
	basis  string
}

type payAward struct {
	number          int
	date, reference string
}

func (reachMilestone) isEnrolmentCommand() {}
func (review) isEnrolmentCommand()         {}
func (grantAward) isEnrolmentCommand()     {}
func (payAward) isEnrolmentCommand()       {}

// decideEnrolment applies c to a copy of e.
func decideEnrolment(e *stewardshipv1.Enrolment, c enrolmentCommand) (*stewardshipv1.Enrolment, error) {
	next := clone(e)
	switch c := c.(type) {
	case reachMilestone:
		if e.GetState() == stewardshipv1.EnrolmentState_ENROLMENT_STATE_REJECTED {
			return nil, ErrIllegalTransition.WithMessage("未通过审核认定的企业不再记录里程碑")
		}
		if c.number < 1 || c.number > len(next.GetMilestones()) {
			return nil, errs.Invalid("milestone", "NO_SUCH_MILESTONE", "没有这个里程碑")
		}
		next.Milestones[c.number-1].ReachedDate = c.date
	case review:
		if e.GetState() != stewardshipv1.EnrolmentState_ENROLMENT_STATE_ENROLLED {
			return nil, ErrIllegalTransition.WithMessage("审核认定已有结论")
		}
		next.State, next.ReviewNote = stewardshipv1.EnrolmentState_ENROLMENT_STATE_REJECTED, c.note
		if c.recognised {
			next.State = stewardshipv1.EnrolmentState_ENROLMENT_STATE_RECOGNISED
		}
	case grantAward:
		if e.GetState() != stewardshipv1.EnrolmentState_ENROLMENT_STATE_RECOGNISED {
			return nil, errs.New(errs.FailedPrecondition, "NOT_RECOGNISED", "通过审核认定后才能给予奖励")
		}
		next.Awards = append(next.Awards, &stewardshipv1.Award{Number: int32(len(e.GetAwards()) + 1), Kind: c.kind, Amount: formatMoney(c.amount), Basis: c.basis})
	case payAward:
		if c.number < 1 || c.number > len(next.GetAwards()) {
			return nil, errs.Invalid("award", "NO_SUCH_AWARD", "没有这项奖励")
		}
		a := next.Awards[c.number-1]
		if a.GetPaid() {
			return nil, errs.New(errs.FailedPrecondition, "ALREADY_PAID", "该奖励已拨付")
		}
		a.Paid, a.PayDate, a.Reference = true, c.date, c.reference
	default:
		return nil, fmt.Errorf("stewardship: unknown command %T", c)
	}
	var awarded, paid int64
	for _, a := range next.GetAwards() {
		fen, err := parseMoney("amount", a.GetAmount(), false)
		if err != nil {
			return nil, err
		}
		awarded += fen
		if a.GetPaid() {
			paid += fen
		}
	}
	next.Awarded, next.Paid = formatMoney(awarded), formatMoney(paid)
	return next, nil
}

// decideSuggestion: a submitted suggestion is adopted or not; an adopted one becomes
// enacted when the policy it became is named (at once, or later); nothing else changes.
func decideSuggestion(s *stewardshipv1.Suggestion, adopted bool, note, policy string) (*stewardshipv1.Suggestion, error) {
	next := clone(s)
	switch s.GetState() {
	case stewardshipv1.SuggestionState_SUGGESTION_STATE_SUBMITTED:
		if !adopted {
			if policy != "" {
				return nil, errs.Invalid("policy", "NOT_ADOPTED", "未采纳的建议没有转化的制度")
			}
			next.State, next.DecisionNote = stewardshipv1.SuggestionState_SUGGESTION_STATE_NOT_ADOPTED, note
			return next, nil
		}
		next.State, next.DecisionNote = stewardshipv1.SuggestionState_SUGGESTION_STATE_ADOPTED, note
	case stewardshipv1.SuggestionState_SUGGESTION_STATE_ADOPTED:
		if !adopted || policy == "" {
			return nil, errs.Invalid("policy", "REQUIRED", "已采纳的建议只能补充其转化的制度")
		}
	default:
		return nil, errs.New(errs.FailedPrecondition, "ILLEGAL_TRANSITION", "该建议已有结论")
	}
	if policy != "" {
		next.State, next.Policy = stewardshipv1.SuggestionState_SUGGESTION_STATE_ENACTED, policy
	}
	return next, nil
}
