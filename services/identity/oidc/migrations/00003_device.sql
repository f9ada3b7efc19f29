-- +goose Up
-- Device authorizations (设备授权, RFC 8628): a command line waiting, by its device code
-- (only its SHA-256 is kept), for a person to enter the user code on the verification
-- page, sign in and approve. state: pending → approved → issued (one token response per
-- approval), or denied.
CREATE TABLE oidc_device_authorizations (
    device_hash TEXT PRIMARY KEY,
    user_code   TEXT NOT NULL UNIQUE,
    client_id   TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    subject     TEXT NOT NULL DEFAULT '',
    auth_time   BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS oidc_device_authorizations_expiry ON oidc_device_authorizations (expires_at);

-- Sign-in steps (登录步骤) between a correct password and the end of a sign-in: choosing a
-- new password (kind 'password'), approving a device ('approve'). The token (only its
-- SHA-256 is kept) is handed to the browser that proved the password, in the page's
-- form, and nowhere else; flow says which sign-in continues ('auth': an authorization
-- request by its id; 'device': a device authorization by its user code).
CREATE TABLE oidc_signin_steps (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    flow       TEXT NOT NULL,
    flow_id    TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS oidc_signin_steps_expiry ON oidc_signin_steps (expires_at);

-- +goose Down
DROP TABLE oidc_signin_steps;
DROP TABLE oidc_device_authorizations;
