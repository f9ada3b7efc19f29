package authz

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
)

// DefaultPrefix is where the policy lives in etcd: one key per rule,
// <prefix>/p/<role>/<tenant>/<object>/<action>/<effect> and
// <prefix>/g/<subject>/<role>/<tenant>.
const DefaultPrefix = "/gaoxing/authz"

// Adapter stores a Casbin policy in etcd, one key per rule, and is how every write
// reaches the policy, ours and stock Casbin's alike. It refuses rules that are not well
// formed (see Permission and Grant).
type Adapter struct {
	client *clientv3.Client
	prefix string // with the trailing "/"
}

var (
	_ persist.BatchAdapter        = (*Adapter)(nil)
	_ persist.ContextBatchAdapter = (*Adapter)(nil)
)

// NewAdapter returns an adapter for the policy under prefix (DefaultPrefix in production).
func NewAdapter(client *clientv3.Client, prefix string) *Adapter {
	return &Adapter{client: client, prefix: strings.TrimSuffix(prefix, "/") + "/"}
}

// Limits of the etcd API: a transaction holds at most 128 operations by default
// (--max-txn-ops), and a load reads pages rather than one huge response. Pages are large
// because etcd walks the whole rest of the range on every page to count it: 100,000 keys
// (a few MiB, keys only) load a million rules in ten pages.
const (
	txnOps = 128
	// callTimeout bounds the calls Casbin makes without a context.
	callTimeout = 30 * time.Second
)

var pageSize int64 = 100_000 // a variable so that tests can page through small policies

func withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

// scan reads every rule under the prefix at one revision, page by page, and returns it.
// Keys that do not hold a valid rule are passed with their error, for the caller to log.
func (a *Adapter) scan(ctx context.Context, fn func(r rule, err error)) (int64, error) {
	start, end := a.prefix, clientv3.GetPrefixRangeEnd(a.prefix)
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(pageSize), clientv3.WithKeysOnly()}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := a.client.Get(ctx, start, opts...)
		if err != nil {
			return 0, unavailable("读取权限策略失败", err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			r, err := ruleFromKey(a.prefix, string(kv.Key))
			if err == nil {
				_, _, err = r.parse()
			}
			fn(r, err)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return rev, nil
		}
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// write puts and deletes rules, at most txnOps per transaction, and returns the revision
// of the last transaction that changed something (0 if none did: a delete of absent keys
// creates no revision that a watch would see). Only a batch that fits one transaction
// is atomic.
func (a *Adapter) write(ctx context.Context, puts, deletes []rule) (int64, error) {
	ops := make([]clientv3.Op, 0, len(puts)+len(deletes))
	// etcd refuses a transaction that names a key twice.
	seen := make(map[string]bool, len(puts)+len(deletes))
	for _, r := range puts {
		if _, _, err := r.parse(); err != nil {
			return 0, err
		}
		if k := r.key(a.prefix); !seen[k] {
			seen[k] = true
			ops = append(ops, clientv3.OpPut(k, r.value()))
		}
	}
	for _, r := range deletes {
		k := r.key(a.prefix)
		if seen[k] {
			if slices.ContainsFunc(puts, func(p rule) bool { return p.key(a.prefix) == k }) {
				return 0, ErrInvalidRule.WithMessage("同一规则不能同时添加和删除: %v", r.fields)
			}
			continue
		}
		seen[k] = true
		ops = append(ops, clientv3.OpDelete(k))
	}
	var rev int64
	for len(ops) > 0 {
		n := min(len(ops), txnOps)
		resp, err := a.client.Txn(ctx).Then(ops[:n]...).Commit()
		if err != nil {
			return 0, unavailable("写入权限策略失败", err)
		}
		for _, r := range resp.Responses {
			if d := r.GetResponseDeleteRange(); d == nil || d.Deleted > 0 {
				rev = resp.Header.Revision
			}
		}
		ops = ops[n:]
	}
	return rev, nil
}

func rulesOf(ptype string, lines [][]string) []rule {
	out := make([]rule, len(lines))
	for i, l := range lines {
		out[i] = rule{ptype: ptype, fields: l}
	}
	return out
}

// LoadPolicyCtx loads every valid rule into m; invalid keys are skipped.
func (a *Adapter) LoadPolicyCtx(ctx context.Context, m model.Model) error {
	var loadErr error
	_, err := a.scan(ctx, func(r rule, err error) {
		if err == nil && loadErr == nil {
			loadErr = persist.LoadPolicyArray(append([]string{r.ptype}, r.fields...), m)
		}
	})
	return errors.Join(err, loadErr)
}

// SavePolicyCtx makes the stored policy equal to m's: it puts m's rules and deletes the
// others. It is not atomic beyond one transaction's worth of rules.
func (a *Adapter) SavePolicyCtx(ctx context.Context, m model.Model) error {
	want := map[string]rule{}
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, fields := range ast.Policy {
				r := rule{ptype: ptype, fields: fields}
				want[r.key(a.prefix)] = r
			}
		}
	}
	var stale []rule
	if _, err := a.scan(ctx, func(r rule, err error) {
		if err != nil || want[r.key(a.prefix)].ptype == "" {
			stale = append(stale, r)
		}
	}); err != nil {
		return err
	}
	puts := make([]rule, 0, len(want))
	for _, r := range want {
		puts = append(puts, r)
	}
	if _, err := a.write(ctx, nil, stale); err != nil {
		return err
	}
	_, err := a.write(ctx, puts, nil)
	return err
}

