-- +goose Up
-- sessions_after (Unix microseconds): sign-ins older than this are over (the password was
-- changed or reset); their refresh tokens are refused.
ALTER TABLE users ADD COLUMN sessions_after BIGINT NOT NULL DEFAULT 0;
-- A disabled client gets no tokens, and those it holds are revoked.
ALTER TABLE clients ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- Sign-in throttling (登录限速), one row per account name (known or not) and per source
-- address: failures within the window, and the time before which no attempt is checked.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    next_allowed BIGINT NOT NULL
);

-- +goose Down
DROP TABLE login_throttle;
ALTER TABLE clients DROP COLUMN disabled;
ALTER TABLE users DROP COLUMN sessions_after;
