-- +goose Up
-- A ticket (诉求工单). The columns queries filter on are columns; the rest of the record is
-- the JSON in data. Times are Unix microseconds UTC.
CREATE TABLE tickets (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    source BIGINT NOT NULL,
    external_id TEXT NOT NULL,
    state BIGINT NOT NULL,
    assignee_tenant TEXT NOT NULL,
    close_due_us BIGINT NOT NULL,
    -- When the SLA sweep must next look at the ticket: the earliest threshold of its
    -- running clocks not known to be recorded (never: the largest BIGINT).
    next_check_us BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- Idempotent intake: one ticket per receiving tenant, source and external id.
CREATE UNIQUE INDEX IF NOT EXISTS tickets_external ON tickets (tenant, source, external_id) WHERE external_id <> '';
CREATE INDEX IF NOT EXISTS tickets_assignee ON tickets (assignee_tenant, id);
-- The SLA sweep reads the open tickets that are due for a look, and nothing else.
CREATE INDEX IF NOT EXISTS tickets_next_check ON tickets (next_check_us) WHERE state < 6;

-- Threshold crossings (50/75/100 %) recorded by the sweep, once per ticket, clock and threshold.
CREATE TABLE ticket_alerts (
    tenant TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    clock TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    escalated_to TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, ticket_id, clock, threshold)
);

-- +goose Down
DROP TABLE ticket_alerts;
DROP TABLE tickets;
