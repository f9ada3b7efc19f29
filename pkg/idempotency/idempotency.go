package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/go-kit/kit/endpoint"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
)

// MetadataKey is the incoming gRPC metadata key that carries the idempotency key.
const MetadataKey = "idempotency-key"

// MaxKeyLen is the longest key accepted, in bytes.
const MaxKeyLen = 255

// DefaultTTL is how long a record answers retries unless WithTTL says otherwise.
const DefaultTTL = 24 * time.Hour

// Errors callers can see.
var (
	// ErrInvalidKey is a key that is empty, too long, or not printable ASCII.
	ErrInvalidKey = errs.New(errs.InvalidArgument, "IDEMPOTENCY_KEY_INVALID", "幂等键无效：须为1至255个可打印ASCII字符")
	// ErrKeyReused is a key already used for a request with different content.
	ErrKeyReused = errs.New(errs.FailedPrecondition, "IDEMPOTENCY_KEY_REUSED", "该幂等键已用于内容不同的请求，请使用新的幂等键")
	// errVanished is a record that blocked the insert and was gone when read back (a purge
	// ran in between); the caller may retry.
	errVanished = errs.New(errs.Aborted, "IDEMPOTENCY_CONFLICT", "请求冲突，请重试")
)

// Option configures Middleware.
type Option func(*config)

type config struct {
	scope func(context.Context) string
	ttl   time.Duration
	now   func() time.Time
}

// WithScope adds the caller's identity (its principal, once authentication runs before
// this middleware) to each key's scope, so two callers that pick the same key never see
// each other's responses. Default: no identity, keys are scoped by method only.
func WithScope(f func(context.Context) string) Option { return func(c *config) { c.scope = f } }

// WithTTL sets how long a record answers retries (default DefaultTTL).
func WithTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithClock sets the clock records are stamped with (tests).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Middleware returns the kit middleware that runs calls with an idempotency key once per
// (method, caller scope, key), keeping records in db. Place it after authentication (its
// scope needs the principal) and before the service; the service's store must use the same
// db so that its writes join the transaction the middleware opens.
func Middleware(db *sqlstore.DB, opts ...Option) kit.Middleware {
	cfg := config{scope: func(context.Context) string { return "" }, ttl: DefaultTTL, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	return func(m kit.Method, next endpoint.Endpoint) endpoint.Endpoint {
		method := m.FullName()
		return func(ctx context.Context, req any) (any, error) {
			key, ok, err := keyOf(ctx)
			if err != nil {
				return nil, err
			}
			if !ok {
				return next(ctx, req)
			}
			msg, isProto := req.(proto.Message)
			if !isProto || m.NewResponse == nil {
				return nil, errs.ErrInternal.Wrap(fmt.Errorf("idempotency: %s has no protobuf request or response type", method))
			}
			fp, err := fingerprint(msg)
			if err != nil {
				return nil, errs.ErrInternal.Wrap(err)
			}
			c := call{db: db, cfg: &cfg, method: method, principal: cfg.scope(ctx), key: key, fp: fp, now: cfg.now()}
			// A retry of a call that committed is answered from its record at once,
			// without running any of the method again.
			if resp, found, err := c.replay(ctx, m); found || err != nil {
				return resp, err
			}
			var resp any
			err = db.InLazyTx(ctx, c.claim, func(ctx context.Context) error {
				var err error
				if resp, err = next(ctx, req); err != nil {
					return err
				}
				return db.InTx(ctx, func(ctx context.Context) error { return c.record(ctx, resp) })
			})
			if errors.Is(err, errClaimed) {
				// A concurrent call with the key committed first: answer as it did.
				resp, found, err := c.replay(ctx, m)
				if err == nil && !found {
					err = errVanished
				}
				return resp, err
			}
			if err != nil {
				return nil, err
			}
			return resp, nil
		}
	}
}

// keyOf reads the key from incoming metadata; ok is false when there is none.
func keyOf(ctx context.Context) (key string, ok bool, err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(MetadataKey)
	switch len(vals) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", false, ErrInvalidKey.WithMessage("幂等键只能有一个")
	}
	key = vals[0]
	if len(key) == 0 || len(key) > MaxKeyLen {
		return "", false, ErrInvalidKey
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", false, ErrInvalidKey
		}
	}
	return key, true, nil
}

