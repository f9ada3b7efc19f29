package identity

import (
	"context"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/authz"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/kit"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	identityv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/identity/v1"
)

// Rules is who may call what, checked by authz.Middleware at the tenant the request names.
// GrantRole and RevokeRole name their tenant in a field of their own, so the middleware
// only checks that the caller administers roles somewhere; the logic then applies the
// full rule at the target tenant (see checkGrantor). ChangePassword and ListRoles are
// open to every signed-in caller; the logic limits them to the caller's own account
// unless it may read roles where the account lives.
var Rules = map[string]authz.Rule{
	"identity.CreateTenant":       {Object: "identity.tenants", Action: "create"},
	"identity.GetTenant":          {Object: "identity.tenants", Action: "read"},
	"identity.ListTenants":        {Object: "identity.tenants", Action: "read"},
	"identity.RenameTenant":       {Object: "identity.tenants", Action: "update"},
	"identity.MoveTenant":         {Object: "identity.tenants", Action: "update"},
	"identity.SetTenantEnabled":   {Object: "identity.tenants", Action: "update"},
	"identity.SetTenantServices":  {Object: "identity.tenants", Action: "update"},
	"identity.CreateUser":         {Object: "identity.users", Action: "create"},
	"identity.GetUser":            {Object: "identity.users", Action: "read"},
	"identity.ListUsers":          {Object: "identity.users", Action: "read"},
	"identity.FindUserByIDNumber": {Object: "identity.users", Action: "read"},
	"identity.SetUserStatus":      {Object: "identity.users", Action: "update"},
	"identity.ChangePassword":     {Public: true},
	"identity.ResetPassword":      {Object: "identity.users", Action: "update"},
	"identity.GrantRole":          {Object: "identity.roles", Action: "create", PlatformWide: true},
	"identity.RevokeRole":         {Object: "identity.roles", Action: "create", PlatformWide: true},
	"identity.ListRoles":          {Public: true},
	"identity.RegisterClient":     {Object: "identity.clients", Action: "create"},
	"identity.GetClient":          {Object: "identity.clients", Action: "read"},
	"identity.RotateClientSecret": {Object: "identity.clients", Action: "update"},
	"identity.SetClientEnabled":   {Object: "identity.clients", Action: "update"},
}

// binding is the gRPC and HTTP face of Core: one line per method.
type binding struct {
	identityv1.UnimplementedIdentityServiceServer
	createTenant       kit.Unary[*identityv1.CreateTenantRequest, *identityv1.Tenant]
	getTenant          kit.Unary[*identityv1.GetTenantRequest, *identityv1.Tenant]
	listTenants        kit.Unary[*identityv1.ListTenantsRequest, *identityv1.ListTenantsResponse]
	renameTenant       kit.Unary[*identityv1.RenameTenantRequest, *identityv1.Tenant]
	moveTenant         kit.Unary[*identityv1.MoveTenantRequest, *identityv1.Tenant]
	setTenantEnabled   kit.Unary[*identityv1.SetTenantEnabledRequest, *identityv1.Tenant]
	setTenantServices  kit.Unary[*identityv1.SetTenantServicesRequest, *identityv1.Tenant]
	createUser         kit.Unary[*identityv1.CreateUserRequest, *identityv1.User]
	getUser            kit.Unary[*identityv1.GetUserRequest, *identityv1.User]
	listUsers          kit.Unary[*identityv1.ListUsersRequest, *identityv1.ListUsersResponse]
	findUser           kit.Unary[*identityv1.FindUserByIDNumberRequest, *identityv1.User]
	setUserStatus      kit.Unary[*identityv1.SetUserStatusRequest, *identityv1.User]
	changePassword     kit.Unary[*identityv1.ChangePasswordRequest, *identityv1.ChangePasswordResponse]
	resetPassword      kit.Unary[*identityv1.ResetPasswordRequest, *identityv1.User]
	grantRole          kit.Unary[*identityv1.GrantRoleRequest, *identityv1.RoleGrant]
	revokeRole         kit.Unary[*identityv1.RevokeRoleRequest, *identityv1.RevokeRoleResponse]
	listRoles          kit.Unary[*identityv1.ListRolesRequest, *identityv1.ListRolesResponse]
	registerClient     kit.Unary[*identityv1.RegisterClientRequest, *identityv1.RegisterClientResponse]
	getClient          kit.Unary[*identityv1.GetClientRequest, *identityv1.OAuthClient]
	rotateClientSecret kit.Unary[*identityv1.RotateClientSecretRequest, *identityv1.RegisterClientResponse]
	setClientEnabled   kit.Unary[*identityv1.SetClientEnabledRequest, *identityv1.OAuthClient]
}

