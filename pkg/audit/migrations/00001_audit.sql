-- Tables of package audit, kept under their own goose version table (audit_db_version).

-- +goose Up
-- audit_records is the append-only log: rows are inserted by audit.Record and never
-- updated or deleted by Gaoxing. Times are Unix microseconds UTC.
CREATE TABLE audit_records (
    tenant        TEXT   NOT NULL,
    sequence      BIGINT NOT NULL,
    time_us       BIGINT NOT NULL,
    actor         TEXT   NOT NULL,
    action        TEXT   NOT NULL,
    resource      TEXT   NOT NULL,
    before_digest TEXT   NOT NULL,
    after_digest  TEXT   NOT NULL,
    trace_id      TEXT   NOT NULL,
    prev_hash     TEXT   NOT NULL,
    hash          TEXT   NOT NULL,
    PRIMARY KEY (tenant, sequence)
);
CREATE INDEX audit_records_resource ON audit_records (tenant, resource, sequence);

-- audit_heads holds each tenant's last sequence and hash. Record updates it first in its
-- transaction, which takes the row's write lock: concurrent writers of one tenant queue
-- here, so each sees the sequence and hash its predecessor committed and the chain
-- cannot fork. Verify also compares it with the last record, so deleting the newest
-- records is detected.
CREATE TABLE audit_heads (
    tenant   TEXT   NOT NULL PRIMARY KEY,
    sequence BIGINT NOT NULL,
    hash     TEXT   NOT NULL
);

-- +goose Down
DROP TABLE audit_heads;
DROP TABLE audit_records;
