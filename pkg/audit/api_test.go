package audit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	commonv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/common/v1"
)

// TestAPIFiltersAndVerifies: the audit API every service serves selects by resource,
// actor and time on both engines, refuses malformed requests, and verifies a chain.
func TestAPIFiltersAndVerifies(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		ctx := testCtx(t)
		api := audit.API{DB: db}
		t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
		for i, e := range []audit.Entry{
			{Actor: "u-a", Resource: "tenants/ahz/tickets/T-1"},
			{Actor: "u-b", Resource: "tenants/ahz/tickets/T-1"},
			{Actor: "u-a", Resource: "tenants/ahz/tickets/T-2"},
			{Actor: "u-b", Resource: "tenants/ahz/tickets/T-2"},
		} {
			e.Tenant, e.Action, e.Time = "ahz", "ticket.update", t0.Add(time.Duration(i)*time.Hour)
			_, err := record(ctx, db, e)
			require.NoError(t, err)
		}
		seqs := func(r *commonv1.ListAuditRecordsRequest) []int64 {
			t.Helper()
			r.Parent = "tenants/ahz"
			resp, err := api.ListAuditRecords(ctx, r)
			require.NoError(t, err)
			var out []int64
			for _, rec := range resp.GetRecords() {
				out = append(out, rec.GetSequence())
			}
			return out
		}
		require.Equal(t, []int64{4, 3, 2, 1}, seqs(&commonv1.ListAuditRecordsRequest{}))
		require.Equal(t, []int64{3, 1}, seqs(&commonv1.ListAuditRecordsRequest{Actor: "u-a"}))
		require.Equal(t, []int64{4}, seqs(&commonv1.ListAuditRecordsRequest{Actor: "u-b", Resource: "tenants/ahz/tickets/T-2"}))
		require.Equal(t, []int64{3, 2}, seqs(&commonv1.ListAuditRecordsRequest{
			StartTime: timestamppb.New(t0.Add(time.Hour)), EndTime: timestamppb.New(t0.Add(3 * time.Hour))}))
		require.Equal(t, []int64{2}, seqs(&commonv1.ListAuditRecordsRequest{Actor: "u-b", EndTime: timestamppb.New(t0.Add(3 * time.Hour))}))

		bad := []struct {
			req   *commonv1.ListAuditRecordsRequest
			field string
			code  string
		}{
			{&commonv1.ListAuditRecordsRequest{Parent: "ahz"}, "parent", "INVALID_PARENT"},
			{&commonv1.ListAuditRecordsRequest{Parent: "tenants/AHZ;--"}, "parent", "INVALID_PARENT"},
			{&commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz", EndTime: &timestamppb.Timestamp{Nanos: -1}}, "end_time", "INVALID_TIME"},
			{&commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz", StartTime: timestamppb.New(t0), EndTime: timestamppb.New(t0)}, "end_time", "INVALID_TIME_RANGE"},
			{&commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz", Actor: string(make([]byte, 513))}, "actor", "INVALID_FILTER"},
		}
		for _, b := range bad {
			_, err := api.ListAuditRecords(ctx, b.req)
			e := errs.From(err)
			require.Equal(t, errs.InvalidArgument, e.Kind, "%v", err)
			require.Equal(t, b.code, e.Violations[0].Code, "%v", err)
			require.Equal(t, b.field, e.Violations[0].Field)
		}
		_, err := api.ListAuditRecords(ctx, &commonv1.ListAuditRecordsRequest{Parent: "tenants/ahz", PageSize: -1})
		require.Equal(t, errs.InvalidArgument, errs.From(err).Kind)

		rep, err := api.VerifyAuditChain(ctx, &commonv1.VerifyAuditChainRequest{Parent: "tenants/ahz"})
		require.NoError(t, err)
		require.True(t, rep.GetOk())
		require.EqualValues(t, 4, rep.GetRecords())
		require.Equal(t, "tenants/ahz", rep.GetParent())
		_, err = api.VerifyAuditChain(ctx, &commonv1.VerifyAuditChainRequest{Parent: "tenants/"})
		require.Equal(t, errs.InvalidArgument, errs.From(err).Kind)
	})
}
