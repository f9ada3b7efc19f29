-- A sign-in's tenant, so that revoking it is audited in the tenant it belongs to.

-- +goose Up
ALTER TABLE oidc_token_families ADD COLUMN tenant TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oidc_token_families DROP COLUMN tenant;
