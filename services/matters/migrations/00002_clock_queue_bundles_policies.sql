-- +goose Up
-- Queue, clock and report columns of applications, copied out of data so that the
-- views, the SLA sweep and the reports read indexes and columns only.
ALTER TABLE applications ADD COLUMN handler TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN window_name TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN department TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN green BIGINT NOT NULL DEFAULT 0;
-- Queue order: green-channel (绿色通道) applications first (0), then the rest (1).
ALTER TABLE applications ADD COLUMN queue_rank BIGINT NOT NULL DEFAULT 1;
ALTER TABLE applications ADD COLUMN bundle_id TEXT NOT NULL DEFAULT '';
-- When the SLA sweep must next look (the earliest threshold not yet recorded of a running
-- clock; never: the largest BIGINT).
ALTER TABLE applications ADD COLUMN next_check_us BIGINT NOT NULL DEFAULT 9223372036854775807;
-- Set at completion: the working days used and whether it met the promised deadline.
ALTER TABLE applications ADD COLUMN complete_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN working_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN on_time BIGINT NOT NULL DEFAULT 0;

-- Open applications are states 1–4; the partial indexes hold those only. The state bound
-- is a literal in every query so that PostgreSQL can use them with generic plans.
-- Not partial: a completed application with an open rectification task runs a clock too.
CREATE INDEX IF NOT EXISTS applications_next_check ON applications (next_check_us);
CREATE INDEX IF NOT EXISTS applications_queue_tenant ON applications (tenant, queue_rank, promised_due_us, id) WHERE state < 5;
CREATE INDEX IF NOT EXISTS applications_queue_due ON applications (queue_rank, promised_due_us, tenant, id) WHERE state < 5;
CREATE INDEX IF NOT EXISTS applications_queue_handler ON applications (handler, queue_rank, promised_due_us, tenant, id) WHERE state < 5;
CREATE INDEX IF NOT EXISTS applications_queue_window ON applications (tenant, window_name, queue_rank, promised_due_us, id) WHERE state < 5;
CREATE INDEX IF NOT EXISTS applications_queue_department ON applications (department, queue_rank, promised_due_us, tenant, id) WHERE state < 5;
CREATE INDEX IF NOT EXISTS applications_bundle ON applications (tenant, bundle_id) WHERE bundle_id <> '';
CREATE INDEX IF NOT EXISTS applications_completed ON applications (tenant, complete_us) WHERE state = 6;

-- Threshold crossings (50/75/100 %) recorded by the sweep, once per application, clock
-- and threshold: the primary key makes a second pass, or a second leader, a no-op.
CREATE TABLE application_alerts (
    tenant TEXT NOT NULL,
    application_id TEXT NOT NULL,
    clock TEXT NOT NULL,
    threshold BIGINT NOT NULL,
    escalated_to TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, application_id, clock, threshold)
);

-- A 一件事 bundle filing; its member applications carry its id in bundle_id.
CREATE TABLE bundle_applications (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    bundle_code TEXT NOT NULL,
    members BIGINT NOT NULL,
    complete_us BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);

-- 免申即享 policies per tenant, enterprise profiles and the grants made from them.
CREATE TABLE policies (
    tenant TEXT NOT NULL,
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, code)
);
CREATE TABLE enterprise_profiles (
    tenant TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    update_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, credit_code)
);
CREATE TABLE grants (
    tenant TEXT NOT NULL,
    policy_code TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, policy_code, credit_code)
);

-- +goose Down
DROP TABLE grants;
DROP TABLE enterprise_profiles;
DROP TABLE policies;
DROP TABLE bundle_applications;
DROP TABLE application_alerts;
DROP INDEX applications_completed;
DROP INDEX applications_bundle;
DROP INDEX applications_queue_department;
DROP INDEX applications_queue_window;
DROP INDEX applications_queue_handler;
DROP INDEX applications_queue_due;
DROP INDEX applications_queue_tenant;
DROP INDEX applications_next_check;
ALTER TABLE applications DROP COLUMN on_time;
ALTER TABLE applications DROP COLUMN working_days;
ALTER TABLE applications DROP COLUMN complete_us;
ALTER TABLE applications DROP COLUMN next_check_us;
ALTER TABLE applications DROP COLUMN bundle_id;
ALTER TABLE applications DROP COLUMN queue_rank;
ALTER TABLE applications DROP COLUMN green;
ALTER TABLE applications DROP COLUMN department;
ALTER TABLE applications DROP COLUMN window_name;
ALTER TABLE applications DROP COLUMN handler;
