-- +goose Up
-- Whose application it is (gaoxing.common.v1.Owner, copied out of data): the applicant's
-- account and, for an enterprise, its credit code. Applicants list and reach only their
-- own rows; the indexes serve those lists and the owner check of a single record.
-- Rows filed before these columns keep '' (no applicant owns them; staff see them as
-- before) until an operator backfills them from data.
ALTER TABLE applications ADD COLUMN owner_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN owner_org TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS applications_owner_subject ON applications (owner_subject, tenant, id) WHERE owner_subject <> '';
CREATE INDEX IF NOT EXISTS applications_owner_org ON applications (owner_org, tenant, id) WHERE owner_org <> '';

-- +goose Down
DROP INDEX IF EXISTS applications_owner_org;
DROP INDEX IF EXISTS applications_owner_subject;
ALTER TABLE applications DROP COLUMN owner_org;
ALTER TABLE applications DROP COLUMN owner_subject;
