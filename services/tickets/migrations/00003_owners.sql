-- +goose Up
-- Whose complaint it is when a citizen or an enterprise filed it themselves
-- (gaoxing.common.v1.Owner): the account and, for an enterprise, its credit code. Tickets
-- taken in by staff or received from other systems have none: no applicant reaches them.
ALTER TABLE tickets ADD COLUMN owner_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN owner_org TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS tickets_owner_subject ON tickets (owner_subject, id) WHERE owner_subject <> '';
CREATE INDEX IF NOT EXISTS tickets_owner_org ON tickets (owner_org, id) WHERE owner_org <> '';

-- +goose Down
DROP INDEX IF EXISTS tickets_owner_org;
DROP INDEX IF EXISTS tickets_owner_subject;
ALTER TABLE tickets DROP COLUMN owner_org;
ALTER TABLE tickets DROP COLUMN owner_subject;
