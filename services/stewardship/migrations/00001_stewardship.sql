-- +goose Up
-- The enterprise register: one row per enterprise (a credit code is registered at one
-- tenant only). scale_tags is ",规上,瞪羚," so that one tag is found with LIKE; data holds
-- what is shown but not filtered on; contacts are sealed (pkg/sealed).
CREATE TABLE enterprises (
    credit_code TEXT NOT NULL PRIMARY KEY,
    tenant TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    industry TEXT NOT NULL,
    scale_tags TEXT NOT NULL,
    stage BIGINT NOT NULL,
    registration_date TEXT NOT NULL,
    contacts TEXT NOT NULL,
    data TEXT NOT NULL,
    update_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX enterprises_tenant ON enterprises (tenant, credit_code);
CREATE INDEX enterprises_industry ON enterprises (industry, tenant, credit_code);

-- Stewards: one current assignment per enterprise and kind (end_us = 0); a handover ends
-- it and starts the next, so the rows are the history.
CREATE TABLE assignments (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    kind BIGINT NOT NULL,
    steward TEXT NOT NULL,
    steward_name TEXT NOT NULL,
    pairing BIGINT NOT NULL,
    assigned_by TEXT NOT NULL,
    handover_note TEXT NOT NULL,
    start_us BIGINT NOT NULL,
    end_us BIGINT NOT NULL,
    successor TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE UNIQUE INDEX assignments_current ON assignments (credit_code, kind) WHERE end_us = 0;
CREATE INDEX assignments_steward ON assignments (steward, end_us);
CREATE INDEX assignments_enterprise ON assignments (credit_code, start_us);

CREATE TABLE visits (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    visitor TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX visits_enterprise ON visits (credit_code, visit_date);
CREATE INDEX visits_visitor ON visits (visitor, visit_date);

CREATE TABLE problems (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    state BIGINT NOT NULL,
    ticket TEXT NOT NULL,
    raised_by TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX problems_enterprise ON problems (credit_code, id);

-- The arrears ledger (政府拖欠台账). Amounts are integer fen.
CREATE TABLE debts (
    tenant TEXT NOT NULL,
    ledger_no TEXT NOT NULL,
    creditor_credit_code TEXT NOT NULL,
    debtor_department TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    paid_fen BIGINT NOT NULL,
    since TEXT NOT NULL,
    disputed BIGINT NOT NULL,
    class BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, ledger_no)
);
CREATE INDEX debts_creditor ON debts (creditor_credit_code);
CREATE INDEX debts_department ON debts (debtor_department);
CREATE TABLE instalments (
    tenant TEXT NOT NULL,
    ledger_no TEXT NOT NULL,
    number BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    paid_fen BIGINT NOT NULL,
    PRIMARY KEY (tenant, ledger_no, number)
);
CREATE TABLE payments (
    tenant TEXT NOT NULL,
    ledger_no TEXT NOT NULL,
    seq BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    pay_date TEXT NOT NULL,
    reference TEXT NOT NULL,
    instalment BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, ledger_no, seq)
);

-- Opportunity lists (机会清单); the public read uses the published rows only.
CREATE TABLE opportunities (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    state BIGINT NOT NULL,
    theme TEXT NOT NULL,
    period TEXT NOT NULL,
    publish_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX opportunities_published ON opportunities (tenant, id) WHERE state = 2;

-- +goose Down
DROP TABLE opportunities;
DROP TABLE payments;
DROP TABLE instalments;
DROP TABLE debts;
DROP TABLE problems;
DROP TABLE visits;
DROP TABLE assignments;
DROP TABLE enterprises;
