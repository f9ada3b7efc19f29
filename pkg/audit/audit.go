package audit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// VersionTable is the goose version table of this package's migrations, apart from the
// service's own history.
const VersionTable = "audit_db_version"

// Migrations are this package's goose migrations, files at the root.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Migrate creates or upgrades the audit tables in db and the triggers that keep
// audit_records append-only. A service that records audit calls it once at start, after
// sqlstore.Open; replicas starting together are serialised by sqlstore.
func Migrate(ctx context.Context, db *sqlstore.DB) error {
	if err := db.Migrate(ctx, VersionTable, Migrations()); err != nil {
		return err
	}
	return guard(ctx, db)
}

// Entry is one state change to record.
type Entry struct {
	Tenant tenancy.ID
	// Actor is the subject of the principal that made the change; "" takes the principal
	// in ctx (package authn). Background work names itself, e.g. "system:sla-sweeper".
	Actor string
	// Action is "<service>.<Method>" or a domain verb such as "ticket.claim".
	Action string
	// Resource is the AIP resource name, e.g. "tenants/ahz/tickets/T-20261125-000123".
	Resource string
	// Before and After are the resource's snapshots; only their digests are kept (see
	// Digest). Nil means absent: nothing before a create, nothing after a delete.
	Before, After any
	// TraceID defaults to the trace of the span in ctx.
	TraceID string
	// Time defaults to now.
	Time time.Time
}

// ErrNoTransaction is a Record made without a transaction of its database in ctx: a
// record written apart from its change could outlive a change that rolled back, or be
// missing from one that committed. It is a bug of the caller, so callers see INTERNAL.
var ErrNoTransaction = errors.New("audit: Record needs the change's transaction: call it inside sqlstore InTx")

// Record writes e inside the transaction in ctx (sqlstore InTx), so the change and its
// record commit or roll back together; without one it writes nothing and returns
// ErrNoTransaction. It returns the record as written: not yet chained (Sequence 0, no
// hashes).
//
// The record is chained by the next Seal: the service's Sealer runs one soon after the
// transaction commits when the record was written through it (Sealer.Record), and List
// and Verify seal before they read. Chaining apart from the change keeps one
// tenant's writers from queueing on the tenant's head row; a record is durable from its
// change's commit, and a crash before Seal leaves it waiting, never lost.
func Record(ctx context.Context, db *sqlstore.DB, e Entry) (*commonv1.AuditRecord, error) {
	if !db.HasTx(ctx) {
		return nil, ErrNoTransaction
	}
	rec, err := e.record(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(ctx, `INSERT INTO audit_pending
		(id, tenant, time_us, actor, action, resource, before_digest, after_digest, trace_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		rand.Text(), rec.GetTenant(), rec.GetTime().AsTime().UnixMicro(), rec.GetActor(), rec.GetAction(),
		rec.GetResource(), rec.GetBeforeDigest(), rec.GetAfterDigest(), rec.GetTraceId(),
	); err != nil {
		return nil, fmt.Errorf("audit: record: %w", err)
	}
	return rec, nil
}

// record validates e and fills what can be known before the chain is read.
func (e Entry) record(ctx context.Context) (*commonv1.AuditRecord, error) {
	if !e.Tenant.Valid() {
		return nil, fmt.Errorf("audit: invalid tenant %q", e.Tenant)
	}
	if e.Actor == "" {
		if p, ok := authn.FromContext(ctx); ok {
			e.Actor = p.Subject
		}
	}
	switch {
	case e.Actor == "":
		return nil, errors.New("audit: no actor: set Entry.Actor or call with a principal in ctx")
	case e.Action == "":
		return nil, errors.New("audit: empty action")
	case e.Resource == "":
		return nil, errors.New("audit: empty resource")
	}
	before, err := Digest(e.Before)
	if err != nil {
		return nil, fmt.Errorf("audit: before: %w", err)
	}
	after, err := Digest(e.After)
	if err != nil {
		return nil, fmt.Errorf("audit: after: %w", err)
	}
	if e.TraceID == "" {
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			e.TraceID = sc.TraceID().String()
		}
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	return &commonv1.AuditRecord{
		Tenant:       string(e.Tenant),
		Time:         timestamppb.New(time.UnixMicro(e.Time.UnixMicro())), // stored to the microsecond
		Actor:        e.Actor,
		Action:       e.Action,
		Resource:     e.Resource,
		BeforeDigest: before,
		AfterDigest:  after,
		TraceId:      e.TraceID,
	}, nil
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// Digest is the SHA-256 (hex) of a snapshot as Record stores it: "" for nil; a []byte or
// json.RawMessage as is; a proto message in its deterministic binary form; anything else
// as encoding/json writes it (struct fields in declaration order, map keys sorted).
func Digest(v any) (string, error) {
	var b []byte
	switch v := v.(type) {
	case nil:
		return "", nil
	case []byte:
		b = v
	case json.RawMessage:
		b = v
	case proto.Message:
		var err error
		if b, err = deterministic.Marshal(v); err != nil {
			return "", err
		}
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return "", err
		}
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// hashDomain starts every hashed encoding, so a record hash can never equal the hash of
// some other structure, and a future encoding can be told apart.
const hashDomain = "gaoxing.audit.v1"

// Hash is the hash of rec (hex SHA-256). The encoding, stable across releases so that
// anyone can check a chain without Gaoxing's code: the bytes "gaoxing.audit.v1", then in
// this order tenant, sequence, time, actor, action, resource, before_digest,
// after_digest, trace_id, prev_hash, each string as its byte length (8 bytes big-endian)
// then its UTF-8 bytes, sequence and time (Unix microseconds UTC) as 8 bytes big-endian
// two's complement. rec.Hash itself is not covered.
func Hash(rec *commonv1.AuditRecord) string {
	h := sha256.New()
	var n [8]byte
	str := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	h.Write([]byte(hashDomain))
	str(rec.GetTenant())
	num(rec.GetSequence())
	num(rec.GetTime().AsTime().UnixMicro())
	str(rec.GetActor())
	str(rec.GetAction())
	str(rec.GetResource())
	str(rec.GetBeforeDigest())
	str(rec.GetAfterDigest())
	str(rec.GetTraceId())
	str(rec.GetPrevHash())
	return hex.EncodeToString(h.Sum(nil))
}
