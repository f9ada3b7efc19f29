-- +goose Up
-- Mandates (委托): the parties a 帮代办 agent acts for, each a citizen's account (kind
-- 'sub', party its subject) or an enterprise (kind 'org', party its credit code). Its
-- access tokens carry them (acts_for).
CREATE TABLE mandates (
    user_id TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('sub', 'org')),
    party   TEXT NOT NULL,
    PRIMARY KEY (user_id, kind, party)
);

-- +goose Down
DROP TABLE mandates;