// fingerprint is the SHA-256 of the request's deterministic encoding: equal requests
// give equal fingerprints whatever order their map fields were filled in.
func fingerprint(req proto.Message) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("idempotency: marshal request: %w", err)
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// call is one keyed call in flight.
type call struct {
	db        *sqlstore.DB
	cfg       *config
	method    string
	principal string
	key       string
	fp        []byte
	now       time.Time
}

// errClaimed is a key found claimed when the call's transaction opened: a concurrent call
// with the same key got there first.
var errClaimed = errors.New("idempotency: key claimed by a concurrent call")

// claim is the first thing the call's transaction does, and it opens only when the method
// first writes (sqlstore.InLazyTx): the method's checks and calls to other services before
// that hold no transaction. On PostgreSQL a concurrent claim of the same key waits on the
// primary key until the first transaction ends, and on SQLite the one writer serialises
// them; the loser's transaction stops there (errClaimed, so none of its writes happen) and
// it answers from the winner's record. The claim, the method's writes and the response
// commit together; if the method fails, all roll back.
func (c *call) claim(ctx context.Context) error {
	// An expired record no longer answers: remove it so the key starts afresh.
	if _, err := c.db.Exec(ctx, `DELETE FROM kit_idempotency
WHERE method = $1 AND principal = $2 AND idem_key = $3 AND expires_us <= $4`,
		c.method, c.principal, c.key, c.now.UnixMicro()); err != nil {
		return fmt.Errorf("idempotency: drop expired: %w", err)
	}
	res, err := c.db.Exec(ctx, `INSERT INTO kit_idempotency
(method, principal, idem_key, fingerprint, created_us, expires_us) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (method, principal, idem_key) DO NOTHING`,
		c.method, c.principal, c.key, c.fp, c.now.UnixMicro(), c.now.Add(c.cfg.ttl).UnixMicro())
	if err != nil {
		return fmt.Errorf("idempotency: claim: %w", err)
	}
	claimed, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("idempotency: claim: %w", err)
	}
	if claimed == 0 {
		return errClaimed
	}
	return nil
}

// record keeps the method's response with the claim, in the call's transaction.
func (c *call) record(ctx context.Context, resp any) error {
	msg, ok := resp.(proto.Message)
	if !ok {
		return errs.ErrInternal.Wrap(fmt.Errorf("idempotency: %s returned %T, not a protobuf message", c.method, resp))
	}
	body, err := proto.Marshal(msg)
	if err != nil {
		return errs.ErrInternal.Wrap(fmt.Errorf("idempotency: marshal response: %w", err))
	}
	if _, err := c.db.Exec(ctx, `UPDATE kit_idempotency SET response = $4
WHERE method = $1 AND principal = $2 AND idem_key = $3`, c.method, c.principal, c.key, body); err != nil {
		return fmt.Errorf("idempotency: record response: %w", err)
	}
	return nil
}

// replay answers from the committed, unexpired record of an earlier call with the same
// key; found is false when there is none.
func (c *call) replay(ctx context.Context, m kit.Method) (resp any, found bool, err error) {
	var fp, body []byte
	err = c.db.QueryRow(ctx, `SELECT fingerprint, response FROM kit_idempotency
WHERE method = $1 AND principal = $2 AND idem_key = $3 AND expires_us > $4`,
		c.method, c.principal, c.key, c.now.UnixMicro()).Scan(&fp, &body)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("idempotency: read record: %w", err)
	}
	if !bytes.Equal(fp, c.fp) {
		return nil, true, ErrKeyReused
	}
	out := m.NewResponse()
	if err := proto.Unmarshal(body, out); err != nil {
		return nil, true, errs.ErrInternal.Wrap(fmt.Errorf("idempotency: stored response of %s: %w", c.method, err))
	}
	return out, true, nil
}

// Purge deletes the records that expired before before and reports how many. Run it now
// and then (a leader-elected sweeper); expired records no longer answer retries either way.
func Purge(ctx context.Context, db *sqlstore.DB, before time.Time) (int64, error) {
	res, err := db.Exec(ctx, `DELETE FROM kit_idempotency WHERE expires_us < $1`, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("idempotency: purge: %w", err)
	}
	return res.RowsAffected()
}
