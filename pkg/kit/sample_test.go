package kit_test

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/idempotency"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/page"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	samplev1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/sample/v1"
)

// The sample service: the shape every Gaoxing service has (service logic, SQL store,
// registration from the contract), small enough to read in one sitting.

var errNoteNotFound = errs.New(errs.NotFound, "NOTE_NOT_FOUND", "便签不存在")

//go:embed testdata/migrations/*.sql
var migrations embed.FS

// notes is the business logic. With a peer it forwards creates to it over gRPC, so tests
// can follow one trace across a hop.
type notes struct {
	db   *sqlstore.DB
	peer samplev1.NotesServiceClient
}

func parseParent(parent string) (tenancy.ID, error) {
	t, ok := strings.CutPrefix(parent, "tenants/")
	id, err := tenancy.Parse(t)
	if !ok || err != nil {
		return "", errs.Invalid("parent", "INVALID_PARENT", "parent 应为 tenants/{tenant}")
	}
	return id, nil
}

func (n *notes) CreateNote(ctx context.Context, r *samplev1.CreateNoteRequest) (*samplev1.Note, error) {
	tenant, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	text := r.GetNote().GetText()
	if l := utf8.RuneCountInString(text); l == 0 || l > 200 {
		return nil, errs.Invalid("note.text", "LENGTH", "便签内容应为 1 到 200 个字")
	}
	if n.peer != nil {
		return n.peer.CreateNote(ctx, r)
	}
	seq, err := n.db.NextSeq(ctx, "notes/"+string(tenant))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	note := &samplev1.Note{
		Name:       fmt.Sprintf("tenants/%s/notes/N%06d", tenant, seq),
		Text:       text,
		CreateTime: timestamppb.New(now),
		TraceId:    trace.SpanContextFromContext(ctx).TraceID().String(),
	}
	_, err = n.db.Exec(ctx, `INSERT INTO notes (tenant, id, text, create_time, trace_id) VALUES ($1, $2, $3, $4, $5)`,
		string(tenant), fmt.Sprintf("N%06d", seq), text, now.UnixMicro(), note.TraceId)
	return note, err
}

func (n *notes) GetNote(ctx context.Context, r *samplev1.GetNoteRequest) (*samplev1.Note, error) {
	parent, id, ok := strings.Cut(r.GetName(), "/notes/")
	tenant, err := parseParent(parent)
	if !ok || err != nil {
		return nil, errs.Invalid("name", "INVALID_NAME", "name 应为 tenants/{tenant}/notes/{note}")
	}
	note := &samplev1.Note{Name: r.GetName()}
	var micros int64
	err = n.db.QueryRow(ctx, `SELECT text, create_time, trace_id FROM notes WHERE tenant = $1 AND id = $2`, string(tenant), id).
		Scan(&note.Text, &micros, &note.TraceId)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get %s: %w", r.GetName(), errNoteNotFound)
	}
	if err != nil {
		return nil, err
	}
	note.CreateTime = timestamppb.New(time.UnixMicro(micros))
	return note, nil
}

func (n *notes) ListNotes(ctx context.Context, r *samplev1.ListNotesRequest) (*samplev1.ListNotesResponse, error) {
	tenant, err := parseParent(r.GetParent())
	if err != nil {
		return nil, err
	}
	size, err := page.Size(r.GetPageSize(), 20, 100)
	if err != nil {
		return nil, err
	}
	query := page.Hash("notes", string(tenant))
	after, err := page.Decode(r.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	rows, err := n.db.Query(ctx, `SELECT id, text, create_time, trace_id FROM notes WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3`,
		string(tenant), after, size+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	resp := &samplev1.ListNotesResponse{}
	for rows.Next() {
		var id string
		var micros int64
		note := &samplev1.Note{}
		if err := rows.Scan(&id, &note.Text, &micros, &note.TraceId); err != nil {
			return nil, err
		}
		if len(resp.Notes) == size {
			last := resp.Notes[size-1].GetName()
			resp.NextPageToken = page.Encode(last[len(last)-7:], query)
			break
		}
		note.Name = fmt.Sprintf("tenants/%s/notes/%s", tenant, id)
		note.CreateTime = timestamppb.New(time.UnixMicro(micros))
		resp.Notes = append(resp.Notes, note)
	}
	return resp, rows.Err()
}

func (n *notes) Ping(context.Context, *samplev1.PingRequest) (*samplev1.PingResponse, error) {
	return &samplev1.PingResponse{}, nil
}

// newSample wires the sample service the way a service's New does.
func newSample(ctx context.Context, dsn string, peer samplev1.NotesServiceClient) (*kit.Service, *sqlstore.DB, error) {
	sub, err := fs.Sub(migrations, "testdata/migrations")
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlstore.Open(ctx, dsn, sub)
	if err != nil {
		return nil, nil, err
	}
	impl := &notes{db: db, peer: peer}
	svc := kit.New("sample", kit.WithMiddleware(idempotency.Middleware(db)))
	err = kit.Register(ctx, svc, impl, samplev1.NotesService_ServiceDesc.ServiceName,
		samplev1.NewNotesServiceClient, samplev1.RegisterNotesServiceHandlerClient)
	if err != nil {
		return nil, nil, err
	}
	svc.Health().Add("sql", db.Ping)
	return svc, db, nil
}
