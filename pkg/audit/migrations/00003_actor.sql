-- Records by actor, for the audit API's actor filter (纪工委 reading one person's changes).

-- +goose Up
CREATE INDEX audit_records_actor ON audit_records (tenant, actor, sequence);

-- +goose Down
DROP INDEX audit_records_actor;
