-- +goose Up
-- Accounts (账号). Times are Unix microseconds UTC. The citizen's ID number is stored
-- sealed (pkg/sealed) with a blind index for lookups; never in clear.
CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    tenant           TEXT NOT NULL,
    username         TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('staff', 'enterprise', 'citizen')),
    status           TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'left')),
    credit_code      TEXT NOT NULL DEFAULT '',
    id_number_sealed TEXT NOT NULL DEFAULT '',
    id_number_index  TEXT NOT NULL DEFAULT '',
    password_hash    TEXT NOT NULL,
    failed_logins    BIGINT NOT NULL DEFAULT 0,
    lockouts         BIGINT NOT NULL DEFAULT 0,
    locked_until     BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL,
    create_time      BIGINT NOT NULL,
    update_time      BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE INDEX users_tenant ON users (tenant, username);
CREATE UNIQUE INDEX users_id_number ON users (id_number_index) WHERE id_number_index <> '';

-- OAuth clients (接入应用): machine clients and the console. Secrets are random and long,
-- so a SHA-256 digest is enough to store them (no slow hash on every token request).
CREATE TABLE clients (
    id            TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    public        BOOLEAN NOT NULL,
    secret_hash   TEXT NOT NULL,
    version       BIGINT NOT NULL,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL
);
CREATE INDEX clients_tenant ON clients (tenant, id);

-- +goose Down
DROP TABLE clients;
DROP TABLE users;
