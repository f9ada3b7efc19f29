package tickets

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
	ticketsv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/tickets/v1"
)

// TestAuditTrailForDiscipline: the discipline commission (纪工委) reads and verifies the
// tickets service's audit trail within its subtree and nowhere else; a handler reads none
// of it; a chain rewritten behind the database's guard is reported.
func TestAuditTrailForDiscipline(t *testing.T) {
	t.Parallel()
	h := startHarness(t, testenv.SQLite(t))
	const (
		discipline    = "u-discipline"     // 纪工委 at the district
		streetDiscipl = "u-discipline-s01" // 纪工委 of street ahz.s01
	)
	h.tokens[discipline] = h.env.Grant(t, discipline, "discipline", district, authn.Staff)
	h.tokens[streetDiscipl] = h.env.Grant(t, streetDiscipl, "discipline", "ahz.s01", authn.Staff)
	list := func(sub string, r *commonv1.ListAuditRecordsRequest) (*commonv1.ListAuditRecordsResponse, error) {
		return h.client.ListAuditRecords(h.as(sub), r)
	}
	require.Eventually(t, func() bool {
		_, err := list(streetDiscipl, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01"})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)

	// Two tickets received at street ahz.s01, one at its sibling.
	start := h.clock.Now()
	var mine []*ticketsv1.Ticket
	for _, ext := range []string{"A-1", "A-2"} {
		tk, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s01", Ticket: hotlineTicket(ext)})
		require.NoError(t, err)
		mine = append(mine, tk)
		h.clock.Set(h.clock.Now().Add(time.Second)) // records of one instant have no order
	}
	_, err := h.client.CreateTicket(h.as(hotline), &ticketsv1.CreateTicketRequest{Parent: "tenants/ahz.s02", Ticket: hotlineTicket("B-1")})
	require.NoError(t, err)

	// The district's commission reads the street's trail, by resource, actor and time.
	all, err := list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01"})
	require.NoError(t, err)
	require.Len(t, all.GetRecords(), 2)
	require.Equal(t, mine[1].GetName(), all.GetRecords()[0].GetResource(), "newest first")
	for _, r := range all.GetRecords() {
		require.Equal(t, "tickets.CreateTicket", r.GetAction())
		require.Equal(t, hotline, r.GetActor())
		require.NotContains(t, r.String(), "张三丰", "records carry digests, not personal data")
	}
	one, err := list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01", Resource: mine[0].GetName()})
	require.NoError(t, err)
	require.Len(t, one.GetRecords(), 1)
	none, err := list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01", Actor: center})
	require.NoError(t, err)
	require.Empty(t, none.GetRecords())
	inRange, err := list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01", Actor: hotline,
		StartTime: timestamppb.New(start.Add(-time.Minute)), EndTime: timestamppb.New(start.Add(time.Minute))})
	require.NoError(t, err)
	require.Len(t, inRange.GetRecords(), 2)
	later, err := list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01", StartTime: timestamppb.New(start.Add(time.Second))})
	require.NoError(t, err)
	require.Len(t, later.GetRecords(), 1)
	require.Equal(t, mine[1].GetName(), later.GetRecords()[0].GetResource())
	page1, err := list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01", PageSize: 1})
	require.NoError(t, err)
	require.Len(t, page1.GetRecords(), 1)
	page2, err := list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01", PageSize: 1, PageToken: page1.GetNextPageToken()})
	require.NoError(t, err)
	require.Equal(t, mine[0].GetName(), page2.GetRecords()[0].GetResource())
	_, err = list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01", PageSize: 1, PageToken: page1.GetNextPageToken(), Actor: hotline})
	apptest.RequireCode(t, err, codes.InvalidArgument, "INVALID_PAGE_TOKEN")
	_, err = list(discipline, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01",
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(-time.Hour))})
	apptest.RequireField(t, err, "end_time", "INVALID_TIME_RANGE")

	rep, err := h.client.VerifyAuditChain(h.as(discipline), &commonv1.VerifyAuditChainRequest{Parent: "tenants/ahz.s01"})
	require.NoError(t, err)
	require.True(t, rep.GetOk())
	require.EqualValues(t, 2, rep.GetRecords())
	require.EqualValues(t, 2, rep.GetHeadSequence())
	// So does the supervisor (营商监督员), over HTTP too.
	code, body := h.get(overseer, "/v1/tenants/ahz.s01/auditRecords?actor="+url.QueryEscape(hotline))
	require.Equal(t, http.StatusOK, code, string(body))
	var got commonv1.ListAuditRecordsResponse
	require.NoError(t, protojson.Unmarshal(body, &got))
	require.Len(t, got.GetRecords(), 2)
	code, body = h.get(overseer, "/v1/tenants/ahz.s01/auditRecords:verify")
	require.Equal(t, http.StatusOK, code, string(body))
	require.Contains(t, string(body), `"ok":true`)

	// Nowhere outside the subtree, and not at all without the permission.
	refused := []struct {
		name, sub, parent string
	}{
		{"a street's commission at its sibling", streetDiscipl, "tenants/ahz.s02"},
		{"a street's commission at the district above", streetDiscipl, "tenants/ahz"},
		{"a handler at its own tenant", community, "tenants/ahz.s01.c01"},
		{"a street handler at its street", street, "tenants/ahz.s01"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			_, err := list(r.sub, &commonv1.ListAuditRecordsRequest{Parent: r.parent})
			apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
			_, err = h.client.VerifyAuditChain(h.as(r.sub), &commonv1.VerifyAuditChainRequest{Parent: r.parent})
			apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
		})
	}
	code, body = h.get(streetDiscipl, "/v1/tenants/ahz.s02/auditRecords")
	require.Equal(t, http.StatusForbidden, code, string(body))
	own, err := list(streetDiscipl, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz.s01"})
	require.NoError(t, err)
	require.Len(t, own.GetRecords(), 2)

	// Someone who can drop the append-only guard rewrites the first record's actor: the
	// commission's verification says where.
	db := h.srv.svc.db
	ctx := context.Background()
	for _, q := range []string{`DROP TRIGGER IF EXISTS audit_records_no_update`, `DROP TRIGGER IF EXISTS audit_records_no_delete`} {
		require.Equal(t, sqlstore.SQLite, db.Dialect())
		_, err := db.Exec(ctx, q)
		require.NoError(t, err)
	}
	_, err = db.Exec(ctx, `UPDATE audit_records SET actor = $1 WHERE tenant = $2 AND sequence = 1`, center, "ahz.s01")
	require.NoError(t, err)
	rep, err = h.client.VerifyAuditChain(h.as(discipline), &commonv1.VerifyAuditChainRequest{Parent: "tenants/ahz.s01"})
	require.NoError(t, err)
	require.False(t, rep.GetOk())
	require.Len(t, rep.GetProblems(), 1)
	require.EqualValues(t, 1, rep.GetProblems()[0].GetSequence())
	require.Equal(t, "modified", rep.GetProblems()[0].GetKind())
	other, err := h.client.VerifyAuditChain(h.as(discipline), &commonv1.VerifyAuditChainRequest{Parent: "tenants/ahz.s02"})
	require.NoError(t, err)
	require.True(t, other.GetOk(), "each tenant has its own chain")
}
