-- Tables of package outbox, kept under their own goose version table (outbox_db_version).

-- +goose Up
-- outbox_events holds every event from the transaction that made it until it is purged
-- after delivery. Times are Unix microseconds UTC; 0 means never.
CREATE TABLE outbox_events (
    id              TEXT   NOT NULL PRIMARY KEY, -- the delivery id, the same on every try
    tenant          TEXT   NOT NULL,
    topic           TEXT   NOT NULL,
    event_key       TEXT   NOT NULL,             -- unique per tenant and receiver: Add is idempotent on it
    receiver        TEXT   NOT NULL,
    payload         BYTEA  NOT NULL,
    status          TEXT   NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        BIGINT NOT NULL,
    next_attempt_us BIGINT NOT NULL,
    claim_token     TEXT   NOT NULL,             -- '' when no dispatcher holds the event
    claim_until_us  BIGINT NOT NULL,
    last_error      TEXT   NOT NULL,
    created_us      BIGINT NOT NULL,
    delivered_us    BIGINT NOT NULL
);
CREATE UNIQUE INDEX outbox_events_key ON outbox_events (tenant, receiver, event_key);
-- The dispatcher's scan: only pending events, the due first.
CREATE INDEX outbox_events_due ON outbox_events (next_attempt_us) WHERE status = 'pending';
CREATE INDEX outbox_events_status ON outbox_events (status, receiver, created_us);

-- +goose Down
DROP TABLE outbox_events;