func newBinding(svc *kit.Service, c *Core) *binding {
	a := api{c}
	return &binding{
		createTenant:       kit.Handle(svc, "CreateTenant", a.CreateTenant),
		getTenant:          kit.Handle(svc, "GetTenant", a.GetTenant),
		listTenants:        kit.Handle(svc, "ListTenants", a.ListTenants),
		renameTenant:       kit.Handle(svc, "RenameTenant", a.RenameTenant),
		moveTenant:         kit.Handle(svc, "MoveTenant", a.MoveTenant),
		setTenantEnabled:   kit.Handle(svc, "SetTenantEnabled", a.SetTenantEnabled),
		setTenantServices:  kit.Handle(svc, "SetTenantServices", a.SetTenantServices),
		createUser:         kit.Handle(svc, "CreateUser", a.CreateUser),
		getUser:            kit.Handle(svc, "GetUser", a.GetUser),
		listUsers:          kit.Handle(svc, "ListUsers", a.ListUsers),
		findUser:           kit.Handle(svc, "FindUserByIDNumber", a.FindUserByIDNumber),
		setUserStatus:      kit.Handle(svc, "SetUserStatus", a.SetUserStatus),
		changePassword:     kit.Handle(svc, "ChangePassword", a.ChangePassword),
		resetPassword:      kit.Handle(svc, "ResetPassword", a.ResetPassword),
		grantRole:          kit.Handle(svc, "GrantRole", a.GrantRole),
		revokeRole:         kit.Handle(svc, "RevokeRole", a.RevokeRole),
		listRoles:          kit.Handle(svc, "ListRoles", a.ListRoles),
		registerClient:     kit.Handle(svc, "RegisterClient", a.RegisterClient),
		getClient:          kit.Handle(svc, "GetClient", a.GetClient),
		rotateClientSecret: kit.Handle(svc, "RotateClientSecret", a.RotateClientSecret),
		setClientEnabled:   kit.Handle(svc, "SetClientEnabled", a.SetClientEnabled),
	}
}

func (b *binding) CreateTenant(ctx context.Context, r *identityv1.CreateTenantRequest) (*identityv1.Tenant, error) {
	return b.createTenant.Call(ctx, r)
}
func (b *binding) GetTenant(ctx context.Context, r *identityv1.GetTenantRequest) (*identityv1.Tenant, error) {
	return b.getTenant.Call(ctx, r)
}
func (b *binding) ListTenants(ctx context.Context, r *identityv1.ListTenantsRequest) (*identityv1.ListTenantsResponse, error) {
	return b.listTenants.Call(ctx, r)
}
func (b *binding) RenameTenant(ctx context.Context, r *identityv1.RenameTenantRequest) (*identityv1.Tenant, error) {
	return b.renameTenant.Call(ctx, r)
}
func (b *binding) MoveTenant(ctx context.Context, r *identityv1.MoveTenantRequest) (*identityv1.Tenant, error) {
	return b.moveTenant.Call(ctx, r)
}
func (b *binding) SetTenantEnabled(ctx context.Context, r *identityv1.SetTenantEnabledRequest) (*identityv1.Tenant, error) {
	return b.setTenantEnabled.Call(ctx, r)
}
func (b *binding) SetTenantServices(ctx context.Context, r *identityv1.SetTenantServicesRequest) (*identityv1.Tenant, error) {
	return b.setTenantServices.Call(ctx, r)
}
func (b *binding) CreateUser(ctx context.Context, r *identityv1.CreateUserRequest) (*identityv1.User, error) {
	return b.createUser.Call(ctx, r)
}
func (b *binding) GetUser(ctx context.Context, r *identityv1.GetUserRequest) (*identityv1.User, error) {
	return b.getUser.Call(ctx, r)
}
func (b *binding) ListUsers(ctx context.Context, r *identityv1.ListUsersRequest) (*identityv1.ListUsersResponse, error) {
	return b.listUsers.Call(ctx, r)
}
func (b *binding) FindUserByIDNumber(ctx context.Context, r *identityv1.FindUserByIDNumberRequest) (*identityv1.User, error) {
	return b.findUser.Call(ctx, r)
}
func (b *binding) SetUserStatus(ctx context.Context, r *identityv1.SetUserStatusRequest) (*identityv1.User, error) {
	return b.setUserStatus.Call(ctx, r)
}
func (b *binding) ChangePassword(ctx context.Context, r *identityv1.ChangePasswordRequest) (*identityv1.ChangePasswordResponse, error) {
	return b.changePassword.Call(ctx, r)
}
func (b *binding) ResetPassword(ctx context.Context, r *identityv1.ResetPasswordRequest) (*identityv1.User, error) {
	return b.resetPassword.Call(ctx, r)
}
func (b *binding) GrantRole(ctx context.Context, r *identityv1.GrantRoleRequest) (*identityv1.RoleGrant, error) {
	return b.grantRole.Call(ctx, r)
}
func (b *binding) RevokeRole(ctx context.Context, r *identityv1.RevokeRoleRequest) (*identityv1.RevokeRoleResponse, error) {
	return b.revokeRole.Call(ctx, r)
}
func (b *binding) ListRoles(ctx context.Context, r *identityv1.ListRolesRequest) (*identityv1.ListRolesResponse, error) {
	return b.listRoles.Call(ctx, r)
}
func (b *binding) RegisterClient(ctx context.Context, r *identityv1.RegisterClientRequest) (*identityv1.RegisterClientResponse, error) {
	return b.registerClient.Call(ctx, r)
}
func (b *binding) GetClient(ctx context.Context, r *identityv1.GetClientRequest) (*identityv1.OAuthClient, error) {
	return b.getClient.Call(ctx, r)
}
func (b *binding) RotateClientSecret(ctx context.Context, r *identityv1.RotateClientSecretRequest) (*identityv1.RegisterClientResponse, error) {
	return b.rotateClientSecret.Call(ctx, r)
}
func (b *binding) SetClientEnabled(ctx context.Context, r *identityv1.SetClientEnabledRequest) (*identityv1.OAuthClient, error) {
	return b.setClientEnabled.Call(ctx, r)
}

