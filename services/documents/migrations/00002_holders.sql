-- +goose Up
-- Whose document it is (gaoxing.common.v1.Owner, the API's holder): the account that
-- uploaded it and, for an enterprise, its credit code. Applicants list, read and add
-- versions to their own documents only. Existing documents take the creator of their
-- first version.
ALTER TABLE documents ADD COLUMN owner_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN owner_org TEXT NOT NULL DEFAULT '';
UPDATE documents SET owner_subject = COALESCE((SELECT v.creator FROM document_versions v
    WHERE v.tenant = documents.tenant AND v.document_id = documents.id AND v.version = 1), '');
CREATE INDEX IF NOT EXISTS documents_owner_subject ON documents (tenant, owner_subject, id);
CREATE INDEX IF NOT EXISTS documents_owner_org ON documents (tenant, owner_org, id) WHERE owner_org <> '';

-- +goose Down
DROP INDEX IF EXISTS documents_owner_org;
DROP INDEX IF EXISTS documents_owner_subject;
ALTER TABLE documents DROP COLUMN owner_org;
ALTER TABLE documents DROP COLUMN owner_subject;
