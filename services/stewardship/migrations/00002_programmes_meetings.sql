-- +goose Up
-- Records that are read whole and filtered by little: start-up packages (one per
-- enterprise, id = its credit code), programme enrolments with their milestones and
-- awards, 营商会客厅 meetings and 建言献策 suggestions. kind names the collection;
-- credit_code is the enterprise a record belongs to ('' for none), the owner of an
-- enrolment for the enterprise's own reads.
CREATE TABLE records (
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    state BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, kind, id)
);
CREATE INDEX records_enterprise ON records (kind, credit_code);

-- +goose Down
DROP TABLE records;
