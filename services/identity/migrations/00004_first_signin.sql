-- +goose Up
-- must_change_password: someone else chose the password (the bootstrap, an administrator
-- creating or resetting the account); the next sign-in must choose a new one before it
-- completes.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
-- Clients registered from identity's configuration (the console, the command line): the
-- pages a sign-out may return to, and whether the device flow (RFC 8628) is theirs.
ALTER TABLE clients ADD COLUMN logout_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN device BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE clients DROP COLUMN device;
ALTER TABLE clients DROP COLUMN logout_uris;
ALTER TABLE users DROP COLUMN must_change_password;
