-- Many `serve` replicas on one store: who is alive, which replica runs which task, and the events of
-- running tasks for subscribers on other replicas (announced with NOTIFY codetether_task_events).
CREATE TABLE replicas (
    id TEXT PRIMARY KEY,
    started DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL
);
CREATE TABLE task_runs (
    task_id TEXT PRIMARY KEY,
    replica_id TEXT NOT NULL,
    started DOUBLE PRECISION NOT NULL
);
CREATE INDEX task_runs_by_replica ON task_runs (replica_id);
CREATE TABLE task_events (
    seq BIGSERIAL PRIMARY KEY,
    task_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX task_events_by_task ON task_events (task_id, seq);
