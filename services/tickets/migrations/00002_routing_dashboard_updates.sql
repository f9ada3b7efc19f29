-- +goose Up
-- The SLA sweep reads the due open tickets in the order of this index and pages through
-- it by (next_check_us, tenant, id); it replaces tickets_next_check, whose order left
-- SQLite scanning the primary key instead.
CREATE INDEX IF NOT EXISTS tickets_sweep ON tickets (next_check_us, tenant, id) WHERE state < 6;
DROP INDEX IF EXISTS tickets_next_check;
-- Columns the dashboard (看板) aggregates, copied out of data on every write.
ALTER TABLE tickets ADD COLUMN assignee_dept TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN handler TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN response_due_us BIGINT NOT NULL DEFAULT 0;
-- 0 until claimed (签收) / closed (办结).
ALTER TABLE tickets ADD COLUMN responded_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN closed_us BIGINT NOT NULL DEFAULT 0;
-- 0 not rated, 1 rated unsatisfied, 2 rated satisfied; score 1–5 or 0.
ALTER TABLE tickets ADD COLUMN rated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN score BIGINT NOT NULL DEFAULT 0;
-- The dashboard reads the tickets handled in a subtree, received in a window.
CREATE INDEX IF NOT EXISTS tickets_handled ON tickets (assignee_tenant, create_us);
-- Overdue lists: open tickets by close deadline.
CREATE INDEX IF NOT EXISTS tickets_open_due ON tickets (close_due_us) WHERE state < 6;

-- Public status changes, one per ticket revision that changed the state: the Open311
-- servicerequestupdates feed reads them by time.
CREATE TABLE ticket_updates (
    tenant TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    state BIGINT NOT NULL,
    description TEXT NOT NULL,
    update_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, ticket_id, revision)
);
CREATE INDEX IF NOT EXISTS ticket_updates_time ON ticket_updates (tenant, update_us, ticket_id, revision);

-- +goose Down
CREATE INDEX IF NOT EXISTS tickets_next_check ON tickets (next_check_us) WHERE state < 6;
DROP INDEX tickets_sweep;
DROP TABLE ticket_updates;
DROP INDEX tickets_open_due;
DROP INDEX tickets_handled;
ALTER TABLE tickets DROP COLUMN score;
ALTER TABLE tickets DROP COLUMN rated;
ALTER TABLE tickets DROP COLUMN closed_us;
ALTER TABLE tickets DROP COLUMN responded_us;
ALTER TABLE tickets DROP COLUMN response_due_us;
ALTER TABLE tickets DROP COLUMN handler;
ALTER TABLE tickets DROP COLUMN assignee_dept;