// AddPolicyCtx stores one rule.
func (a *Adapter) AddPolicyCtx(ctx context.Context, _, ptype string, line []string) error {
	_, err := a.write(ctx, []rule{{ptype, line}}, nil)
	return err
}

// RemovePolicyCtx deletes one rule.
func (a *Adapter) RemovePolicyCtx(ctx context.Context, _, ptype string, line []string) error {
	_, err := a.write(ctx, nil, []rule{{ptype, line}})
	return err
}

// AddPoliciesCtx stores rules.
func (a *Adapter) AddPoliciesCtx(ctx context.Context, _, ptype string, lines [][]string) error {
	_, err := a.write(ctx, rulesOf(ptype, lines), nil)
	return err
}

// RemovePoliciesCtx deletes rules.
func (a *Adapter) RemovePoliciesCtx(ctx context.Context, _, ptype string, lines [][]string) error {
	_, err := a.write(ctx, nil, rulesOf(ptype, lines))
	return err
}

// RemoveFilteredPolicyCtx deletes the rules of ptype whose fields from fieldIndex on
// equal fieldValues ("" matches anything), as Casbin defines it.
func (a *Adapter) RemoveFilteredPolicyCtx(ctx context.Context, _, ptype string, fieldIndex int, fieldValues ...string) error {
	var doomed []rule
	if _, err := a.scan(ctx, func(r rule, err error) {
		if err != nil || r.ptype != ptype {
			return
		}
		for i, v := range fieldValues {
			if j := fieldIndex + i; v != "" && (j >= len(r.fields) || r.fields[j] != v) {
				return
			}
		}
		doomed = append(doomed, r)
	}); err != nil {
		return err
	}
	_, err := a.write(ctx, nil, doomed)
	return err
}

// LoadPolicy is LoadPolicyCtx with a timeout, for Casbin.
func (a *Adapter) LoadPolicy(m model.Model) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return a.LoadPolicyCtx(ctx, m)
}

// SavePolicy is SavePolicyCtx with a timeout, for Casbin.
func (a *Adapter) SavePolicy(m model.Model) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return a.SavePolicyCtx(ctx, m)
}

// AddPolicy is AddPolicyCtx with a timeout, for Casbin.
func (a *Adapter) AddPolicy(sec, ptype string, line []string) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return a.AddPolicyCtx(ctx, sec, ptype, line)
}

// RemovePolicy is RemovePolicyCtx with a timeout, for Casbin.
func (a *Adapter) RemovePolicy(sec, ptype string, line []string) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return a.RemovePolicyCtx(ctx, sec, ptype, line)
}

// AddPolicies is AddPoliciesCtx with a timeout, for Casbin.
func (a *Adapter) AddPolicies(sec, ptype string, lines [][]string) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return a.AddPoliciesCtx(ctx, sec, ptype, lines)
}

// RemovePolicies is RemovePoliciesCtx with a timeout, for Casbin.
func (a *Adapter) RemovePolicies(sec, ptype string, lines [][]string) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return a.RemovePoliciesCtx(ctx, sec, ptype, lines)
}

// RemoveFilteredPolicy is RemoveFilteredPolicyCtx with a timeout, for Casbin.
func (a *Adapter) RemoveFilteredPolicy(sec, ptype string, fieldIndex int, fieldValues ...string) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return a.RemoveFilteredPolicyCtx(ctx, sec, ptype, fieldIndex, fieldValues...)
}

// unavailable wraps an etcd failure, keeping context errors recognisable.
func unavailable(msg string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.From(err)
	}
	return errs.ErrUnavailable.WithMessage("%s", msg).Wrap(err)
}
