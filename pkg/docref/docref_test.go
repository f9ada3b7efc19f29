package docref

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	documentsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/documents/v1"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name   string
		tenant tenancy.ID
		id     string
	}{
		{"tenants/ahz/documents/0123456789abcdef01234567", "ahz", "0123456789abcdef01234567"},
		{"tenants/ahz.s01.c01/documents/ID_1-a", "ahz.s01.c01", "ID_1-a"},
	} {
		ten, id, err := Parse("materials[0].document", c.name)
		require.NoError(t, err, c.name)
		require.Equal(t, c.tenant, ten)
		require.Equal(t, c.id, id)
		require.Equal(t, c.name, Name(ten, id))
	}
	for _, bad := range []string{
		"", "documents/x", "tenants/ahz/documents/", "tenants//documents/x", "tenants/AHZ/documents/x",
		"tenants/ahz..s01/documents/x", "tenants/ahz/documents/a/b", "tenants/ahz/documents/..",
		"tenants/ahz/files/x", "tenants/ahz/documents/x y", "/tenants/ahz/documents/x",
		"tenants/ahz/documents/" + strings.Repeat("a", 65),
	} {
		_, _, err := Parse("attachments[2]", bad)
		e := errs.From(err)
		require.Error(t, err, "%q", bad)
		require.Equal(t, errs.InvalidArgument, e.Kind, bad)
		require.Equal(t, []errs.FieldViolation{{Field: "attachments[2]", Code: InvalidCode,
			Description: "attachments[2] 应为文档名 tenants/{tenant}/documents/{id}"}}, e.Violations, bad)
	}
}

func TestErrorsAreStable(t *testing.T) {
	for _, c := range []struct {
		err  *errs.Error
		kind errs.Kind
		code string
		grpc codes.Code
	}{
		{ErrNotFound, errs.InvalidArgument, "DOCUMENT_NOT_FOUND", codes.InvalidArgument},
		{ErrUnavailable, errs.FailedPrecondition, "DOCUMENT_UNAVAILABLE", codes.FailedPrecondition},
		{ErrServiceDown, errs.Unavailable, "DOCUMENTS_UNAVAILABLE", codes.Unavailable},
	} {
		require.Equal(t, c.kind, c.err.Kind)
		require.Equal(t, c.code, c.err.Code)
		require.Equal(t, c.grpc, status.Code(c.err))
		require.NotEmpty(t, c.err.Message)
	}
}

// fakeDocuments answers GetDocument the way the documents service would for a few fixed
// names, and records the authorization each call carried.
type fakeDocuments struct {
	documentsv1.UnimplementedDocumentsServiceServer
	mu    sync.Mutex
	auth  []string
	block chan struct{} // "tenants/ahz/documents/slow" waits on it
}

func (f *fakeDocuments) GetDocument(ctx context.Context, r *documentsv1.GetDocumentRequest) (*documentsv1.Document, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.auth = append(f.auth, md.Get("authorization")...)
	f.mu.Unlock()
	switch r.GetName() {
	case "tenants/ahz/documents/ok":
		return &documentsv1.Document{Name: r.GetName(), State: documentsv1.State_STATE_AVAILABLE}, nil
	case "tenants/ahz/documents/deleted":
		return &documentsv1.Document{Name: r.GetName(), State: documentsv1.State_STATE_DELETED}, nil
	case "tenants/ahz/documents/infected":
		return &documentsv1.Document{Name: r.GetName(), State: documentsv1.State_STATE_INFECTED}, nil
	case "tenants/ahz/documents/forbidden":
		return nil, status.Error(codes.PermissionDenied, "no")
	case "tenants/ahz/documents/broken":
		return nil, status.Error(codes.Internal, "disk on fire")
	case "tenants/ahz/documents/slow":
		select {
		case <-f.block:
		case <-ctx.Done():
		}
		return nil, status.Error(codes.DeadlineExceeded, "late")
	}
	return nil, status.Error(codes.NotFound, "no such document")
}

func (f *fakeDocuments) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.auth)
}

func (f *fakeDocuments) lastAuth() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.auth) == 0 {
		return ""
	}
	return f.auth[len(f.auth)-1]
}