// api translates between the contract's messages and Core.
type api struct{ c *Core }

func (a api) CreateTenant(ctx context.Context, r *identityv1.CreateTenantRequest) (*identityv1.Tenant, error) {
	parent, err := parseTenantName("parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	t := r.GetTenant()
	tn, err := a.c.CreateTenant(ctx, tenancy.Tenant{ID: parent + "." + tenancy.ID(r.GetTenantId()), Name: t.GetDisplayName(),
		Tier: tenancy.Tier(t.GetTier()), Services: t.GetServices(), Enabled: t.GetEnabled()})
	return tenantPB(tn), err
}

func (a api) GetTenant(_ context.Context, r *identityv1.GetTenantRequest) (*identityv1.Tenant, error) {
	id, err := parseTenantName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	tn, err := a.c.tenant(id, "")
	return tenantPB(tn), err
}

func (a api) ListTenants(_ context.Context, r *identityv1.ListTenantsRequest) (*identityv1.ListTenantsResponse, error) {
	id, err := parseTenantName("parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	if _, err := a.c.tenant(id, ""); err != nil {
		return nil, err
	}
	resp := &identityv1.ListTenantsResponse{}
	for _, t := range a.c.tree.Subtree(id) {
		resp.Tenants = append(resp.Tenants, tenantPB(t))
	}
	return resp, nil
}

func (a api) RenameTenant(ctx context.Context, r *identityv1.RenameTenantRequest) (*identityv1.Tenant, error) {
	id, err := parseTenantName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	tn, err := a.c.RenameTenant(ctx, id, r.GetDisplayName(), r.GetEtag())
	return tenantPB(tn), err
}

func (a api) MoveTenant(ctx context.Context, r *identityv1.MoveTenantRequest) (*identityv1.Tenant, error) {
	id, err := parseTenantName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	np, err := parseTenantName("new_parent", r.GetNewParent())
	if err != nil {
		return nil, err
	}
	tn, err := a.c.MoveTenant(ctx, id, np, r.GetEtag())
	return tenantPB(tn), err
}

func (a api) SetTenantEnabled(ctx context.Context, r *identityv1.SetTenantEnabledRequest) (*identityv1.Tenant, error) {
	id, err := parseTenantName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	tn, err := a.c.SetTenantEnabled(ctx, id, r.GetEnabled(), r.GetEtag())
	return tenantPB(tn), err
}

func (a api) SetTenantServices(ctx context.Context, r *identityv1.SetTenantServicesRequest) (*identityv1.Tenant, error) {
	id, err := parseTenantName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	tn, err := a.c.SetTenantServices(ctx, id, r.GetServices(), r.GetEtag())
	return tenantPB(tn), err
}

func (a api) CreateUser(ctx context.Context, r *identityv1.CreateUserRequest) (*identityv1.User, error) {
	t, err := parseTenantName("parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	u := r.GetUser()
	out, err := a.c.CreateUser(ctx, NewUser{Tenant: t, Username: u.GetUsername(), DisplayName: u.GetDisplayName(),
		Kind: authn.Kind(u.GetKind()), CreditCode: u.GetCreditCode(), IDNumber: r.GetIdNumber(), Password: r.GetPassword()})
	return userPB(out), err
}

func (a api) GetUser(ctx context.Context, r *identityv1.GetUserRequest) (*identityv1.User, error) {
	t, id, err := parseChildName("name", r.GetName(), "users")
	if err != nil {
		return nil, err
	}
	u, err := a.c.GetUser(ctx, t, id)
	return userPB(u), err
}

func (a api) ListUsers(ctx context.Context, r *identityv1.ListUsersRequest) (*identityv1.ListUsersResponse, error) {
	t, err := parseTenantName("parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	users, next, err := a.c.ListUsers(ctx, t, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &identityv1.ListUsersResponse{NextPageToken: next}
	for _, u := range users {
		resp.Users = append(resp.Users, userPB(u))
	}
	return resp, nil
}

func (a api) FindUserByIDNumber(ctx context.Context, r *identityv1.FindUserByIDNumberRequest) (*identityv1.User, error) {
	t, err := parseTenantName("parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	u, err := a.c.FindUserByIDNumber(ctx, t, r.GetIdNumber())
	return userPB(u), err
}

func (a api) SetUserStatus(ctx context.Context, r *identityv1.SetUserStatusRequest) (*identityv1.User, error) {
	t, id, err := parseChildName("name", r.GetName(), "users")
	if err != nil {
		return nil, err
	}
	u, err := a.c.SetUserStatus(ctx, t, id, Status(r.GetStatus()), r.GetVersion())
	return userPB(u), err
}

func (a api) ChangePassword(ctx context.Context, r *identityv1.ChangePasswordRequest) (*identityv1.ChangePasswordResponse, error) {
	return &identityv1.ChangePasswordResponse{}, a.c.ChangePassword(ctx, r.GetCurrentPassword(), r.GetNewPassword())
}

func (a api) ResetPassword(ctx context.Context, r *identityv1.ResetPasswordRequest) (*identityv1.User, error) {
	t, id, err := parseChildName("name", r.GetName(), "users")
	if err != nil {
		return nil, err
	}
	u, err := a.c.ResetPassword(ctx, t, id, r.GetNewPassword())
	return userPB(u), err
}

func (a api) GrantRole(ctx context.Context, r *identityv1.GrantRoleRequest) (*identityv1.RoleGrant, error) {
	t, err := parseTenantName("tenant", r.GetTenant())
	if err != nil {
		return nil, err
	}
	g, err := a.c.GrantRole(ctx, t, r.GetSubject(), r.GetRole())
	return grantPB(g), err
}

func (a api) RevokeRole(ctx context.Context, r *identityv1.RevokeRoleRequest) (*identityv1.RevokeRoleResponse, error) {
	t, err := parseTenantName("tenant", r.GetTenant())
	if err != nil {
		return nil, err
	}
	return &identityv1.RevokeRoleResponse{}, a.c.RevokeRole(ctx, t, r.GetSubject(), r.GetRole())
}

func (a api) ListRoles(ctx context.Context, r *identityv1.ListRolesRequest) (*identityv1.ListRolesResponse, error) {
	var at tenancy.ID
	if r.GetTenant() != "" {
		t, err := parseTenantName("tenant", r.GetTenant())
		if err != nil {
			return nil, err
		}
		at = t
	}
	grants, err := a.c.ListRoles(ctx, r.GetSubject(), at)
	if err != nil {
		return nil, err
	}
	resp := &identityv1.ListRolesResponse{}
	for _, g := range grants {
		resp.Grants = append(resp.Grants, grantPB(g))
	}
	return resp, nil
}

// errNoReplayOfSecrets refuses an idempotency key where the response carries a secret:
// the idempotency record would keep the secret in the database for replay.
var errNoReplayOfSecrets = errs.New(errs.InvalidArgument, "IDEMPOTENCY_KEY_NOT_ALLOWED", "此操作返回的密钥只显示一次，不支持幂等键重放")

func refuseIdempotencyKey(ctx context.Context) error {
	if md, _ := metadata.FromIncomingContext(ctx); len(md.Get("idempotency-key")) > 0 {
		return errNoReplayOfSecrets
	}
	return nil
}

func (a api) RegisterClient(ctx context.Context, r *identityv1.RegisterClientRequest) (*identityv1.RegisterClientResponse, error) {
	if err := refuseIdempotencyKey(ctx); err != nil {
		return nil, err
	}
	t, err := parseTenantName("parent", r.GetParent())
	if err != nil {
		return nil, err
	}
	cl := r.GetClient()
	out, secret, err := a.c.RegisterClient(ctx, NewClient{Tenant: t, Slug: r.GetClientId(), DisplayName: cl.GetDisplayName(),
		Scopes: cl.GetScopes(), RedirectURIs: cl.GetRedirectUris(), Public: cl.GetPublic()})
	if err != nil {
		return nil, err
	}
	return &identityv1.RegisterClientResponse{Client: clientPB(out), ClientSecret: secret}, nil
}

func (a api) GetClient(ctx context.Context, r *identityv1.GetClientRequest) (*identityv1.OAuthClient, error) {
	t, id, err := parseChildName("name", r.GetName(), "clients")
	if err != nil {
		return nil, err
	}
	cl, err := a.c.GetClient(ctx, t, id)
	return clientPB(cl), err
}

func (a api) RotateClientSecret(ctx context.Context, r *identityv1.RotateClientSecretRequest) (*identityv1.RegisterClientResponse, error) {
	if err := refuseIdempotencyKey(ctx); err != nil {
		return nil, err
	}
	t, id, err := parseChildName("name", r.GetName(), "clients")
	if err != nil {
		return nil, err
	}
	cl, secret, err := a.c.RotateClientSecret(ctx, t, id)
	if err != nil {
		return nil, err
	}
	return &identityv1.RegisterClientResponse{Client: clientPB(cl), ClientSecret: secret}, nil
}

func (a api) SetClientEnabled(ctx context.Context, r *identityv1.SetClientEnabledRequest) (*identityv1.OAuthClient, error) {
	t, id, err := parseChildName("name", r.GetName(), "clients")
	if err != nil {
		return nil, err
	}
	cl, err := a.c.SetClientEnabled(ctx, t, id, r.GetEnabled(), r.GetVersion())
	return clientPB(cl), err
}

func tenantPB(t tenancy.Tenant) *identityv1.Tenant {
	if t.ID == "" {
		return nil
	}
	out := &identityv1.Tenant{Name: "tenants/" + string(t.ID), DisplayName: t.Name, Tier: string(t.Tier),
		Services: t.Services, Enabled: t.Enabled, Etag: Etag(t)}
	if t.Parent != "" {
		out.Parent = "tenants/" + string(t.Parent)
	}
	return out
}

func userPB(u User) *identityv1.User {
	if u.ID == "" {
		return nil
	}
	out := &identityv1.User{Name: u.Name(), Id: u.ID, Username: u.Username, DisplayName: u.DisplayName, Kind: string(u.Kind),
		Status: string(u.Status), CreditCode: u.CreditCode, IdNumberMasked: u.IDNumberMasked, Version: u.Version,
		CreateTime: timestamppb.New(u.CreateTime), UpdateTime: timestamppb.New(u.UpdateTime)}
	if !u.LockedUntil.IsZero() {
		out.LockedUntil = timestamppb.New(u.LockedUntil)
	}
	return out
}

func grantPB(g RoleGrant) *identityv1.RoleGrant {
	if g.Subject == "" {
		return nil
	}
	return &identityv1.RoleGrant{Subject: g.Subject, Role: g.Role, Tenant: "tenants/" + string(g.Tenant), Title: g.Title}
}

func clientPB(c OAuthClient) *identityv1.OAuthClient {
	if c.ID == "" {
		return nil
	}
	return &identityv1.OAuthClient{Name: c.Name(), Id: c.ID, DisplayName: c.DisplayName, Scopes: c.Scopes,
		RedirectUris: c.RedirectURIs, Public: c.Public, Version: c.Version, CreateTime: timestamppb.New(c.CreateTime), Disabled: c.Disabled}
}
