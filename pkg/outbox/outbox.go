package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// VersionTable is the goose version table of this package's migrations, apart from the
// service's own history.
const VersionTable = "outbox_db_version"

// Migrations are this package's goose migrations, files at the root.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Migrate creates or upgrades the outbox tables in db. A service that sends events calls
// it once at start, after sqlstore.Open.
func Migrate(ctx context.Context, db *sqlstore.DB) error {
	return db.Migrate(ctx, VersionTable, Migrations())
}

// MaxPayload bounds an event's payload; receivers read at most this much.
const MaxPayload = 1 << 20

// Event is something to tell one receiver.
type Event struct {
	Tenant tenancy.ID
	// Topic names what happened, e.g. "legalaid.case.status_changed"; sent as
	// X-Gaoxing-Event.
	Topic string
	// Key makes Add idempotent: a second event with the same tenant, receiver and key is
	// not added (a sweeper that runs twice after a leader change sends one reminder). ""
	// means no key.
	Key string
	// Receiver names the endpoint, resolved by the Dispatcher's Sender (for webhooks, by
	// Endpoints), so no URL or secret is stored with the event.
	Receiver string
	// Payload is the JSON body.
	Payload []byte
}

// State is where an event is in its life.
type State string

// The states.
const (
	Pending   State = "pending"   // waiting for its first or next try
	Delivered State = "delivered" // the receiver acknowledged it
	Dead      State = "dead"      // tries exhausted or refused for good; kept until requeued
)

// Errors of this package.
var (
	ErrInvalidEvent = errs.New(errs.InvalidArgument, "OUTBOX_INVALID_EVENT", "待发送事件不完整或格式不正确")
	ErrNotDead      = errs.New(errs.FailedPrecondition, "OUTBOX_NOT_DEAD", "只有死信事件可以重新排队")
)

// ErrNoTransaction is an Add made without a transaction of its database in ctx: an
// event stored apart from its change could announce a change that rolled back. It is a
// bug of the caller, so callers see INTERNAL.
var ErrNoTransaction = errors.New("outbox: Add needs the change's transaction: call it inside sqlstore InTx")

