-- +goose Up
-- Who is filing a problem as a ticket, and until when that claim holds: the tickets
-- service's idempotency key is its caller's, so two stewards opening one problem at once
-- would otherwise file two tickets.
ALTER TABLE problems ADD COLUMN opening_by TEXT NOT NULL DEFAULT '';
ALTER TABLE problems ADD COLUMN opening_until_us BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE problems DROP COLUMN opening_until_us;
ALTER TABLE problems DROP COLUMN opening_by;
