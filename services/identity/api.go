package identity

import (
	"context"
	"fmt"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/authn"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
	identityv1 "github.com/gaoxing-gov/gaoxing/proto/gen/go/gaoxing/identity/v1"
)

// api is the IdentityService of the contract (kit.Register finds its methods by name):
// it translates between the contract's messages and Core. The audit trail's methods are
// audit.API's, over identity's database.
type api struct {
	c *Core
	audit.API
}

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

func (a api) SetMandates(ctx context.Context, r *identityv1.SetMandatesRequest) (*identityv1.Mandates, error) {
	t, id, err := parseChildName("name", r.GetName(), "users")
	if err != nil {
		return nil, err
	}
	var in authn.Mandates
	for i, m := range r.GetMandates() {
		switch {
		case (m.GetSubject() == "") == (m.GetCreditCode() == ""):
			return nil, errs.Invalid(fmt.Sprintf("mandates[%d]", i), "INVALID_MANDATE", "每项委托应填写委托人账号或统一社会信用代码之一")
		case m.GetSubject() != "":
			in.Subjects = append(in.Subjects, m.GetSubject())
		default:
			in.Orgs = append(in.Orgs, m.GetCreditCode())
		}
	}
	if len(r.GetMandates()) > authn.MaxMandates {
		return nil, ErrTooManyMandates
	}
	out, err := a.c.SetMandates(ctx, t, id, in)
	if err != nil {
		return nil, err
	}
	resp := &identityv1.Mandates{Name: r.GetName()}
	for _, s := range out.Subjects {
		resp.Mandates = append(resp.Mandates, &identityv1.Mandate{Subject: s})
	}
	for _, o := range out.Orgs {
		resp.Mandates = append(resp.Mandates, &identityv1.Mandate{CreditCode: o})
	}
	return resp, nil
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

func (a api) CheckAccess(ctx context.Context, r *identityv1.CheckAccessRequest) (*identityv1.CheckAccessResponse, error) {
	t, err := parseTenantName("tenant", r.GetTenant())
	if err != nil {
		return nil, err
	}
	allowed, err := a.c.CheckAccess(ctx, t, r.GetPermissions())
	if err != nil {
		return nil, err
	}
	return &identityv1.CheckAccessResponse{Allowed: allowed}, nil
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
