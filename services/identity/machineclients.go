package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gaoxing-gov/gaoxing/pkg/audit"
	"github.com/gaoxing-gov/gaoxing/pkg/errs"
	"github.com/gaoxing-gov/gaoxing/pkg/sqlstore"
	"github.com/gaoxing-gov/gaoxing/pkg/tenancy"
)

// ConfiguredMachineClient is a confidential client (client credentials) whose secret
// and roles come from the deployment's own configuration rather than the API: the
// launcher's development helpers, such as the mock court, which must get tokens on a
// data directory no administrator has touched yet.
type ConfiguredMachineClient struct {
	ID          string // with ClientPrefix
	Tenant      tenancy.ID
	DisplayName string
	Secret      string // 32+ bytes; only its digest is stored
	Roles       []string
}

// EnsureMachineClients registers each configured machine client, or brings its secret
// and display name up to date, and grants its roles at its tenant. A client an
// administrator disabled stays disabled. An unchanged configuration changes nothing, so
// every restart may call it. It reports the clients it changed.
func (c *Core) EnsureMachineClients(ctx context.Context, clients []ConfiguredMachineClient) ([]string, error) {
	var changed []string
	for _, mc := range clients {
		ok, err := c.ensureMachineClient(ctx, mc)
		if errors.Is(err, sqlstore.ErrDuplicate) {
			ok, err = c.ensureMachineClient(ctx, mc)
		}
		if err != nil {
			return changed, fmt.Errorf("client %s: %w", mc.ID, err)
		}
		for _, role := range mc.Roles {
			if err := c.enforcer.Grant(ctx, mc.ID, role, mc.Tenant); err != nil {
				return changed, fmt.Errorf("client %s: grant %s: %w", mc.ID, role, err)
			}
		}
		if ok {
			changed = append(changed, mc.ID)
		}
	}
	return changed, nil
}

func (c *Core) ensureMachineClient(ctx context.Context, in ConfiguredMachineClient) (bool, error) {
	if !strings.HasPrefix(in.ID, ClientPrefix) || !clientSlugPattern.MatchString(strings.TrimPrefix(in.ID, ClientPrefix)) {
		return false, errs.Invalid("client_id", "INVALID_CLIENT_ID", "应用标识应为 svc- 加 2 到 31 位小写字母、数字或 -")
	}
	if len(in.Secret) < 32 {
		return false, errs.Invalid("client_secret", "INVALID_CLIENT_SECRET", "应用密钥至少 32 个字符")
	}
	if _, ok := c.tree.Get(in.Tenant); !ok {
		return false, tenancy.ErrNotFound.WithMessage("租户 %s 不存在", in.Tenant)
	}
	digest := secretDigest(in.Secret)
	changed := false
	err := c.db.InTx(ctx, func(ctx context.Context) error {
		now := c.now()
		r, err := c.clientWhere(ctx, `id = $1`, in.ID)
		switch {
		case errors.Is(err, ErrClientNotFound):
			cl := OAuthClient{ID: in.ID, Tenant: in.Tenant, DisplayName: in.DisplayName, Version: 1, CreateTime: now}
			if _, err := c.db.Exec(ctx, `INSERT INTO clients (id, tenant, display_name, scopes, redirect_uris, public, secret_hash, version, create_time, update_time)
				VALUES ($1, $2, $3, '', '', FALSE, $4, 1, $5, $5)`, cl.ID, string(cl.Tenant), cl.DisplayName, digest, now.UnixMicro()); err != nil {
				return err
			}
			changed = true
			_, err := c.audit.Record(ctx, audit.Entry{Tenant: cl.Tenant, Actor: "system:bootstrap", Action: "identity.RegisterClient",
				Resource: cl.Name(), After: cl})
			return err
		case err != nil:
			return err
		}
		if r.Tenant != in.Tenant || r.Public {
			return ErrClientExists.WithMessage("应用标识 %s 已被其他应用使用", in.ID)
		}
		if r.DisplayName == in.DisplayName && r.secretHash == digest {
			return nil
		}
		res, err := c.db.Exec(ctx, `UPDATE clients SET display_name = $1, secret_hash = $2, version = version + 1, update_time = $3
			WHERE id = $4 AND version = $5`, in.DisplayName, digest, now.UnixMicro(), in.ID, r.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.ErrStaleVersion
		}
		changed = true
		after := r.OAuthClient
		after.DisplayName, after.Version = in.DisplayName, r.Version+1
		_, err = c.audit.Record(ctx, audit.Entry{Tenant: r.Tenant, Actor: "system:bootstrap", Action: "identity.UpdateClient",
			Resource: r.Name(), Before: r.OAuthClient, After: after})
		return err
	})
	return changed, err
}
