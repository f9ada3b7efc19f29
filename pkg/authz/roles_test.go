package authz

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultRoles(t *testing.T) {
	t.Parallel()
	roles := DefaultRoles()
	names := map[string]string{}
	for _, r := range roles {
		require.True(t, IsRole(r.Name), r.Name)
		require.NotEmpty(t, r.Title, r.Name)
		require.NotEmpty(t, r.Permissions, r.Name)
		for _, p := range r.Permissions {
			require.NoError(t, p.validate(), "%s: %+v", r.Name, p)
		}
		names[r.Name] = r.Title
	}
	require.Equal(t, map[string]string{
		"window_clerk": "窗口人员", "agent": "帮代办", "ticket_handler": "诉求办理", "steward": "企业管家",
		"legal_aid_lawyer": "法援律师", "court_clerk": "法院书记员", "legal_coordinator": "法律服务协调员", "supervisor": "营商监督员", "discipline": "纪工委",
		"tenant_admin": "租户管理员", "platform_admin": "平台管理员", "enterprise": "企业用户", "citizen": "群众", "ops": "运维人员",
	}, names)
}
