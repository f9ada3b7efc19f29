-- +goose Up
-- Enterprise profiles now live in the enterprise register of the stewardship service,
-- which 免申即享 reads at evaluation; matters keeps no copy. Profiles held here before
-- are imported into the register (ImportEnterprises) before this version is deployed.
DROP TABLE enterprise_profiles;

-- +goose Down
CREATE TABLE enterprise_profiles (
    tenant TEXT NOT NULL,
    credit_code TEXT NOT NULL,
    update_us BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, credit_code)
);
