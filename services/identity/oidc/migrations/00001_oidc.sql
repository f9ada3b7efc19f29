-- +goose Up
-- Authorization requests (授权请求) from /authorize until the code is exchanged. The id is
-- the unguessable handle the login form posts; code_hash is the SHA-256 of the code.
CREATE TABLE oidc_auth_requests (
    id                    TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    state                 TEXT NOT NULL,
    nonce                 TEXT NOT NULL,
    response_type         TEXT NOT NULL,
    response_mode         TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    subject               TEXT NOT NULL DEFAULT '',
    tenant                TEXT NOT NULL DEFAULT '',
    kind                  TEXT NOT NULL DEFAULT '',
    auth_time             BIGINT NOT NULL DEFAULT 0,
    done                  BOOLEAN NOT NULL DEFAULT FALSE,
    code_issued           BOOLEAN NOT NULL DEFAULT FALSE,
    code_hash             TEXT,
    created_at            BIGINT NOT NULL,
    expires_at            BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS oidc_auth_requests_code ON oidc_auth_requests (code_hash) WHERE code_hash IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_auth_requests_expiry ON oidc_auth_requests (expires_at);

-- A token family (令牌族) is one sign-in of one client: every refresh token rotated from
-- it, and the access tokens issued with them. Reusing a rotated refresh token revokes it all.
CREATE TABLE oidc_token_families (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS oidc_token_families_subject ON oidc_token_families (subject, client_id);

-- Refresh tokens are opaque; only their SHA-256 is kept. used_at is set when one is
-- rotated: presenting it again is reuse.
CREATE TABLE oidc_refresh_tokens (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    family_id  TEXT NOT NULL REFERENCES oidc_token_families (id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS oidc_refresh_tokens_family ON oidc_refresh_tokens (family_id);

-- Access tokens issued to people (not machine clients), so that revoking a family or a
-- token can publish their ids with the right lifetime.
CREATE TABLE oidc_access_tokens (
    jti        TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL DEFAULT '',
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS oidc_access_tokens_family ON oidc_access_tokens (family_id);
CREATE INDEX IF NOT EXISTS oidc_access_tokens_expiry ON oidc_access_tokens (expires_at);

-- Signing keys (签名密钥). A key is published from created_at, signs from sign_from until
-- the next key takes over, and stays published until the tokens it signed have expired.
CREATE TABLE oidc_signing_keys (
    id          TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_der BYTEA NOT NULL, -- PKCS#8, or a pkg/sealed string when sealed
    sealed      BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    sign_from   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE oidc_signing_keys;
DROP TABLE oidc_access_tokens;
DROP TABLE oidc_refresh_tokens;
DROP TABLE oidc_token_families;
DROP TABLE oidc_auth_requests;
