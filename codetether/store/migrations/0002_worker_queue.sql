-- The worker queue: registered workers, claimable tasks with leases, the task-available event log.
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    body BYTEA NOT NULL
);
CREATE TABLE work_items (
    task_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    worker_id TEXT NOT NULL DEFAULT '',
    lease_until DOUBLE PRECISION NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    created DOUBLE PRECISION NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX work_items_by_state ON work_items (state, created);
CREATE INDEX work_items_by_worker ON work_items (worker_id, state);
CREATE TABLE queue_events (
    seq BIGSERIAL PRIMARY KEY,
    task_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    body BYTEA NOT NULL
);
