-- +goose Up
-- A document (材料) and its current version; times are Unix microseconds UTC.
CREATE TABLE documents (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    owner TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    classification BIGINT NOT NULL,
    category TEXT NOT NULL,
    version BIGINT NOT NULL,
    scan_state BIGINT NOT NULL,
    legal_hold BOOLEAN NOT NULL,
    retain_until_us BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    delete_us BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS documents_owner ON documents (tenant, owner, id);
CREATE INDEX IF NOT EXISTS documents_deleted ON documents (delete_us) WHERE delete_us > 0;

-- Every stored version; object_key + object_version name the bytes in the bucket.
CREATE TABLE document_versions (
    tenant TEXT NOT NULL,
    document_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    object_version TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    scan_state BIGINT NOT NULL,
    creator TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, document_id, version),
    FOREIGN KEY (tenant, document_id) REFERENCES documents (tenant, id)
);
CREATE INDEX IF NOT EXISTS document_versions_object ON document_versions (object_key, object_version);

-- Presigned uploads waiting for their commit.
CREATE TABLE uploads (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    new_document BOOLEAN NOT NULL,
    owner TEXT NOT NULL,
    filename TEXT NOT NULL,
    classification BIGINT NOT NULL,
    category TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    creator TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    expire_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS uploads_expiry ON uploads (expire_us);

-- +goose Down
DROP TABLE uploads;
DROP TABLE document_versions;
DROP TABLE documents;
