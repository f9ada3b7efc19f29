-- +goose Up
CREATE TABLE notes (
    tenant      TEXT   NOT NULL,
    id          TEXT   NOT NULL,
    text        TEXT   NOT NULL,
    create_time BIGINT NOT NULL,
    trace_id    TEXT   NOT NULL,
    PRIMARY KEY (tenant, id)
);

-- +goose Down
DROP TABLE notes;