// Add stores ev for delivery inside the transaction in ctx (sqlstore InTx), so the event
// and its change commit or roll back together, and returns its delivery id; without a
// transaction it stores nothing and returns ErrNoTransaction. If an event with the same
// tenant, receiver and non-empty key exists, nothing is added and its id is returned.
func Add(ctx context.Context, db *sqlstore.DB, ev Event) (string, error) {
	if err := ev.validate(); err != nil {
		return "", err
	}
	if !db.HasTx(ctx) {
		return "", ErrNoTransaction
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("outbox: delivery id: %w", err)
	}
	key := ev.Key
	if key == "" {
		key = "id:" + id.String() // unique, so the unique index never joins unrelated events
	} else {
		key = "k:" + key
	}
	now := time.Now().UnixMicro()
	res, err := db.Exec(ctx, `INSERT INTO outbox_events
		(id, tenant, topic, event_key, receiver, payload, status, attempts, next_attempt_us,
		 claim_token, claim_until_us, last_error, created_us, delivered_us)
		VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, '', 0, '', $7, 0)
		ON CONFLICT (tenant, receiver, event_key) DO NOTHING`,
		id.String(), string(ev.Tenant), ev.Topic, key, ev.Receiver, ev.Payload, now)
	if err != nil {
		return "", fmt.Errorf("outbox: add: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", fmt.Errorf("outbox: add: %w", err)
	} else if n == 1 {
		return id.String(), nil
	}
	var existing string
	if err := db.QueryRow(ctx, `SELECT id FROM outbox_events WHERE tenant = $1 AND receiver = $2 AND event_key = $3`,
		string(ev.Tenant), ev.Receiver, key).Scan(&existing); err != nil {
		return "", fmt.Errorf("outbox: add: find existing: %w", err)
	}
	return existing, nil
}

func (ev Event) validate() error {
	bad := func(field, desc string) error {
		return ErrInvalidEvent.WithField(field, ErrInvalidEvent.Code, desc)
	}
	switch {
	case !ev.Tenant.Valid():
		return bad("tenant", "租户标识格式不正确")
	case ev.Topic == "" || len(ev.Topic) > 200:
		return bad("topic", "事件类型不能为空且不超过 200 字节")
	case ev.Receiver == "" || len(ev.Receiver) > 200:
		return bad("receiver", "接收方不能为空且不超过 200 字节")
	case len(ev.Key) > 500:
		return bad("key", "幂等键不超过 500 字节")
	case len(ev.Payload) > MaxPayload:
		return bad("payload", "事件内容超过 1 MiB")
	case !json.Valid(ev.Payload):
		return bad("payload", "事件内容须为 JSON")
	}
	return nil
}

// Status is an event as stored, for operators and tests.
type Status struct {
	ID          string
	Tenant      tenancy.ID
	Topic       string
	Receiver    string
	State       State
	Attempts    int
	LastError   string
	Created     time.Time
	NextAttempt time.Time // when pending: not before
	Delivered   time.Time // zero until delivered
}

const statusColumns = `id, tenant, topic, receiver, status, attempts, last_error, created_us, next_attempt_us, delivered_us`

func scanStatus(scan func(...any) error) (Status, error) {
	var (
		s                        Status
		tenant, state            string
		created, next, delivered int64
	)
	if err := scan(&s.ID, &tenant, &s.Topic, &s.Receiver, &state, &s.Attempts, &s.LastError, &created, &next, &delivered); err != nil {
		return Status{}, err
	}
	s.Tenant, s.State = tenancy.ID(tenant), State(state)
	s.Created, s.NextAttempt = time.UnixMicro(created), time.UnixMicro(next)
	if delivered != 0 {
		s.Delivered = time.UnixMicro(delivered)
	}
	return s, nil
}

// Get returns the event with delivery id id (sqlstore.ErrNotFound when there is none).
func Get(ctx context.Context, db *sqlstore.DB, id string) (Status, error) {
	s, err := scanStatus(db.QueryRow(ctx, `SELECT `+statusColumns+` FROM outbox_events WHERE id = $1`, id).Scan)
	if err != nil {
		return Status{}, fmt.Errorf("outbox: get %s: %w", id, err)
	}
	return s, nil
}

// ListDead returns up to limit dead events of receiver ("" for all), oldest first.
func ListDead(ctx context.Context, db *sqlstore.DB, receiver string, limit int) ([]Status, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if receiver == "" {
		rows, err = db.Query(ctx, `SELECT `+statusColumns+` FROM outbox_events
			WHERE status = 'dead' ORDER BY created_us, id LIMIT $1`, limit)
	} else {
		rows, err = db.Query(ctx, `SELECT `+statusColumns+` FROM outbox_events
			WHERE status = 'dead' AND receiver = $1 ORDER BY created_us, id LIMIT $2`, receiver, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: list dead: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Status
	for rows.Next() {
		s, err := scanStatus(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("outbox: list dead: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Requeue gives a dead event a fresh set of tries, due now, with the same delivery id
// (after the receiver's endpoint has been fixed). Its last error is kept until the next
// try. An event that is not dead is ErrNotDead.
func Requeue(ctx context.Context, db *sqlstore.DB, id string) error {
	res, err := db.Exec(ctx, `UPDATE outbox_events
		SET status = 'pending', attempts = 0, next_attempt_us = $2, claim_token = '', claim_until_us = 0
		WHERE id = $1 AND status = 'dead'`, id, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("outbox: requeue %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("outbox: requeue %s: %w", id, err)
	} else if n == 0 {
		return ErrNotDead.WithMessage("事件 %s 不是死信，不能重新排队", id)
	}
	return nil
}

// Purge deletes delivered events delivered before before and returns how many; dead and
// pending events are never purged.
func Purge(ctx context.Context, db *sqlstore.DB, before time.Time) (int64, error) {
	res, err := db.Exec(ctx, `DELETE FROM outbox_events WHERE status = 'delivered' AND delivered_us < $1`, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("outbox: purge: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, errors.Join(errors.New("outbox: purge"), err)
	}
	return n, nil
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
