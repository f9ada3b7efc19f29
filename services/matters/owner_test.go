package matters

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// Applicants of the ownership scenarios besides the harness's own.
const (
	neighbour  = "u-citizen-2"    // another resident of the same community
	colleague  = "u-enterprise-2" // a second account of the harness's enterprise
	competitor = "u-competitor"   // another enterprise's account, at the district too

	ourCode   = "91350100M000100Y43"
	theirCode = "91110000600037341L"
)

// grantEnterprise gives an enterprise account the enterprise role at the district, with
// its credit code in the token, and waits until the service sees it.
func (h *harness) grantEnterprise(sub, org string) {
	h.t.Helper()
	h.tokens[sub] = h.env.GrantEnterprise(h.t, sub, "enterprise", district, org)
	require.Eventually(h.t, func() bool {
		_, err := h.client.ListApplications(h.as(sub), &mattersv1.ListApplicationsRequest{Parent: "tenants/" + district, PageSize: 1})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
}

// readAs reads an application over HTTP as sub.
func (h *harness) readAs(sub, name string) *mattersv1.Application {
	h.t.Helper()
	code, body := h.get(sub, "/v1/"+name)
	require.Equal(h.t, http.StatusOK, code, string(body))
	var a mattersv1.Application
	require.NoError(h.t, protojson.Unmarshal(body, &a))
	return &a
}

// listAs lists the applications at tenant over HTTP as sub, by name.
func (h *harness) listAs(sub string, tenant tenancy.ID) []string {
	h.t.Helper()
	code, body := h.get(sub, "/v1/tenants/"+string(tenant)+"/applications")
	require.Equal(h.t, http.StatusOK, code, string(body))
	var resp mattersv1.ListApplicationsResponse
	require.NoError(h.t, protojson.Unmarshal(body, &resp))
	var out []string
	for _, a := range resp.GetApplications() {
		out = append(out, a.GetName())
	}
	return out
}

// refused posts body to path as sub and checks the call is refused with status and
// stable code, and that the application name is as it was (read back as staff).
func (h *harness) refused(sub, path string, body proto.Message, status int, stable, name string) {
	h.t.Helper()
	before := h.readAs(hallClerk, name)
	code, out := h.post(sub, path, body)
	require.Equal(h.t, status, code, string(out))
	require.Equal(h.t, stable, apptest.StableCode(out))
	require.True(h.t, proto.Equal(before, h.readAs(hallClerk, name)), "the refused call changed the application")
}

// TestScenarioOwnership: the attacks of applicants on each other's applications, each
// refused with a stable code and changing nothing; and what applicants do see. Both
// engines.
func TestScenarioOwnership(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		h.grant(neighbour, "citizen", community, authn.Citizen)
		h.grantEnterprise(enterpriseUser, ourCode)
		h.grantEnterprise(colleague, ourCode)
		h.grantEnterprise(competitor, theirCode)

		// Two residents' applications at the community, taken in by the clerk.
		mine := h.employment()
		victim, err := h.client.SubmitApplication(h.as(communityClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/" + community,
			Application: &mattersv1.Application{Matter: "matters/LHJYDJ", Channel: mattersv1.Channel_CHANNEL_WINDOW,
				Applicant: &mattersv1.Applicant{Name: "孙八", Phone: "13900000008", Subject: neighbour},
				Materials: []*mattersv1.SubmittedMaterial{{Name: "居民身份证", Document: doc(community, "ID8")}}}})
		require.NoError(t, err)
		require.Equal(t, neighbour, victim.GetOwner().GetSubject())

		// A citizen reads and lists its own only; another's is "not found", like a missing one.
		require.Equal(t, mine.GetName(), h.readAs(citizenUser, mine.GetName()).GetName())
		require.Equal(t, []string{mine.GetName()}, h.listAs(citizenUser, community))
		require.Equal(t, []string{victim.GetName()}, h.listAs(neighbour, community))
		code, body := h.get(citizenUser, "/v1/"+victim.GetName())
		require.Equal(t, http.StatusNotFound, code, string(body))
		require.Equal(t, "APPLICATION_NOT_FOUND", apptest.StableCode(body))
		_, missing := h.get(citizenUser, "/v1/tenants/"+community+"/applications/M-20250926-999999")
		require.Equal(t, apptest.StableCode(missing), apptest.StableCode(body))
		// Staff still see by tenant subtree.
		require.ElementsMatch(t, []string{mine.GetName(), victim.GetName()}, h.listAs(communityClerk, community))

		// Enterprises: ours (filed by the clerk for it), our colleague's own filing, and a
		// competitor's, all at the district.
		ours := h.submit(startUp(allStartUpMaterials...))
		require.Equal(t, ourCode, ours.GetOwner().GetOrg())
		byColleague := startUp(allStartUpMaterials...)
		byColleague.Channel = mattersv1.Channel_CHANNEL_ONLINE
		byColleague = h.postApp(colleague, "/v1/tenants/ahz/applications", byColleague)
		require.Equal(t, colleague, byColleague.GetOwner().GetSubject())
		require.Equal(t, ourCode, byColleague.GetOwner().GetOrg())
		theirs := startUp(allStartUpMaterials...)
		theirs.Applicant = &mattersv1.Applicant{Name: "竞争科技有限公司", CreditCode: theirCode, Phone: "13700000007", Subject: competitor}
		theirs = h.submit(theirs)

		// The enterprise at the district lists its enterprise's applications only, not
		// every street's; a colleague's are its own.
		require.ElementsMatch(t, []string{ours.GetName(), byColleague.GetName()}, h.listAs(enterpriseUser, district))
		require.Equal(t, byColleague.GetName(), h.readAs(enterpriseUser, byColleague.GetName()).GetName())
		require.ElementsMatch(t, []string{theirs.GetName()}, h.listAs(competitor, district))

		// Accepted by the clerk, the enterprise cannot complete the steps itself.
		ours = h.call(hallClerk, "/v1/"+ours.GetName()+":accept", &mattersv1.AcceptApplicationRequest{Etag: ours.GetEtag()})
		h.refused(enterpriseUser, "/v1/"+ours.GetName()+":completeStep",
			&mattersv1.CompleteStepRequest{Etag: ours.GetEtag(), Step: 0, Result: "自己受理"}, http.StatusForbidden, "STAFF_ONLY", ours.GetName())
		// Nor withdraw a competitor's application.
		h.refused(enterpriseUser, "/v1/"+theirs.GetName()+":withdraw",
			&mattersv1.WithdrawApplicationRequest{Etag: theirs.GetEtag(), Reason: "撤回"}, http.StatusNotFound, "APPLICATION_NOT_FOUND", theirs.GetName())
		// Nor, after a 补正 notice, swap its own file in for the competitor's material.
		theirs = h.call(hallClerk, "/v1/"+theirs.GetName()+":requestCorrection",
			&mattersv1.RequestCorrectionRequest{Etag: theirs.GetEtag(), MissingMaterials: []string{"公司章程"}, Note: "章程未签字"})
		h.refused(enterpriseUser, "/v1/"+theirs.GetName()+":resubmit", &mattersv1.ResubmitApplicationRequest{Etag: theirs.GetEtag(),
			Materials: []*mattersv1.SubmittedMaterial{{Name: "公司章程", Document: doc(district, "MINE")}}}, http.StatusNotFound, "APPLICATION_NOT_FOUND", theirs.GetName())
		// Nor rate it, nor read the reports and queues of staff.
		h.refused(enterpriseUser, "/v1/"+theirs.GetName()+":rate", &mattersv1.RateApplicationRequest{Etag: theirs.GetEtag(), Score: 1},
			http.StatusNotFound, "APPLICATION_NOT_FOUND", theirs.GetName())
		for _, path := range []string{"/v1/tenants/ahz/matterReports", "/v1/tenants/ahz/queue"} {
			code, body := h.get(enterpriseUser, path)
			require.Equal(t, http.StatusForbidden, code, path+": "+string(body))
			require.Equal(t, "STAFF_ONLY", apptest.StableCode(body), path)
		}

		// The green channel is staff's to grant.
		before := h.count(`SELECT COUNT(*) FROM applications`)
		green := startUp(allStartUpMaterials...)
		green.Channel, green.GreenChannel = mattersv1.Channel_CHANNEL_ONLINE, true
		code, body = h.post(enterpriseUser, "/v1/tenants/ahz/applications", green)
		require.Equal(t, http.StatusForbidden, code, string(body))
		require.Equal(t, "GREEN_CHANNEL_STAFF_ONLY", apptest.StableCode(body))
		require.Equal(t, before, h.count(`SELECT COUNT(*) FROM applications`))

		// The clerk's step completion records the clerk, not a name from the request.
		ours = h.call(hallClerk, "/v1/"+ours.GetName()+":completeStep", &mattersv1.CompleteStepRequest{Etag: ours.GetEtag(), Step: 0, Result: "受理"})
		require.Equal(t, hallClerk, ours.GetSteps()[0].GetHandler())
	})
}

