-- sqlstore's own tables, kept under their own goose version table (kit_db_version).

-- +goose Up
-- kit_sequences holds one counter per name for NextSeq (human-readable numbers such as
-- 办件编号, per tenant and day).
CREATE TABLE kit_sequences (
    name  TEXT   NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
);

-- kit_idempotency holds the stored result of each call made with an idempotency key
-- (package idempotency). Rows are written in the same transaction as the call's own writes.
CREATE TABLE kit_idempotency (
    method      TEXT   NOT NULL,
    principal   TEXT   NOT NULL,
    idem_key    TEXT   NOT NULL,
    fingerprint BYTEA  NOT NULL,
    response    BYTEA,
    created_us  BIGINT NOT NULL,
    expires_us  BIGINT NOT NULL,
    PRIMARY KEY (method, principal, idem_key)
);
CREATE INDEX kit_idempotency_expires ON kit_idempotency (expires_us);

-- +goose Down
DROP TABLE kit_idempotency;
DROP TABLE kit_sequences;
