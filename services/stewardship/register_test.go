package stewardship

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	stewardshipv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/stewardship/v1"
)

// The register: a dry run reports and stores nothing; an import creates; the same file
// again changes nothing; a changed field is an update that says which; a change of
// history is refused as a whole; contacts are sealed at rest and masked; an enterprise
// reads its own record (with its steward) and no other. Both engines.
func TestRegisterImport(t *testing.T) {
	t.Parallel()
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		file := []*stewardshipv1.Enterprise{ent(1, "ahz.s01.c01"), ent(2, "ahz.s01.c01"), ent(3, "ahz.s02.c01")}
		dry, err := h.client.ImportEnterprises(h.as(steward), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/ahz", Enterprises: file, DryRun: true})
		require.NoError(t, err)
		require.Equal(t, int32(3), dry.GetCreated())
		require.True(t, dry.GetDryRun())
		require.Zero(t, h.count(`SELECT COUNT(*) FROM enterprises`))

		first := h.register(file...)
		require.Equal(t, int32(3), first.GetCreated())
		again := h.register(file...)
		require.Equal(t, []int32{0, 0, 3}, []int32{again.GetCreated(), again.GetUpdated(), again.GetUnchanged()})
		require.Empty(t, again.GetChanges())

		changed := ent(2, "ahz.s01.c01")
		changed.Industry, changed.ScaleTags = "软件和信息技术服务业", []string{"瞪羚", "规上"}
		upd := h.register(ent(1, "ahz.s01.c01"), changed)
		require.Equal(t, int32(1), upd.GetUpdated())
		require.Equal(t, []string{"industry", "scale_tags"}, upd.GetChanges()[0].GetFields())

		// History: a registration date or a tenant an import would change refuses it all.
		audits := h.count(`SELECT COUNT(*) FROM audit_records`) + h.count(`SELECT COUNT(*) FROM audit_pending`)
		rewrite := ent(1, "ahz.s01.c01")
		rewrite.RegistrationDate = "2021-01-01"
		also := ent(4, "ahz.s01.c02")
		_, err = h.client.ImportEnterprises(h.as(steward), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/ahz", Enterprises: []*stewardshipv1.Enterprise{also, rewrite}})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "HISTORY_REWRITE")
		moved := ent(3, "ahz.s01.c03")
		_, err = h.client.ImportEnterprises(h.as(steward), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/ahz", Enterprises: []*stewardshipv1.Enterprise{moved}})
		apptest.RequireCode(t, err, codes.FailedPrecondition, "HISTORY_REWRITE")
		require.Equal(t, 3, h.count(`SELECT COUNT(*) FROM enterprises`))
		require.Equal(t, audits, h.count(`SELECT COUNT(*) FROM audit_records`)+h.count(`SELECT COUNT(*) FROM audit_pending`))

		// Bad input: a credit code with a wrong check character; outside the subtree.
		bad := ent(5, "ahz.s01.c01")
		bad.CreditCode, bad.Name = bad.GetCreditCode()[:17]+"0", ""
		if bad.GetCreditCode() == cc(5) {
			bad.CreditCode = bad.GetCreditCode()[:17] + "1"
		}
		_, err = h.client.ImportEnterprises(h.as(steward), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/ahz", Enterprises: []*stewardshipv1.Enterprise{bad}})
		apptest.RequireField(t, err, "enterprises[0].credit_code", "INVALID_CREDIT_CODE")
		_, err = h.client.ImportEnterprises(h.as(streetStew), &stewardshipv1.ImportEnterprisesRequest{Parent: "tenants/ahz.s02", Enterprises: []*stewardshipv1.Enterprise{ent(6, "ahz.s01.c01")}})
		apptest.RequireField(t, err, "enterprises[0].name", "OUTSIDE_SUBTREE")

		// Sealed at rest, masked in answers.
		var raw string
		require.NoError(t, h.srv.svc.db.QueryRow(t.Context(), `SELECT contacts FROM enterprises WHERE credit_code = $1`, cc(1)).Scan(&raw))
		require.NotContains(t, raw, "13912345678")
		require.NotContains(t, raw, "王小明")
		got, err := h.client.GetEnterprise(h.as(steward), &stewardshipv1.GetEnterpriseRequest{Name: enterpriseName("ahz.s01.c01", cc(1))})
		require.NoError(t, err)
		require.Equal(t, "139****5678", got.GetContacts()[0].GetPhone())
		require.NotEqual(t, "王小明", got.GetContacts()[0].GetName())

		// The enterprise sees its own record and its steward; another's is not found.
		_, err = h.client.AssignSteward(h.as(steward), &stewardshipv1.AssignStewardRequest{Name: got.GetName(),
			Kind: stewardshipv1.StewardKind_STEWARD_KIND_ENTERPRISE, Steward: steward, StewardName: "李管家"})
		require.NoError(t, err)
		own, err := h.client.GetEnterprise(h.as(entOwn), &stewardshipv1.GetEnterpriseRequest{Name: got.GetName()})
		require.NoError(t, err)
		require.Equal(t, "李管家", own.GetStewards()[0].GetStewardName())
		_, err = h.client.GetEnterprise(h.as(entOther), &stewardshipv1.GetEnterpriseRequest{Name: got.GetName()})
		apptest.RequireCode(t, err, codes.NotFound, "ENTERPRISE_NOT_FOUND")
		_, err = h.client.ListEnterprises(h.as(entOwn), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz.s01.c01"})
		apptest.RequireCode(t, err, codes.PermissionDenied, "STAFF_ONLY")

		// Listing by subtree, filter and page.
		list, err := h.client.ListEnterprises(h.as(steward), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz.s01", PageSize: 1})
		require.NoError(t, err)
		require.Len(t, list.GetEnterprises(), 1)
		rest, err := h.client.ListEnterprises(h.as(steward), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz.s01", PageSize: 1, PageToken: list.GetNextPageToken()})
		require.NoError(t, err)
		require.Len(t, rest.GetEnterprises(), 1)
		require.Empty(t, rest.GetNextPageToken())
		tagged, err := h.client.ListEnterprises(h.as(steward), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz", ScaleTag: "瞪羚"})
		require.NoError(t, err)
		require.Len(t, tagged.GetEnterprises(), 1)
		mine, err := h.client.ListEnterprises(h.as(steward), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz", Steward: steward})
		require.NoError(t, err)
		require.Len(t, mine.GetEnterprises(), 1)
		sibling, err := h.client.ListEnterprises(h.as(streetStew), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz.s02"})
		require.NoError(t, err)
		require.Len(t, sibling.GetEnterprises(), 1)
		_, err = h.client.ListEnterprises(h.as(streetStew), &stewardshipv1.ListEnterprisesRequest{Parent: "tenants/ahz.s01"})
		apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	})
}

// Stewards: a handover ends the current assignment and keeps it as history; a steward who
// does not reach the enterprise's tenant is refused; the workload counts per steward.
func TestStewardsAndHandover(t *testing.T) {
	t.Parallel()
	h := startHarness(t, "")
	h.register(ent(1, "ahz.s01.c01"), ent(2, "ahz.s02.c01"))
	name := enterpriseName("ahz.s01.c01", cc(1))
	a, err := h.client.AssignSteward(h.as(steward), &stewardshipv1.AssignStewardRequest{Name: name,
		Kind: stewardshipv1.StewardKind_STEWARD_KIND_PROJECT, Steward: steward, StewardName: "李管家", Pairing: true})
	require.NoError(t, err)
	require.Equal(t, steward, a.GetAssignedBy())
	// The street steward of ahz.s02 cannot look after an enterprise of ahz.s01.
	_, err = h.client.AssignSteward(h.as(steward), &stewardshipv1.AssignStewardRequest{Name: name,
		Kind: stewardshipv1.StewardKind_STEWARD_KIND_PROJECT, Steward: streetStew, StewardName: "赵管家"})
	apptest.RequireField(t, err, "steward", "STEWARD_OUTSIDE_SUBTREE")
	// A handover to a steward of the district.
	h.tokens["u-steward-2"] = h.env.Grant(t, "u-steward-2", "steward", district, authn.Staff)
	b, err := h.client.AssignSteward(h.as(steward), &stewardshipv1.AssignStewardRequest{Name: name,
		Kind: stewardshipv1.StewardKind_STEWARD_KIND_PROJECT, Steward: "u-steward-2", StewardName: "周管家", HandoverNote: "项目二期用地手续在办"})
	require.NoError(t, err)
	hist, err := h.client.ListAssignments(h.as(steward), &stewardshipv1.ListAssignmentsRequest{Parent: "tenants/ahz", Enterprise: name, History: true})
	require.NoError(t, err)
	require.Len(t, hist.GetAssignments(), 2)
	require.Equal(t, "u-steward-2", hist.GetAssignments()[0].GetSuccessor())
	require.NotNil(t, hist.GetAssignments()[0].GetEndTime())
	cur, err := h.client.ListAssignments(h.as(steward), &stewardshipv1.ListAssignmentsRequest{Parent: "tenants/ahz", Enterprise: name})
	require.NoError(t, err)
	require.Len(t, cur.GetAssignments(), 1)
	require.Equal(t, b.GetName(), cur.GetAssignments()[0].GetName())

	_, err = h.client.CreateVisit(h.as("u-steward-2"), &stewardshipv1.CreateVisitRequest{Parent: name, Visit: &stewardshipv1.Visit{
		VisitDate: "2026-11-20", People: []string{"周管家", "王小明"}, Notes: "了解二期厂房建设进度"}})
	require.NoError(t, err)
	_, err = h.client.CreateVisit(h.as(steward), &stewardshipv1.CreateVisitRequest{Parent: name, Visit: &stewardshipv1.Visit{
		VisitDate: "2026-12-20", Notes: "未来的走访"}})
	apptest.RequireField(t, err, "visit.visit_date", "IN_FUTURE")
	_, err = h.client.RaiseProblem(h.as(steward), &stewardshipv1.RaiseProblemRequest{Parent: name, Problem: &stewardshipv1.Problem{
		Category: "construction", Title: "施工许可办理慢", Description: "二期施工许可已提交三周", OwnerDepartment: "自然资源和住建办"}})
	require.NoError(t, err)
	load, err := h.client.GetStewardWorkload(h.as(steward), &stewardshipv1.GetStewardWorkloadRequest{Parent: "tenants/ahz"})
	require.NoError(t, err)
	require.Len(t, load.GetStewards(), 1)
	require.Equal(t, &stewardshipv1.StewardLoad{Steward: "u-steward-2", StewardName: "周管家", Enterprises: 1, Visits: 1, OpenProblems: 1},
		load.GetStewards()[0])
	// A supervisor reads but assigns nothing.
	_, err = h.client.AssignSteward(h.as(overseer), &stewardshipv1.AssignStewardRequest{Name: name,
		Kind: stewardshipv1.StewardKind_STEWARD_KIND_ENTERPRISE, Steward: steward, StewardName: "李管家"})
	apptest.RequireCode(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	code, body := apptest.Get(t, h.base+"/v1/tenants/ahz/stewardWorkload", h.tokens[overseer])
	require.Equal(t, http.StatusOK, code, string(body))
	require.True(t, strings.Contains(string(body), "u-steward-2"))
}
