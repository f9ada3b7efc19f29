package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/govid"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// AgentRole is the 帮代办 role: accounts holding it may be mandated (委托) by citizens
// and enterprises, and act for them.
const AgentRole = "agent"

// Errors of mandates.
var (
	ErrNotAgent = errs.New(errs.FailedPrecondition, "NOT_AN_AGENT", "该账号未持有帮代办角色，不能接受委托")
	// ErrMandatorNotFound: a mandate names an account that is not a citizen's.
	ErrMandatorNotFound = errs.New(errs.InvalidArgument, "MANDATOR_NOT_FOUND", "委托人账号不存在或不是群众账号")
	ErrTooManyMandates  = errs.New(errs.InvalidArgument, "TOO_MANY_MANDATES", fmt.Sprintf("委托方最多 %d 个", authn.MaxMandates))
)

// SetMandates replaces the parties that mandated the agent tenant/id: citizens'
// accounts (Subjects) and enterprises (Orgs, credit codes). Administering the agent
// takes what any change of an account takes (checkAdministers). The change and its audit
// record commit together; then the agent's earlier tokens end, so the next ones carry
// the new list (a mandate taken back stops at once, not when a token expires).
func (c *Core) SetMandates(ctx context.Context, tenant tenancy.ID, id string, in authn.Mandates) (authn.Mandates, error) {
	if err := c.checkAdministers(ctx, usersObject, id, tenant); err != nil {
		return authn.Mandates{}, err
	}
	m, err := c.checkMandates(ctx, in)
	if err != nil {
		return authn.Mandates{}, err
	}
	r, err := c.userWhere(ctx, `tenant = $1 AND id = $2`, string(tenant), id)
	if err != nil {
		return authn.Mandates{}, err
	}
	if !m.Empty() && !c.isAgent(id) {
		return authn.Mandates{}, ErrNotAgent
	}
	err = c.db.InTx(ctx, func(ctx context.Context) error {
		before, err := c.mandates(ctx, id)
		if err != nil {
			return err
		}
		if _, err := c.db.Exec(ctx, `DELETE FROM mandates WHERE user_id = $1`, id); err != nil {
			return err
		}
		for _, p := range m.Claim() {
			kind, party := p[:3], p[4:]
			if _, err := c.db.Exec(ctx, `INSERT INTO mandates (user_id, kind, party) VALUES ($1, $2, $3)`, id, kind, party); err != nil {
				return err
			}
		}
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: tenant, Action: "identity.SetMandates", Resource: r.Name(),
			Before: before.Claim(), After: m.Claim()})
		return err
	})
	if err != nil {
		return authn.Mandates{}, err
	}
	return m, authn.RevokeSubject(ctx, c.etcd, id, c.now().Truncate(time.Second), c.opts.TokenLifetime)
}

// checkMandates normalises in (credit codes upper case, duplicates dropped, sorted) and
// checks it: at most authn.MaxMandates, every credit code valid (GB 32100), every
// subject a citizen's account.
func (c *Core) checkMandates(ctx context.Context, in authn.Mandates) (authn.Mandates, error) {
	var m authn.Mandates
	for _, s := range in.Subjects {
		if !slices.Contains(m.Subjects, s) {
			m.Subjects = append(m.Subjects, s)
		}
	}
	for _, o := range in.Orgs {
		if o = govid.NormalizeCreditCode(o); !slices.Contains(m.Orgs, o) {
			m.Orgs = append(m.Orgs, o)
		}
	}
	slices.Sort(m.Subjects)
	slices.Sort(m.Orgs)
	if n := len(m.Subjects) + len(m.Orgs); n > authn.MaxMandates {
		return authn.Mandates{}, ErrTooManyMandates
	}
	for _, o := range m.Orgs {
		if err := govid.ValidateCreditCode(o); err != nil {
			return authn.Mandates{}, err
		}
	}
	for _, s := range m.Subjects {
		r, err := c.userWhere(ctx, `id = $1`, s)
		if errors.Is(err, ErrUserNotFound) || (err == nil && r.Kind != authn.Citizen) {
			return authn.Mandates{}, ErrMandatorNotFound.WithMessage("委托人账号 %s 不存在或不是群众账号", s).
				WithField("mandates.subject", "MANDATOR_NOT_FOUND", "委托人应为群众账号")
		}
		if err != nil {
			return authn.Mandates{}, err
		}
	}
	return m, nil
}

// isAgent reports whether the account holds the agent role anywhere.
func (c *Core) isAgent(id string) bool {
	for _, g := range c.enforcer.Grants(id) {
		if g.Role == AgentRole {
			return true
		}
	}
	return false
}

// mandates reads the parties that mandated the account id.
func (c *Core) mandates(ctx context.Context, id string) (authn.Mandates, error) {
	type row struct{ kind, party string }
	rows, err := sqlstore.QueryAll(ctx, c.db, func(s sqlstore.Scanner) (row, error) {
		var r row
		return r, s.Scan(&r.kind, &r.party)
	}, `SELECT kind, party FROM mandates WHERE user_id = $1 ORDER BY kind DESC, party`, id)
	if err != nil {
		return authn.Mandates{}, err
	}
	var m authn.Mandates
	for _, r := range rows {
		if r.kind == "sub" {
			m.Subjects = append(m.Subjects, r.party)
		} else {
			m.Orgs = append(m.Orgs, r.party)
		}
	}
	return m, nil
}

// actsFor is what the account id's tokens carry as acts_for: its mandates while it
// holds the agent role, else none (taking the role away ends the mandates' effect).
func (c *Core) actsFor(ctx context.Context, id string) ([]string, error) {
	if !c.isAgent(id) {
		return nil, nil
	}
	m, err := c.mandates(ctx, id)
	if err != nil || m.Empty() {
		return nil, err
	}
	return m.Claim(), nil
}
