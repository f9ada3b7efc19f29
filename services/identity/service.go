package identity

import (
	"time"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// Errors of the identity service. Codes are stable; messages are for clerks.
var (
	ErrUsernameTaken      = errs.New(errs.AlreadyExists, "USERNAME_TAKEN", "用户名已被使用")
	ErrIDNumberTaken      = errs.New(errs.AlreadyExists, "ID_NUMBER_TAKEN", "该身份证号码已注册账号")
	ErrWeakPassword       = errs.New(errs.InvalidArgument, "WEAK_PASSWORD", "密码强度不足")
	ErrInvalidCredentials = errs.New(errs.Unauthenticated, "INVALID_CREDENTIALS", "用户名或密码错误")
	ErrAccountSuspended   = errs.New(errs.PermissionDenied, "ACCOUNT_SUSPENDED", "账号已停用，请联系管理员")
	ErrUserNotFound       = errs.New(errs.NotFound, "USER_NOT_FOUND", "用户不存在")
	ErrIllegalStatus      = errs.New(errs.FailedPrecondition, "ILLEGAL_STATUS_CHANGE", "账号状态不允许此变更")
	ErrClientNotFound     = errs.New(errs.NotFound, "CLIENT_NOT_FOUND", "接入应用不存在")
	ErrClientExists       = errs.New(errs.AlreadyExists, "CLIENT_EXISTS", "接入应用标识已被使用")
	ErrClientDisabled     = errs.New(errs.Unauthenticated, "CLIENT_DISABLED", "接入应用已停用")
	ErrInvalidClientCreds = errs.New(errs.Unauthenticated, "INVALID_CLIENT", "接入应用认证失败")
	ErrTenantExists       = tenancy.ErrExists
	ErrTenantMoveCycle    = errs.New(errs.InvalidArgument, "TENANT_MOVE_CYCLE", "不能把租户移到它自己或其下级租户之下")
	// ErrTenantMoveBlocked refuses a move the other services' data cannot follow yet:
	// identity re-homes only its own rows, and a tree that disagrees with the data would
	// strand every ticket, application and document of the moved tenants.
	ErrTenantMoveBlocked = errs.New(errs.FailedPrecondition, "TENANT_MOVE_BLOCKED", "该租户或其下级租户已开通业务服务，其数据暂不能随租户迁移")
	ErrTenantOutside     = errs.New(errs.PermissionDenied, "TENANT_OUTSIDE_SUBTREE", "目标租户不在您的管辖范围内")
	ErrRoleNotHeld       = errs.New(errs.PermissionDenied, "ROLE_NOT_HELD", "不能授予您自己在该租户未持有的角色")
	ErrUnknownRole       = errs.New(errs.InvalidArgument, "UNKNOWN_ROLE", "角色不存在")
	ErrOutsideAdminScope = errs.New(errs.PermissionDenied, "OUTSIDE_ADMIN_SCOPE", "该账号持有超出您管辖范围的授权，您不能管理它")
	// ErrNoPasswordChangeDue refuses setting a password without the current one for an
	// account whose sign-in was not told to choose one.
	ErrNoPasswordChangeDue = errs.New(errs.FailedPrecondition, "NO_PASSWORD_CHANGE_DUE", "该账号无需修改初始密码，请使用修改密码功能")
)

// Status is an account's state: active ⇄ suspended, either → left (离职/注销, final).
type Status string

// The statuses.
const (
	Active    Status = "active"
	Suspended Status = "suspended"
	Left      Status = "left"
)

// canBecome is the account state machine.
func (s Status) canBecome(to Status) bool {
	switch s {
	case Active:
		return to == Suspended || to == Left
	case Suspended:
		return to == Active || to == Left
	}
	return false
}

// User is an account as stored (without its secrets).
type User struct {
	ID             string // subject in tokens and grants: "u-" + 16 hex digits
	Tenant         tenancy.ID
	Username       string
	DisplayName    string
	Kind           authn.Kind
	Status         Status
	CreditCode     string // enterprises
	IDNumberMasked string // citizens, masked for display
	Version        int64
	CreateTime     time.Time
	UpdateTime     time.Time
	LockedUntil    time.Time // no longer set: sign-ins are throttled, not locked (see Throttle)
}

// Name is the user's resource name.
func (u User) Name() string { return "tenants/" + string(u.Tenant) + "/users/" + u.ID }

// Account is the user as the OpenID Provider sees it.
func (u User) Account() Account {
	a := Account{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Tenant: u.Tenant, Kind: u.Kind, Status: string(u.Status)}
	if u.Kind == authn.Enterprise {
		a.Org = u.CreditCode // colleagues of one enterprise share its records
	}
	return a
}

// Account is the user as the OpenID Provider sees it, with when its sessions last ended
// and whether its next sign-in must choose a new password.
func (r userRow) Account() Account {
	a := r.User.Account()
	a.SessionsAfter, a.MustChangePassword = r.sessionsAfter, r.mustChange
	return a
}

// NewUser is what creating an account takes.
type NewUser struct {
	Tenant      tenancy.ID
	Username    string
	DisplayName string
	Kind        authn.Kind
	CreditCode  string // required for enterprises
	IDNumber    string // required for citizens
	Password    string
}

// OAuthClient is a registered client as stored (without its secret).
type OAuthClient struct {
	ID           string // client_id, "svc-…"
	Tenant       tenancy.ID
	DisplayName  string
	Scopes       []string
	RedirectURIs []string
	LogoutURIs   []string // where a sign-out may return (none: the redirect URIs)
	Public       bool
	Device       bool // may use the device flow (RFC 8628): the command line
	Disabled     bool // gets no tokens; those it held are revoked
	Version      int64
	CreateTime   time.Time
}

// Name is the client's resource name.
func (c OAuthClient) Name() string { return "tenants/" + string(c.Tenant) + "/clients/" + c.ID }

// Directory view of the client.
func (c OAuthClient) directory() Client {
	return Client{ID: c.ID, Tenant: c.Tenant, DisplayName: c.DisplayName, Scopes: c.Scopes, RedirectURIs: c.RedirectURIs, LogoutURIs: c.LogoutURIs,
		Public: c.Public, Confidential: !c.Public, Device: c.Device, Disabled: c.Disabled}
}