// TestScenarioAgent: a 帮代办 agent mandated by one resident files for it and reaches
// that resident's applications besides its own; another resident's it can neither read
// nor file for. Both engines.
func TestScenarioAgent(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		h := startHarness(t, dsn)
		h.grant(neighbour, "citizen", community, authn.Citizen)
		const agent = "u-agent"
		h.tokens[agent] = h.env.GrantAgent(t, agent, community, authn.Mandates{Subjects: []string{citizenUser}})
		require.Eventually(t, func() bool {
			code, _ := h.get(agent, "/v1/tenants/"+community+"/applications")
			return code == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond)

		// The resident's own filing (through the clerk) and the neighbour's.
		theirs := h.employment()
		victim, err := h.client.SubmitApplication(h.as(communityClerk), &mattersv1.SubmitApplicationRequest{Parent: "tenants/" + community,
			Application: &mattersv1.Application{Matter: "matters/LHJYDJ", Channel: mattersv1.Channel_CHANNEL_WINDOW,
				Applicant: &mattersv1.Applicant{Name: "孙八", Subject: neighbour},
				Materials: []*mattersv1.SubmittedMaterial{{Name: "居民身份证", Document: doc(community, "ID8")}}}})
		require.NoError(t, err)

		filing := func(subject string) *mattersv1.Application {
			return &mattersv1.Application{Matter: "matters/LHJYDJ", Channel: mattersv1.Channel_CHANNEL_ONLINE,
				Applicant: &mattersv1.Applicant{Name: "代办申请人", Subject: subject},
				Materials: []*mattersv1.SubmittedMaterial{{Name: "居民身份证", Document: doc(community, "ID9")}}}
		}
		path := "/v1/tenants/" + community + "/applications"
		// Filed for the mandator, the application is the mandator's: both reach it.
		forThem := h.postApp(agent, path, filing(citizenUser))
		require.Equal(t, citizenUser, forThem.GetOwner().GetSubject())
		require.Equal(t, agent, forThem.GetSubmittedBy())
		require.Equal(t, forThem.GetName(), h.readAs(agent, forThem.GetName()).GetName())
		require.Equal(t, forThem.GetName(), h.readAs(citizenUser, forThem.GetName()).GetName())
		// Naming no one, the agent files as itself.
		own := h.postApp(agent, path, filing(""))
		require.Equal(t, agent, own.GetOwner().GetSubject())

		// It lists the mandator's and its own, and reads the mandator's earlier one.
		require.ElementsMatch(t, []string{theirs.GetName(), forThem.GetName(), own.GetName()}, h.listAs(agent, community))
		require.Equal(t, theirs.GetName(), h.readAs(agent, theirs.GetName()).GetName())
		require.ElementsMatch(t, []string{theirs.GetName(), forThem.GetName()}, h.listAs(citizenUser, community))

		// The neighbour never mandated it: its application is "not found", and filing for
		// it is refused and writes nothing.
		code, body := h.get(agent, "/v1/"+victim.GetName())
		require.Equal(t, http.StatusNotFound, code, string(body))
		require.Equal(t, "APPLICATION_NOT_FOUND", apptest.StableCode(body))
		before := h.count(`SELECT COUNT(*) FROM applications`)
		code, body = h.post(agent, path, filing(neighbour))
		require.Equal(t, http.StatusForbidden, code, string(body))
		require.Equal(t, "NOT_MANDATED", apptest.StableCode(body))
		require.Equal(t, before, h.count(`SELECT COUNT(*) FROM applications`))
		require.NotContains(t, h.listAs(neighbour, community), own.GetName())

		// Mandates make no staff: the queues stay closed.
		code, body = h.get(agent, "/v1/tenants/"+community+"/queue")
		require.Equal(t, http.StatusForbidden, code, string(body))
		require.Equal(t, "STAFF_ONLY", apptest.StableCode(body))
	})
}
