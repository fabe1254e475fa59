-- A worker may report on a task through any replica: a report for a task queued by another replica
-- is a row here, announced to that replica with NOTIFY codetether_queue_reports. The owner applies it
-- to the A2A task and marks it 'applied' (or 'refused' with the reason); the replica that took the
-- report marks it 'abandoned' if the owner died first. Each transition is a conditional UPDATE from
-- 'pending' or 'taken', so a report is answered exactly one way.
CREATE TABLE queue_reports (
    id BIGSERIAL PRIMARY KEY,
    task_id TEXT NOT NULL,
    replica_id TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    error TEXT NOT NULL DEFAULT '',
    at DOUBLE PRECISION NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX queue_reports_by_replica ON queue_reports (replica_id, state, id);
