-- +goose Up
-- Enterprise profiles now live in the enterprise register of the stewardship service,
-- which 免申即享 reads at evaluation; matters keeps no copy. The profiles an existing
-- install holds are not dropped: the table is kept under a legacy name that no code
-- writes or reads, until an administrator has moved its rows into the register
-- (README, "Upgrading": ImportEnterprises with a dry run first) and drops it by hand.
ALTER TABLE enterprise_profiles RENAME TO legacy_enterprise_profiles;

-- +goose Down
ALTER TABLE legacy_enterprise_profiles RENAME TO enterprise_profiles;
