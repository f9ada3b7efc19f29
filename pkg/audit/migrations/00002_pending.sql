-- Records wait here, unchained, from the transaction of their change until Seal chains
-- them (normally milliseconds later). A change's transaction then writes one row of its
-- own instead of locking the tenant's head row until it commits, which would queue every
-- writer of a tenant behind the one before it. Times are Unix microseconds UTC.

-- +goose Up
CREATE TABLE audit_pending (
    id            TEXT   NOT NULL PRIMARY KEY,
    tenant        TEXT   NOT NULL,
    time_us       BIGINT NOT NULL,
    actor         TEXT   NOT NULL,
    action        TEXT   NOT NULL,
    resource      TEXT   NOT NULL,
    before_digest TEXT   NOT NULL,
    after_digest  TEXT   NOT NULL,
    trace_id      TEXT   NOT NULL
);
CREATE INDEX audit_pending_order ON audit_pending (time_us, id);

-- +goose Down
DROP TABLE audit_pending;
