-- +goose Up
-- A case (涉企案件). The columns queries filter on are columns; the rest of the record is
-- the JSON in data. Times are Unix microseconds UTC.
CREATE TABLE cases (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    state BIGINT NOT NULL,
    case_type BIGINT NOT NULL,
    -- The applicant enterprise's credit code.
    credit_code TEXT NOT NULL,
    -- The account the case is assigned to ('' until assigned).
    assignee TEXT NOT NULL,
    -- The court it is filed with and its case number (案号), '' until set.
    court TEXT NOT NULL,
    case_number TEXT NOT NULL,
    -- When the SLA sweep must next look at the case (never: the largest BIGINT).
    next_check_us BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    -- Whose case it is when an enterprise filed it itself (gaoxing.common.v1.Owner).
    owner_subject TEXT NOT NULL,
    owner_org TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- A case number is unique per court.
CREATE UNIQUE INDEX IF NOT EXISTS cases_number ON cases (court, case_number) WHERE case_number <> '';
-- Lists page by id within a tenant's subtree; the narrowed views each have their index.
-- (Lists order by (id, tenant): ids run by day and number, so the newest come last.)
CREATE INDEX IF NOT EXISTS cases_id ON cases (id, tenant);
CREATE INDEX IF NOT EXISTS cases_state ON cases (state, id, tenant);
CREATE INDEX IF NOT EXISTS cases_court ON cases (court, id, tenant);
CREATE INDEX IF NOT EXISTS cases_assignee ON cases (assignee, id, tenant);
CREATE INDEX IF NOT EXISTS cases_owner_subject ON cases (owner_subject, id, tenant) WHERE owner_subject <> '';
CREATE INDEX IF NOT EXISTS cases_owner_org ON cases (owner_org, id, tenant) WHERE owner_org <> '';
CREATE INDEX IF NOT EXISTS cases_case_number ON cases (case_number, id, tenant) WHERE case_number <> '';
-- The SLA sweep reads the open cases whose next check is due, in this order.
CREATE INDEX IF NOT EXISTS cases_sweep ON cases (next_check_us, tenant, id) WHERE state < 6;

-- The parties of every case, for the conflict check at intake and the search by party
-- name or credit code. side: 1 applicant, 2 counterparty.
CREATE TABLE case_parties (
    tenant TEXT NOT NULL,
    case_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    side BIGINT NOT NULL,
    name TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    PRIMARY KEY (tenant, case_id, seq)
);
-- A search by party pages through these in the lists' order (case id, tenant).
CREATE INDEX IF NOT EXISTS case_parties_credit ON case_parties (credit_code, case_id, tenant) WHERE credit_code <> '';
CREATE INDEX IF NOT EXISTS case_parties_name ON case_parties (name, case_id, tenant);
-- The conflict check looks for a party on one side only: a busy enterprise's own cases
-- (it is the applicant in most) are not read to find the few against it.
CREATE INDEX IF NOT EXISTS case_parties_side_credit ON case_parties (credit_code, side, case_id) WHERE credit_code <> '';
CREATE INDEX IF NOT EXISTS case_parties_side_name ON case_parties (name, side, case_id);

-- Threshold crossings (50/75/100 %) recorded by the sweep, once per case, clock and threshold.
CREATE TABLE case_alerts (
    tenant TEXT NOT NULL,
    case_id TEXT NOT NULL,
    clock TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    escalated_to TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, case_id, clock, threshold)
);

-- +goose Down
DROP TABLE case_alerts;
DROP TABLE case_parties;
DROP TABLE cases;
