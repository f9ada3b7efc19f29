-- +goose Up
-- Catalogue versions (事项版本): every change of a matter is a new row; applications keep
-- the version they were filed under. data is the protojson of gaoxing.matters.v1.Matter.
CREATE TABLE matter_versions (
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    audience BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

-- A matter offered at a tenant (事项认领). Localisation only; the definition stays central.
CREATE TABLE matter_enablements (
    tenant TEXT NOT NULL,
    code TEXT NOT NULL,
    local_note TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, code)
);

-- An application (办件). Columns are what queries filter on; data is the protojson of the
-- API view and clocks the JSON of its statutory and promised clocks. Times are Unix
-- microseconds UTC.
CREATE TABLE applications (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    matter_code TEXT NOT NULL,
    state BIGINT NOT NULL,
    commitment_due_us BIGINT NOT NULL,
    promised_due_us BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    data TEXT NOT NULL,
    clocks TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- The 容缺 sweep reads only the applications accepted on commitment.
CREATE INDEX IF NOT EXISTS applications_commitment ON applications (commitment_due_us) WHERE state = 3;
CREATE INDEX IF NOT EXISTS applications_matter ON applications (matter_code, create_us);

-- +goose Down
DROP TABLE applications;
DROP TABLE matter_enablements;
DROP TABLE matter_versions;
