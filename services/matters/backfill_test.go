package matters

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gaoxing-gov/gaoxing/pkg/app"
	"github.com/gaoxing-gov/gaoxing/pkg/app/apptest"
	"github.com/gaoxing-gov/gaoxing/pkg/testenv"
	mattersv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/matters/v1"
)

// withOldApplications writes applications as they were stored before they carried an
// owner (empty owner columns, no owner in the record) into the service's database
// before it starts.
func withOldApplications(apps ...*application) harnessOption {
	return func(t testing.TB, env *apptest.Env, _ *harness) {
		ctx := t.Context()
		db, err := app.OpenDB(ctx, env.Env, Name, migrationFiles)
		require.NoError(t, err)
		defer func() { require.NoError(t, db.Close()) }()
		st := store{db: db}
		for _, a := range apps {
			require.Nil(t, a.App.GetOwner())
			require.NoError(t, st.insert(ctx, a))
		}
	}
}

// oldApplication is an application of the community as filed before owners.
func oldApplication(id string, applicant *mattersv1.Applicant, by string) *application {
	created := ts(cst(2025, time.September, 1, 10))
	return &application{Tenant: community, ID: id, Revision: 3, NextCheck: never, App: &mattersv1.Application{
		Name: applicationName(community, id), Etag: etag(3), Matter: "matters/LHJYDJ", MatterVersion: 1,
		Applicant: applicant, Channel: mattersv1.Channel_CHANNEL_WINDOW, State: mattersv1.State_STATE_SUBMITTED,
		SubmittedBy: by, CreateTime: created, UpdateTime: created,
	}}
}

// TestOwnerBackfill: at start the leader gives applications stored before owners the
// owner their record names, once, and their applicants then reach them. Both engines.
func TestOwnerBackfill(t *testing.T) {
	testenv.ForEachSQL(t, func(t *testing.T, dsn string) {
		const code = "91350100M000100Y43"
		byClerk := oldApplication("M-20250901-000001", &mattersv1.Applicant{Name: "钱七", Subject: citizenUser}, communityClerk)
		selfFiled := oldApplication("M-20250901-000002", &mattersv1.Applicant{Name: "钱七", Subject: citizenUser, CreditCode: code}, citizenUser)
		forEnterprise := oldApplication("M-20250901-000003", &mattersv1.Applicant{Name: "示例公司", CreditCode: " 91350100m000100y43"}, communityClerk)
		nobody := oldApplication("M-20250901-000004", &mattersv1.Applicant{Name: "无账号"}, communityClerk)
		h := startHarness(t, dsn, withOldApplications(byClerk, selfFiled, forEnterprise, nobody))

		owners := func() map[string][2]string {
			rows, err := h.srv.svc.db.Query(context.Background(), `SELECT id, owner_subject, owner_org FROM applications ORDER BY id`)
			require.NoError(t, err)
			defer rows.Close()
			out := map[string][2]string{}
			for rows.Next() {
				var id, sub, org string
				require.NoError(t, rows.Scan(&id, &sub, &org))
				out[id] = [2]string{sub, org}
			}
			require.NoError(t, rows.Err())
			return out
		}
		want := map[string][2]string{
			byClerk.ID:       {citizenUser, ""},
			selfFiled.ID:     {citizenUser, ""}, // a credit code typed by the applicant itself is not trusted
			forEnterprise.ID: {"", code},
			nobody.ID:        {"", ""}, // names no account: staff's only
		}
		require.Eventually(t, func() bool {
			return h.count(`SELECT COUNT(*) FROM applications WHERE owner_subject <> '' OR owner_org <> ''`) == 3
		},
			10*time.Second, 20*time.Millisecond)
		require.Equal(t, want, owners())
		require.Equal(t, 1, h.auditCount(byClerk.App.GetName()))
		require.Zero(t, h.auditCount(nobody.App.GetName()))

		// The applicant reads and lists them now; the record carries its owner, under a new etag.
		got := h.readAs(citizenUser, byClerk.App.GetName())
		require.Equal(t, citizenUser, got.GetOwner().GetSubject())
		require.Equal(t, etag(4), got.GetEtag())
		require.ElementsMatch(t, []string{byClerk.App.GetName(), selfFiled.App.GetName()}, h.listAs(citizenUser, community))
		h.grantEnterprise(enterpriseUser, code)
		require.Equal(t, forEnterprise.App.GetName(), h.readAs(enterpriseUser, forEnterprise.App.GetName()).GetName())

		// Another pass finds nothing left to do.
		n, err := h.srv.svc.fillOwners(t.Context())
		require.NoError(t, err)
		require.Zero(t, n)
		require.Equal(t, want, owners())
	})
}
