-- +goose Up
-- The enterprise a ticket concerns when it is not its owner: the complainant's credit code
-- (统一社会信用代码, validated at intake), so that a steward's ticket about an enterprise's
-- problem is found by that enterprise's code like one it filed itself. The complainant is
-- sealed in data, so SQL cannot copy it out: NULL marks a row not yet filled in, which the
-- service's leader does at start (backfillComplainantOrgs); new rows are written with it.
ALTER TABLE tickets ADD COLUMN complainant_org TEXT;
CREATE INDEX IF NOT EXISTS tickets_complainant_org ON tickets (complainant_org, id) WHERE complainant_org <> '';
CREATE INDEX IF NOT EXISTS tickets_complainant_unfilled ON tickets (tenant, id) WHERE complainant_org IS NULL;

-- +goose Down
DROP INDEX IF EXISTS tickets_complainant_unfilled;
DROP INDEX IF EXISTS tickets_complainant_org;
ALTER TABLE tickets DROP COLUMN complainant_org;
