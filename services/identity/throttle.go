package identity

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// Throttle is the policy against password guessing (登录限速). Failures are counted per
// account name (known or not, so the answer does not tell which exist) and per source
// address, within Window. Past a free allowance each further failure makes the next
// attempt wait, doubling from Base up to a cap; an attempt during the wait is refused
// with TOO_MANY_ATTEMPTS without checking the password, and does not count. The wait is
// bounded (AccountMax), so a stranger failing on purpose delays the owner by at most that
// much after each of their own attempts; and a stranger's own address is slowed far more
// (AddressMax) than the account, so one address cannot keep an account waiting. A
// correct password after the wait signs in and clears the account's count.
type Throttle struct {
	Window      time.Duration // failures older than this are forgotten
	AccountFree int           // failures per account name before waits start
	AddressFree int           // failures per source address (over all names) before waits start
	Base        time.Duration // the first wait
	AccountMax  time.Duration // the longest wait an account name is given
	AddressMax  time.Duration // the longest wait an address is given
}

// DefaultThrottle lets 5 failures per name (20 per address) in 15 minutes through free; then it
// waits 1 s, 2 s, 4 s, … up to 1 minute per name and 15 minutes per address.
var DefaultThrottle = Throttle{
	Window: 15 * time.Minute, AccountFree: 5, AddressFree: 20,
	Base: time.Second, AccountMax: time.Minute, AddressMax: 15 * time.Minute,
}

// ErrTooManyAttempts refuses a sign-in attempt made during a wait. Its message says how
// long to wait.
var ErrTooManyAttempts = errs.New(errs.ResourceExhausted, "TOO_MANY_ATTEMPTS", "登录尝试过于频繁，请稍后再试")

// throttleKey is one counter: an account name or an address.
type throttleKey struct {
	key  string
	free int
	max  time.Duration
}

// throttleKeys are the counters an attempt by username from address touches.
func (c *Core) throttleKeys(username, address string) []throttleKey {
	t := c.opts.Throttle
	keys := []throttleKey{{key: "account:" + normalizeUsername(username), free: t.AccountFree, max: t.AccountMax}}
	if a := addressKey(address); a != "" {
		keys = append(keys, throttleKey{key: "address:" + a, free: t.AddressFree, max: t.AddressMax})
	}
	return keys
}

// addressKey is the counter name of an address: the IPv4 address, or the IPv6 /64 (one
// subscriber usually holds a whole /64, so single addresses would be free to rotate).
func addressKey(address string) string {
	if address == "" {
		return ""
	}
	ip, err := netip.ParseAddr(address)
	if err != nil {
		if ap, err := netip.ParseAddrPort(address); err == nil {
			ip = ap.Addr()
		} else {
			return address
		}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// throttled refuses the attempt if any of keys is waiting.
func (c *Core) throttled(ctx context.Context, keys []throttleKey) error {
	now := c.now()
	var until time.Time
	for _, k := range keys {
		var next int64
		err := c.db.QueryRow(ctx, `SELECT next_allowed FROM login_throttle WHERE key = $1`, k.key).Scan(&next)
		if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
			return err
		}
		if t := time.UnixMicro(next); t.After(now) && t.After(until) {
			until = t
		}
	}
	if until.IsZero() {
		return nil
	}
	wait := max(int(until.Sub(now).Round(time.Second)/time.Second), 1)
	return ErrTooManyAttempts.WithMessage("登录尝试过于频繁，请在 %d 秒后重试", wait)
}

// failed counts one failure on each of keys and starts their waits past the allowance.
// The count is incremented in SQL, so concurrent failures all count.
func (c *Core) failed(ctx context.Context, keys []throttleKey) error {
	t := c.opts.Throttle
	now := c.now()
	return c.db.InTx(ctx, func(ctx context.Context) error {
		if rand.IntN(64) == 0 { // now and then, forget counters nobody has touched for a window
			if _, err := c.db.Exec(ctx, `DELETE FROM login_throttle WHERE window_start < $1 AND next_allowed < $2`,
				now.Add(-t.Window).UnixMicro(), now.UnixMicro()); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if _, err := c.db.Exec(ctx, `INSERT INTO login_throttle (key, failures, window_start, next_allowed)
				VALUES ($1, 0, $2, 0) ON CONFLICT (key) DO NOTHING`, k.key, now.UnixMicro()); err != nil {
				return err
			}
			var failures int64
			err := c.db.QueryRow(ctx, `UPDATE login_throttle SET
				failures = CASE WHEN window_start < $2 THEN 1 ELSE failures + 1 END,
				window_start = CASE WHEN window_start < $2 THEN $3 ELSE window_start END
				WHERE key = $1 RETURNING failures`, k.key, now.Add(-t.Window).UnixMicro(), now.UnixMicro()).Scan(&failures)
			if err != nil {
				return err
			}
			if failures < int64(k.free) {
				continue
			}
			wait := t.Base
			for i := int64(k.free); i < failures && wait < k.max; i++ {
				wait *= 2
			}
			wait = min(wait, k.max)
			if _, err := c.db.Exec(ctx, `UPDATE login_throttle SET next_allowed = $2 WHERE key = $1`,
				k.key, now.Add(wait).UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
}

// succeeded clears the account name's count. The address keeps its own: signing in to
// one's own account must not wash an address that guesses at others.
func (c *Core) succeeded(ctx context.Context, username string) error {
	_, err := c.db.Exec(ctx, `DELETE FROM login_throttle WHERE key = $1`, "account:"+normalizeUsername(username))
	return err
}