// serveFake serves fake on a loopback listener until the test ends.
func serveFake(t *testing.T, fake *fakeDocuments) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	documentsv1.RegisterDocumentsServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func TestChecker(t *testing.T) {
	fake := &fakeDocuments{block: make(chan struct{})}
	t.Cleanup(func() { close(fake.block) })
	c, err := Dial(serveFake(t, fake), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })

	// As a gRPC handler sees it: the caller's token in the incoming metadata.
	asCaller := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer caller"))
	for _, tc := range []struct {
		id   string
		code string // "" for usable
	}{
		{"ok", ""},
		{"missing", "DOCUMENT_NOT_FOUND"},
		{"forbidden", "DOCUMENT_NOT_FOUND"},
		{"deleted", "DOCUMENT_UNAVAILABLE"},
		{"infected", "DOCUMENT_UNAVAILABLE"},
		{"broken", "DOCUMENTS_UNAVAILABLE"},
	} {
		err := c.Check(asCaller, "materials[1].document", "tenants/ahz/documents/"+tc.id)
		require.Equal(t, "Bearer caller", fake.lastAuth(), tc.id)
		if tc.code == "" {
			require.NoError(t, err, tc.id)
			continue
		}
		e := errs.From(err)
		require.Equal(t, tc.code, e.Code, tc.id)
		require.Equal(t, []errs.FieldViolation{{Field: "materials[1].document", Code: tc.code,
			Description: "文档不可用: tenants/ahz/documents/" + tc.id}}, e.Violations, tc.id)
	}

	// A malformed reference never reaches the documents service.
	before := fake.calls()
	requireViolation(t, c.Check(asCaller, "attachments[0]", "documents/ok"), "attachments[0]", InvalidCode)
	require.Equal(t, before, fake.calls())

	// Over plain HTTP the token comes from WithBearer, and wins over any metadata.
	require.NoError(t, c.Check(WithBearer(t.Context(), "open311-key"), "attachments[0]", "tenants/ahz/documents/ok"))
	require.Equal(t, "Bearer open311-key", fake.lastAuth())
	require.NoError(t, c.Check(WithBearer(asCaller, "open311-key"), "attachments[0]", "tenants/ahz/documents/ok"))
	require.Equal(t, "Bearer open311-key", fake.lastAuth())

	// A caller that has already given up does not make the service look down...
	gone, cancel := context.WithCancel(asCaller)
	cancel()
	require.NoError(t, c.Check(gone, "attachments[0]", "tenants/ahz/documents/ok"))

	// ...but a service that does not answer in time does.
	c.timeout = 100 * time.Millisecond
	start := time.Now()
	err = c.Check(asCaller, "attachments[0]", "tenants/ahz/documents/slow")
	require.True(t, errors.Is(err, ErrServiceDown), "%v", err)
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestNilCheckerChecksFormOnly(t *testing.T) {
	c, err := Dial("", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Nil(t, c)
	require.NoError(t, c.Close())
	require.NoError(t, c.Check(t.Context(), "commitment_document", "tenants/ahz/documents/anything"))
	requireViolation(t, c.Check(t.Context(), "commitment_document", "tenants/ahz/applications/x"), "commitment_document", InvalidCode)
}

// A check inside a SQL transaction is refused before any call goes out, with or without
// a documents service; outside one the same check goes through.
func TestCheckRefusesInsideATransaction(t *testing.T) {
	fake := &fakeDocuments{block: make(chan struct{})}
	t.Cleanup(func() { close(fake.block) })
	c, err := Dial(serveFake(t, fake), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	db, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })

	const doc = "tenants/ahz/documents/ok"
	require.NoError(t, db.InTx(t.Context(), func(ctx context.Context) error {
		for _, checker := range []*Checker{c, nil} {
			err := checker.Check(ctx, "attachments[0]", doc)
			require.ErrorIs(t, err, ErrInTransaction)
			require.Equal(t, errs.Internal, errs.From(err).Kind)
		}
		return nil
	}))
	require.Zero(t, fake.calls())

	// A lazy transaction that has not opened holds nothing: checks belong there.
	require.NoError(t, db.InLazyTx(t.Context(), nil, func(ctx context.Context) error {
		require.NoError(t, c.Check(ctx, "attachments[0]", doc))
		return db.InTx(ctx, func(ctx context.Context) error {
			require.ErrorIs(t, c.Check(ctx, "attachments[0]", doc), ErrInTransaction)
			return nil
		})
	}))
	require.Equal(t, 1, fake.calls())
}

func requireViolation(t *testing.T, err error, field, code string) {
	t.Helper()
	e := errs.From(err)
	require.NotNil(t, e)
	require.Equal(t, errs.InvalidArgument, e.Kind)
	require.Len(t, e.Violations, 1)
	require.Equal(t, field, e.Violations[0].Field)
	require.Equal(t, code, e.Violations[0].Code)
}
